/**
 * Injection: which block(s) of the target task receive a feedback arrow's signal.
 * - `fixed`: one block, weight 1.
 * - `gumbel`: learnable logits over candidate blocks. Training samples a Gumbel-softmax relaxation
 *   (noise from the seeded Rng; temperature annealed by `gumbelTau`), optionally straight-through
 *   `hard` (one-hot forward, soft gradient); evaluation takes the argmax. Candidate block l receives
 *   gate_l * amp(y), zero elsewhere.
 *
 * One gate sample is drawn per forward pass (per step) and used by every feedback iteration of that
 * step, like the shared dropout masks: within a step the model is one fixed dynamical system, so the
 * convergence loss measures its settling rather than resampling noise.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GumbelSpec } from '../../shared/experimentTypes';
import type { Rng } from '../../shared/rng';
import { stopGradient } from './layers';
import type { NamedVariable, ParamScope } from './params';
import { Registry } from './registry';

/** What a gate needs from the forward pass. */
export interface GateCtx {
  training: boolean;
  /** Current temperature (training only). */
  tau: number;
  /** Noise source (training only). */
  rng: Rng | null;
}

export interface Injection {
  readonly variables: readonly NamedVariable[];
  /** 1-based candidate block numbers. */
  readonly candidates: readonly number[];
  /** Weights over `candidates` for this forward pass [L], or null for a fixed block (weight 1). */
  gate(ctx: GateCtx): tf.Tensor1D | null;
  /** softmax(logits): the learned preference without noise, or null for a fixed block. */
  probs(): tf.Tensor1D | null;
}

export interface InjectionSpecLite {
  /** Candidate blocks (1-based). One for `fixed`. */
  candidates: number[];
  gumbel: GumbelSpec;
}

export type InjectionFactory = (spec: InjectionSpecLite, scope: ParamScope) => Injection;

/** Injection kind (`fixed` for a block number, `gumbel`) -> factory. */
export const injections = new Registry<InjectionFactory>('injection');

injections.register('fixed', (spec): Injection => {
  if (spec.candidates.length !== 1) throw new Error('a fixed injection targets exactly one block');
  return { variables: [], candidates: spec.candidates, gate: () => null, probs: () => null };
});

injections.register('gumbel', (spec, scope): Injection => {
  const L = spec.candidates.length;
  if (L < 1) throw new Error('a Gumbel gate needs at least one candidate block');
  // Zero logits: every candidate equally likely at the start.
  const logits = scope.zeros('logits', L);
  return {
    variables: scope.variables,
    candidates: spec.candidates,
    probs: () => tf.softmax(logits) as tf.Tensor1D,
    gate(ctx) {
      if (!ctx.training || !ctx.rng) {
        return oneHotOf(tf.argMax(logits), L);
      }
      const g = new Float32Array(L);
      for (let i = 0; i < L; i++) g[i] = gumbelNoise(ctx.rng.next());
      const soft = tf.softmax(tf.div(tf.add(logits, tf.tensor1d(g)), ctx.tau)) as tf.Tensor1D;
      if (!spec.gumbel.hard) return soft;
      // Straight-through: the forward value is the one-hot sample, the gradient is the soft one's.
      const hard = stopGradient(oneHotOf(tf.argMax(soft), L));
      return tf.add(stopGradient(tf.sub(hard, soft)), soft) as tf.Tensor1D;
    },
  };
});

/** Standard Gumbel sample -log(-log u) from a uniform u in [0,1) (clamped away from 0). */
export function gumbelNoise(u: number): number {
  return -Math.log(-Math.log(Math.max(u, 1e-12)));
}

/**
 * Temperature at `step` (0-based) over a horizon of `totalSteps` (the trainer passes
 * `gumbel.annealEpochs`, default `training.epochs`, times the steps per epoch): `exp` goes
 * geometrically and `linear` linearly from tau0 (step 0) to tauMin (step totalSteps - 1), then stays
 * at tauMin; `none` keeps tau0. Never below tauMin.
 */
export function gumbelTau(spec: GumbelSpec, step: number, totalSteps: number): number {
  const frac = totalSteps > 1 ? Math.min(1, Math.max(0, step / (totalSteps - 1))) : 1;
  const { tau0, tauMin } = spec;
  switch (spec.anneal ?? 'exp') {
    case 'none': return tau0;
    case 'linear': return Math.max(tauMin, tau0 + (tauMin - tau0) * frac);
    case 'exp': return Math.max(tauMin, tau0 * Math.pow(tauMin / tau0, frac));
    default: throw new Error(`unknown gumbel.anneal '${spec.anneal as string}' (known: exp, linear, none)`);
  }
}

/** One-hot of a scalar index over L entries; tf.oneHot refuses depth 1, where the answer is [1]. */
function oneHotOf(index: tf.Tensor, L: number): tf.Tensor1D {
  if (L === 1) return tf.ones([1]) as tf.Tensor1D;
  return tf.cast(tf.oneHot(index as tf.Tensor1D, L), 'float32') as tf.Tensor1D;
}
