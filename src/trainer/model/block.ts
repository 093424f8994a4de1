/**
 * Task blocks h^1..h^m: the task-specific layers that feedback is injected into. A block receives
 * its input `x` and, when feedback reaches it with combine `concat`, the amplified signals `extra`
 * (already level-aligned and gated). `extra` is null in the zero-feedback pass y^0 — a block treats
 * that exactly as an all-zero signal.
 */
import * as tf from '@tensorflow/tfjs-core';
import { TRANSFORMER_DEFAULTS, type BlockSpec, type TaskLevel } from '../../shared/experimentTypes';
import type { ForwardCtx } from './context';
import { activeTape, BiGru } from './gru';
import { BiLstm } from './lstm';
import { activate, matMulAny } from './layers';
import type { NamedVariable, ParamScope } from './params';
import { Registry } from './registry';
import { TransformerStack } from './transformer';

/** A task block. */
export interface Block {
  readonly variables: readonly NamedVariable[];
  /** Width of the main input. */
  readonly inDim: number;
  /** Width of the concatenated feedback signals (0 when no `concat` arrow targets this block). */
  readonly extraDim: number;
  readonly outDim: number;
  /** x: [B,D] or [B,T,D]; extra: same leading dims, width `extraDim`, or null for zero feedback. */
  apply(x: tf.Tensor, extra: tf.Tensor | null, ctx: ForwardCtx): tf.Tensor;
}

/** Where a block sits and what it receives. */
export interface BlockContext {
  level: TaskLevel;
  inDim: number;
  extraDim: number;
  /** Dropout site name, e.g. `slots/block1`. */
  site: string;
}

export type BlockFactory = (spec: BlockSpec, where: BlockContext, scope: ParamScope) => Block;

/** `blocks[i].type` -> factory. */
export const blocks = new Registry<BlockFactory>('block type');

/**
 * `x W` for the same `x` tensor comes again in every feedback pass of a step: the model hands a
 * task's first fed block the same input tensor in passes 0..K (blocks below it see no feedback).
 * Reused only while x, the weight and the gradient tape are the same ones (see `activeTape`), so a
 * weight update, a new step or a `tf.grad` boundary always recomputes.
 */
class SameInputProduct {
  private cached: { xId: number; wData: unknown; tape: unknown; y: tf.Tensor } | undefined;

  constructor(private readonly w: tf.Variable) {}

  of(x: tf.Tensor): tf.Tensor {
    const c = this.cached;
    const tape = activeTape();
    if (c && tape !== undefined && c.xId === x.id && c.wData === this.w.dataId && c.tape === tape && !c.y.isDisposed) return c.y;
    const y = matMulAny(x, this.w as tf.Tensor2D);
    this.cached = { xId: x.id, wData: this.w.dataId, tape, y };
    return y;
  }
}

/**
 * `dense`: act([x | extra] W + b), written as x W_x + extra W_f + b so the zero-feedback pass skips
 * the feedback half instead of multiplying zeros, and x W_x is computed once per step when the same
 * x comes again in later feedback passes (only extra W_f per pass). Works at both levels (token
 * level: per token).
 */
blocks.register('dense', (spec, where, scope): Block => {
  const w = scope.weight('W', where.inDim, spec.units);
  const wf = where.extraDim > 0 ? scope.weight('Wf', where.extraDim, spec.units) : undefined;
  const b = scope.zeros('b', spec.units);
  const act = spec.activation ?? 'relu';
  const xw = new SameInputProduct(w);
  return {
    variables: scope.variables, inDim: where.inDim, extraDim: where.extraDim, outDim: spec.units,
    apply(x, extra, ctx) {
      let y = xw.of(x);
      if (extra && wf) y = tf.add(y, matMulAny(extra, wf as tf.Tensor2D));
      y = activate(tf.add(y, b), act);
      return ctx.dropout.apply(y, spec.dropout, where.site, ctx.iteration);
    },
  };
});

/**
 * `bigru`: a bidirectional GRU over the task's token states, output width 2 x units. Token level
 * only (a sentence-level tower works on one pooled vector, there is no sequence to run over).
 */
