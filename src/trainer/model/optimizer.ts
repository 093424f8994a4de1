/**
 * Optimizers from `training.optimizer`, gradient clipping, and the optimizer state in checkpoints.
 *
 * tfjs names optimizer slots after the tfjs variable names (`<var>/m`, `iter`), which are automatic
 * and differ between processes; checkpoints store them under the model's path names instead
 * (`tasks/slots/head/W/m`), so a run can be resumed in a new process.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TrainingSpec } from '../../shared/experimentTypes';
import type { NamedTensor } from './feedbackModel';
import type { NamedVariable } from './params';
import { nativeKernels } from '../native/nativeKernels';
import { Registry } from './registry';

export type OptimizerFactory = (learningRate: number) => tf.Optimizer;

/** The slots of tfjs's AdamOptimizer (private there; this class keeps them exactly as tfjs does). */
interface AdamSlots {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
}

const ADAM_KERNEL = 'FmtlAdamUpdate';
const fusedAdamBackends = new Set(['wasm', 'cpu']);

/**
 * tfjs's Adam, with the update of each variable done by ONE registered kernel on the wasm and cpu
 * backends instead of ~12 element-wise ops (each a pass over the variable plus ~10 µs of engine
 * bookkeeping): on SNIPS the 720k-parameter embedding is updated densely every step, and Adam was
 * ~10% of a step. Same formula, same slot variables and names (`<var>/m`, `<var>/v`, the iteration
 * count), so checkpoints, `getWeights`/`setWeights` and resume are unchanged; other backends use
 * tfjs's own update. Results equal tfjs's Adam to float32 rounding (tested to 1e-6).
 */
export class FusedAdam extends tf.AdamOptimizer {
  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon?: number) {
    super(learningRate, beta1, beta2, epsilon);
  }

  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    if (!fusedAdamBackends.has(tf.getBackend())) { super.applyGradients(variableGradients); return; }
    registerAdamKernel();
    const slots = this as unknown as AdamSlots;
    const isArray = Array.isArray(variableGradients);
    const names = isArray ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    // The bias corrections 1 - beta^t as tfjs has them: its accBeta variables hold beta^t
    // (t = iterations + 1), multiplied up in float32; beta^t in double differs by < 1e-7 relative.
    const t = this.iterations + 1;
    const attrs = {
      lr: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon,
      c1: 1 - Math.pow(this.beta1, t), c2: 1 - Math.pow(this.beta2, t),
    };
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name];
        slots.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        slots.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const gradient = isArray ? variableGradients[i].tensor : variableGradients[name];
        if (gradient == null) return;
        const m = slots.accumulatedFirstMoment[i].variable;
        const v = slots.accumulatedSecondMoment[i].variable;
        const inputs = { value, m, v, gradient } as unknown as tf.NamedTensorMap;
        const [nv, nm, nvv] = tf.engine().runKernel(ADAM_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        m.assign(nm);
        v.assign(nvv);
        value.assign(nv);
      });
      // Kept in step as tfjs does, so tfjs's own update (another backend) continues correctly.
      slots.accBeta1.assign(tf.mul(slots.accBeta1, this.beta1));
      slots.accBeta2.assign(tf.mul(slots.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }
}

