/**
 * Task blocks across feedback passes: a block gets the same x tensor in passes 0..K with a
 * different feedback input each time, and reuses x's part of the work (x W for `dense`, x's input
 * projection for `bigru`). These tests run the passes as the model does, inside one gradient tape,
 * and compare values and gradients with the plain concatenated formulation [x | extra].
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's CommonJS bundle registers no gradients; see gru.test.ts.
import '../../../node_modules/@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type { BlockSpec } from '../../../src/shared/experimentTypes';
import { blocks, type Block } from '../../../src/trainer/model/block';
import { Dropout, type ForwardCtx } from '../../../src/trainer/model/context';
import { BiGru } from '../../../src/trainer/model/gru';
import { activate } from '../../../src/trainer/model/layers';
import { ParamScope } from '../../../src/trainer/model/params';
import { Rng } from '../../../src/shared/rng';

const B = 3, T = 5, D = 4, E = 3, U = 6;
const lengths = [5, 3, 1];

async function withBackend(name: string, f: () => void | Promise<void>): Promise<void> {
  await tf.setBackend(name);
  await tf.ready();
  await f();
}

function rand(seed: number, shape: number[]): tf.Tensor {
  const r = new Rng(seed);
  return tf.tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => r.normal()), shape);
}

function ctxOf(mask: tf.Tensor2D | undefined, iteration: number): ForwardCtx {
  return { training: false, batch: { size: B, seqLen: T, mask }, dropout: new Dropout(null, 'shared'), iteration };
}

/**
 * Loss over passes 0..2 like the model runs them: pass 0 without feedback, passes 1 and 2 with
 * `e1`, `e2` and the SAME x tensor (computed inside the tape, as the encoder output is).
 */
function passesLoss(run: (x: tf.Tensor, extra: tf.Tensor | null, k: number) => tf.Tensor, x0: tf.Tensor, e1: tf.Tensor, e2: tf.Tensor, w: tf.Tensor) {
  return () => {
    const x = tf.mul(x0, 1); // a fresh tensor per step, reused across the step's passes
    const ys = [run(x, null, 0), run(x, e1, 1), run(x, e2, 2)];
    return tf.sum(tf.mul(tf.addN(ys.map((y, i) => tf.mul(y, i + 1))), w)) as tf.Scalar;
  };
}

function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, what: string, tol = 1e-5): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

function compareGrads(block: Block, loss: () => tf.Scalar, ref: () => tf.Scalar, what: string): void {
  const vars = block.variables.map((v) => v.variable);
  const a = tf.variableGrads(loss, vars);
  const b = tf.variableGrads(ref, vars);
  assertClose(a.value.dataSync(), b.value.dataSync(), `${what} loss`);
  for (const v of vars) {
    assert.ok(a.grads[v.name].dataSync().some((g) => g !== 0), `${what}: ${v.name} gets a gradient`);
    assertClose(a.grads[v.name].dataSync(), b.grads[v.name].dataSync(), `${what} grad ${v.name}`);
  }
  tf.dispose([a.value, b.value, ...Object.values(a.grads), ...Object.values(b.grads)]);
}