blocks.register('bigru', recurrentBlock('bigru', (inDim, units, scope) => {
  const gru = new BiGru(scope.uniqueName('gru'), inDim, units, scope.labelRng('gru'));
  gru.variables.forEach((v, j) => scope.adopt(`gru/${['kernel', 'bias', 'recurrent', 'recurrentBias'][j] ?? j}`, v));
  return gru;
}));

/**
 * `bilstm`: a bidirectional LSTM (`lstm.ts`) over the task's token states, output width 2 x units;
 * token level only, like `bigru`. The feedback input is concatenated to x.
 */
blocks.register('bilstm', recurrentBlock('bilstm', (inDim, units, scope) => new BiLstm(scope.scope('lstm'), inDim, units)));

/**
 * `transformer`: one pre-LN Transformer layer (`transformer.ts`: masked multi-head self-attention,
 * feed-forward, final layer norm) over the task's token states, width `units`. Its input is first
 * projected to `units` as the dense block does, [x | extra] W + b written as x W_x + extra W_f + b
 * (x W_x once per step, extra W_f per feedback pass), so feedback with combine `concat` enters the
 * residual stream of every token. Token level only. Padded keys get no attention and padded outputs
 * are zero, so real tokens' outputs do not depend on the padding.
 */
blocks.register('transformer', (spec, where, scope): Block => {
  if (where.level !== 'token') {
    throw new Error(`block type 'transformer' runs over tokens, but ${where.site} belongs to a sentence-level task; use 'dense'`);
  }
  const w = scope.weight('W', where.inDim, spec.units);
  const wf = where.extraDim > 0 ? scope.weight('Wf', where.extraDim, spec.units) : undefined;
  const b = scope.zeros('b', spec.units);
  const xw = new SameInputProduct(w);
  const stack = new TransformerStack(scope, { width: spec.units, heads: spec.heads ?? TRANSFORMER_DEFAULTS.blockHeads, ffn: spec.ffn ?? TRANSFORMER_DEFAULTS.ffnPerWidth * spec.units, dropout: spec.dropout }, 1, where.site);
  return {
    variables: scope.variables, inDim: where.inDim, extraDim: where.extraDim, outDim: spec.units,
    apply(x, extra, ctx) {
      const mask = ctx.batch.mask;
      if (!mask) throw new Error(`block type 'transformer' (${where.site}) needs a token mask`);
      let y = xw.of(x);
      if (extra && wf) y = tf.add(y, matMulAny(extra, wf as tf.Tensor2D));
      return stack.apply(tf.add(y, b) as tf.Tensor3D, mask, ctx, ctx.iteration);
    },
  };
});

/**
 * A bidirectional recurrent block over token states (output 2 x units). The feedback input goes to
 * the layer apart from x (same math as concatenating them): the BiGRU then computes x's input
 * projection once per step and only extra's per iteration, because the model hands this block the
 * same x tensor in every feedback pass.
 */
function recurrentBlock(
  name: 'bigru' | 'bilstm',
  make: (inDim: number, units: number, scope: ParamScope) => { apply(x: tf.Tensor3D, mask: tf.Tensor2D, extra: tf.Tensor3D | null): tf.Tensor3D },
): BlockFactory {
  return (spec, where, scope) => {
    if (where.level !== 'token') {
      throw new Error(`block type '${name}' runs over tokens, but ${where.site} belongs to a sentence-level task; use 'dense'`);
    }
    const layer = make(where.inDim + where.extraDim, spec.units, scope);
    return {
      variables: scope.variables, inDim: where.inDim, extraDim: where.extraDim, outDim: 2 * spec.units,
      apply(x, extra, ctx) {
        const mask = ctx.batch.mask;
        if (!mask) throw new Error(`block type '${name}' (${where.site}) needs a token mask`);
        const y = layer.apply(x as tf.Tensor3D, mask, where.extraDim > 0 ? extra as tf.Tensor3D | null : null);
        return ctx.dropout.apply(y, spec.dropout, where.site, ctx.iteration);
      },
    };
  };
}