type AdamAttrs = { lr: number; beta1: number; beta2: number; epsilon: number; c1: number; c2: number };
type LooseBackend = {
  readSync(dataId: unknown): unknown;
  makeTensorInfo?(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
  makeOutput?(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap?(t: tf.TensorInfo): Float32Array;
};

/** Adam's update of element range [0, n): reads x, m, v, g and writes xo, mo, vo (which may alias them). */
export function adamLoop(n: number, x: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array,
  xo: Float32Array, mo: Float32Array, vo: Float32Array, { lr, beta1, beta2, epsilon, c1, c2 }: AdamAttrs): void {
  const a1 = 1 - beta1, a2 = 1 - beta2;
  // lr (m/c1) / (sqrt(v/c2) + eps) with the constant factors hoisted: one division per element.
  const s = lr / c1, q = 1 / Math.sqrt(c2);
  for (let i = 0; i < n; i++) {
    const gi = g[i];
    const mi = beta1 * m[i] + a1 * gi;
    const vi = beta2 * v[i] + a2 * gi * gi;
    mo[i] = mi;
    vo[i] = vi;
    xo[i] = x[i] - s * mi / (Math.sqrt(vi) * q + epsilon);
  }
}

/**
 * value' = value - lr * (m'/c1) / (sqrt(v'/c2) + eps), m' = b1 m + (1-b1) g, v' = b2 v + (1-b2) g²
 * — tfjs's Adam, in one pass. Outputs are new buffers, never written in place: a variable's buffer
 * may be shared (a reshape, a clone on cpu), and the wasm backend caches XNNPACK operators with
 * packed weights per buffer, so an in-place update would go unseen by later matMuls (measured: the
 * loss sequence diverged from step 2; the test checks a matMul after each update).
 */
function adamKernel(args: { inputs: Record<'value' | 'm' | 'v' | 'gradient', tf.TensorInfo>; backend: unknown; attrs: AdamAttrs }): tf.TensorInfo[] {
  const { value, m, v, gradient } = args.inputs;
  const backend = args.backend as LooseBackend;
  const n = value.shape.reduce((a, b) => a * b, 1);
  let outs: tf.TensorInfo[];
  let views: Float32Array[];
  if (typeof backend.typedArrayFromHeap === 'function') {
    // wasm: outputs allocated first (allocation may grow the heap and detach earlier views),
    // then every array is a view on the heap: no copies.
    outs = [0, 1, 2].map(() => backend.makeOutput!(value.shape, 'float32'));
    views = [value, m, v, gradient, ...outs].map((x) => backend.typedArrayFromHeap!(x));
  } else {
    const res = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
    views = [...[value, m, v, gradient].map((x) => backend.readSync(x.dataId) as Float32Array), ...res];
    outs = res.map((r) => backend.makeTensorInfo!(value.shape, 'float32', r));
  }
  const [x, m0, v0, g, xo, mo, vo] = views;
  const nat = nativeKernels();
  if (nat) {
    const { lr, beta1, beta2, epsilon, c1, c2 } = args.attrs;
    nat.adam(n, x, m0, v0, g, xo, mo, vo, lr, beta1, beta2, epsilon, c1, c2); // the same bits, compiled
  } else {
    adamLoop(n, x, m0, v0, g, xo, mo, vo, args.attrs);
  }
  return outs;
}

let adamRegistered = false;

function registerAdamKernel(): void {
  if (adamRegistered) return;
  adamRegistered = true;
  for (const backendName of fusedAdamBackends) {
    tf.registerKernel({ kernelName: ADAM_KERNEL, backendName, kernelFunc: adamKernel as unknown as tf.KernelFunc });
  }
}

/** `training.optimizer` -> factory (tfjs defaults otherwise: Adam beta 0.9/0.999, RMSProp decay 0.9). */
export const optimizers = new Registry<OptimizerFactory>('optimizer')
  .register('adam', (lr) => new FusedAdam(lr))
  .register('sgd', (lr) => tf.train.sgd(lr))
  .register('rmsprop', (lr) => tf.train.rmsprop(lr));

export function makeOptimizer(t: TrainingSpec): tf.Optimizer {
  return optimizers.get(t.optimizer)(t.learningRate);
}

/** Sum of squares of all gradients (the squared global norm), a scalar tensor. */
export function globalNormSquared(grads: tf.Tensor[]): tf.Scalar {
  return tf.addN(grads.map((g) => tf.sum(tf.square(g)))) as tf.Scalar;
}

/**
 * Scales the gradients so their global L2 norm is at most `clipNorm` (no change below it). Tensor
 * ops only: no read back to the host. `sq` = `globalNormSquared(grads)` when the caller has it.
 */
export function clipByGlobalNorm(grads: tf.Tensor[], clipNorm: number, sq: tf.Scalar = globalNormSquared(grads)): tf.Tensor[] {
  const scale = tf.div(clipNorm, tf.maximum(tf.sqrt(sq), clipNorm));
  return grads.map((g) => tf.mul(g, scale));
}

/** Optimizer slots renamed from tfjs variable names to model path names (tensors are the live slots). */
export async function exportOptimizerState(opt: tf.Optimizer, vars: readonly NamedVariable[]): Promise<NamedTensor[]> {
  const byTf = new Map(vars.map((v) => [v.variable.name, v.name]));
  const ws = await opt.getWeights();
  return ws.map((w) => ({ name: renameSlot(w.name, byTf), tensor: w.tensor }));
}

/** Restores state saved by `exportOptimizerState` into `opt` for this model's variables. */
export async function importOptimizerState(opt: tf.Optimizer, state: readonly NamedTensor[], vars: readonly NamedVariable[]): Promise<void> {
  const byPath = new Map(vars.map((v) => [v.name, v.variable.name]));
  const renamed = state.map((w) => ({ name: renameSlot(w.name, byPath), tensor: w.tensor }));
  await opt.setWeights(renamed);
}

/** `<base>/<slot>` with base mapped through `names`; names without a mapped base stay as they are. */
function renameSlot(name: string, names: Map<string, string>): string {
  const i = name.lastIndexOf('/');
  if (i < 0) return name;
  const base = names.get(name.slice(0, i));
  return base === undefined ? name : `${base}/${name.slice(i + 1)}`;
}