for (const backend of ['cpu', 'wasm']) {
  for (const level of ['sentence', 'token'] as const) {
    test(`dense block: x W reused across feedback passes = [x | extra] W (${level}, ${backend})`, async () => {
      await withBackend(backend, () => {
        const spec: BlockSpec = { type: 'dense', units: U, activation: 'tanh' };
        const scope = ParamScope.root(3).scope('block1');
        const block = blocks.get('dense')(spec, { level, inDim: D, extraDim: E, site: 't/block1' }, scope);
        const lead = level === 'token' ? [B, T] : [B];
        const x0 = rand(1, [...lead, D]), e1 = rand(2, [...lead, E]), e2 = rand(3, [...lead, E]), w = rand(4, [...lead, U]);
        const [W, Wf, b] = block.variables.map((v) => v.variable);
        // Make the bias non-zero so its gradient path is exercised too.
        b.assign(rand(5, [U]) as tf.Tensor1D);
        const ref = (x: tf.Tensor, extra: tf.Tensor | null) => {
          const xe = tf.concat([x, extra ?? tf.zerosLike(e1)], -1);
          const flat = tf.reshape(xe, [-1, D + E]) as tf.Tensor2D;
          const y = tf.add(tf.matMul(flat, tf.concat([W, Wf], 0) as tf.Tensor2D), b);
          return tf.reshape(activate(y, 'tanh'), [...lead, U]);
        };
        try {
          compareGrads(block,
            passesLoss((x, e, k) => block.apply(x, e, ctxOf(undefined, k)), x0, e1, e2, w),
            passesLoss((x, e) => ref(x, e), x0, e1, e2, w), `dense ${level}`);
          // Outside a tape (evaluation) the passes give the reference values too.
          const y = tf.tidy(() => { const x = tf.mul(x0, 1); block.apply(x, null, ctxOf(undefined, 0)); return block.apply(x, e1, ctxOf(undefined, 1)); });
          const yr = tf.tidy(() => ref(x0, e1));
          assertClose(y.dataSync(), yr.dataSync(), 'eval pass 1');
          // A product computed outside tf.grad is not reused inside it (W would get no gradient).
          const xs = tf.mul(x0, 1);
          const outside = block.apply(xs, e1, ctxOf(undefined, 1));
          const inside = tf.variableGrads(() => tf.sum(tf.mul(block.apply(xs, e1, ctxOf(undefined, 1)), w)) as tf.Scalar, [W]);
          assert.ok(inside.grads[W.name].dataSync().some((g) => g !== 0), 'W gets a gradient');
          tf.dispose([xs, outside, inside.value, ...Object.values(inside.grads)]);
          // After a weight update the product is recomputed even for the same x tensor.
          const x = tf.mul(x0, 1);
          const before = block.apply(x, e1, ctxOf(undefined, 1));
          W.assign(tf.mul(W, 2) as tf.Tensor2D);
          const after = block.apply(x, e1, ctxOf(undefined, 1));
          const expected = tf.tidy(() => ref(x0, e1));
          assertClose(after.dataSync(), expected.dataSync(), 'after a weight update');
          assert.ok(Math.abs(after.dataSync()[0] - before.dataSync()[0]) > 1e-6, 'the update changed the output');
          tf.dispose([y, yr, x, before, after, expected]);
        } finally {
          tf.dispose([x0, e1, e2, w, ...block.variables.map((v) => v.variable)]);
        }
      });
    });
  }

  test(`bigru block: feedback input handed to the GRU apart = the GRU over [x | extra] (${backend})`, async () => {
    await withBackend(backend, () => {
      const spec: BlockSpec = { type: 'bigru', units: U };
      const scope = ParamScope.root(4).scope('block1');
      const block = blocks.get('bigru')(spec, { level: 'token', inDim: D, extraDim: E, site: 't/block1' }, scope);
      const mask = tf.tensor2d(lengths.flatMap((L) => Array.from({ length: T }, (_, t) => (t < L ? 1 : 0))), [B, T]);
      const x0 = rand(1, [B, T, D]), e1 = rand(2, [B, T, E]), e2 = rand(3, [B, T, E]), w = rand(4, [B, T, 2 * U]);
      // The reference: an op-by-op GRU over the concatenation, sharing the block's variables.
      const ref = new BiGru('ref', D + E, U, new Rng(1));
      const refVars = ref.variables;
      (ref as unknown as { variables: tf.Variable[] }).variables = block.variables.map((v) => v.variable);
      for (const k of ['kernel', 'bias', 'recurrent', 'recurrentBias'] as const) {
        (ref as unknown as Record<string, tf.Variable>)[k] = block.variables.find((v) => v.name.endsWith(`gru/${k}`))!.variable;
      }
      try {
        compareGrads(block,
          passesLoss((x, e, k) => block.apply(x, e, ctxOf(mask, k)), x0, e1, e2, w),
          passesLoss((x, e) => ref.applyOps(tf.concat([x, e ?? tf.zerosLike(e1)], 2) as tf.Tensor3D, mask), x0, e1, e2, w), 'bigru');
      } finally {
        tf.dispose([mask, x0, e1, e2, w, ...refVars, ...block.variables.map((v) => v.variable)]);
      }
    });
  });
}
