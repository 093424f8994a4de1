import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../shared/rng';
import { backwardDirection, forwardDirection, WS, type BackwardArrays, type ForwardArrays } from './gruMath';
import { jsMatMuls, NativeMatMuls, WasmMatMuls, type AnyBackend, type MatMuls } from './gruMatMuls';
import { nativeKernels } from '../native/nativeKernels';
import { gruThreadFor, type DirectionJob } from './gruThreads';

export { tanhF32 } from './gruMath';

/**
 * Bidirectional GRU over padded batches, in PyTorch's formulation (so a PyTorch `nn.GRU` with
 * `bidirectional=True` over packed sequences is the same model):
 *
 *   r = σ(x W_ir + b_ir + h W_hr + b_hr)
 *   z = σ(x W_iz + b_iz + h W_hz + b_hz)
 *   n = tanh(x W_in + b_in + r ⊙ (h W_hn + b_hn))
 *   h' = (1 − z) ⊙ n + z ⊙ h
 *
 * Masking: padded steps keep the previous state in both directions, so the forward direction
 * carries its state over padding and the backward direction starts (from a zero state) at each
 * sequence's real end. Outputs at padded steps are zero, like PyTorch's `pad_packed_sequence`.
 *
 * Parameters (gate order r, z, n; direction order forward, backward):
 * - `<name>/kernel` [D, 6H]: input weights of both directions, columns [fw r z n | bw r z n]
 * - `<name>/bias` [6H]: input biases, same column order
 * - `<name>/recurrent` [2, H, 3H]: recurrent weights per direction
 * - `<name>/recurrentBias` [2, 1, 3H]: recurrent biases per direction (b_hn stays inside r ⊙ (...))
 * All initialised uniform in ±1/√H, as PyTorch does.
 *
 * Speed: on the wasm and cpu backends the whole layer (input projection, both directions, all
 * timesteps) is ONE registered kernel with ONE gradient kernel (`FmtlBiGru`, `FmtlBiGruGrad`):
 * tfjs spends ~10 µs of bookkeeping per op, and an op-by-op GRU step needs thousands of ops. The
 * kernels do the gate arithmetic in plain loops and hand every matrix product to the backend's own
 * BatchMatMul kernel (XNNPACK on wasm) in its fast, untransposed form (`gruMath.ts`). With the
 * optional native kernels (`../native`) each direction is one native call working on the wasm heap
 * in place; with `FMTL_THREADS=2` the second direction runs on a worker (`gruThreads.ts`). Other
 * backends (tfjs-node, webgl) use the op-by-op graph {@link BiGru.applyOps}, the tests' reference.
 */
export class BiGru {
  /** Trainable variables, in a fixed order (checkpoints rely on their names). */
  readonly variables: tf.Variable[];
  private readonly kernel: tf.Variable;
  private readonly bias: tf.Variable;
  private readonly recurrent: tf.Variable;
  private readonly recurrentBias: tf.Variable;

  constructor(readonly name: string, readonly inputDim: number, readonly hidden: number, rng: Rng) {
    const H = hidden;
    const bound = 1 / Math.sqrt(H);
    const uniform = (shape: number[], label: string): tf.Variable => {
      const r = rng.fork(`${name}/${label}`);
      const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
      for (let i = 0; i < values.length; i++) values[i] = (2 * r.next() - 1) * bound;
      const init = tf.tensor(values, shape);
      const v = tf.variable(init, true, `${name}/${label}`);
      init.dispose(); // the variable holds the only reference (lets the optimizer update in place)
      return v;
    };
    this.kernel = uniform([inputDim, 6 * H], 'kernel');
    this.bias = uniform([6 * H], 'bias');
    this.recurrent = uniform([2, H, 3 * H], 'recurrent');
    this.recurrentBias = uniform([2, 1, 3 * H], 'recurrentBias');
    this.variables = [this.kernel, this.bias, this.recurrent, this.recurrentBias];
  }

  /**
   * Runs both directions over `x` [B, T, D] with `mask` [B, T] (1 = real token, 0 = padding) and
   * returns [B, T, 2H] = [forward | backward]. Differentiable with respect to `x` and the variables.
   *
   * `extra` [B, T, E] (optional) is concatenated to `x` as input (then D + E = `inputDim`); null or
   * absent when `x` is narrower than `inputDim` means zeros. Passing it apart instead of
   * concatenating lets the layer reuse x's input projection when the same `x` tensor comes again
   * with a different `extra` (a feedback block re-run for every iteration): x W_x is computed once
   * per step, only extra W_e per iteration.
   */
  apply(x: tf.Tensor3D, mask: tf.Tensor2D, extra?: tf.Tensor3D | null): tf.Tensor3D {
    const [B, T, Dx] = x.shape;
    const De = this.inputDim - Dx;
    if (De < 0 || (extra && extra.shape[2] !== De)) {
      throw new Error(`BiGru ${this.name}: input width ${Dx}${extra ? ` + extra ${extra.shape[2]}` : ''} does not match inputDim ${this.inputDim}`);
    }
    if (!fusedBackends.has(tf.getBackend())) return this.applyOps(x, mask, extra);
    registerBiGruKernels();
    // No tidy here: the cached projection must live as long as the caller's scope (the step).
    const G2 = 6 * this.hidden;
    let xp = this.projection(x);
    if (extra && De > 0) {
      const we = tf.slice(this.kernel, [Dx, 0], [De, G2]) as tf.Tensor2D;
      xp = tf.add(xp, tf.reshape(tf.matMul(tf.reshape(extra, [B * T, De]) as tf.Tensor2D, we), [B, T, G2]));
    }
    const m = mask.dtype === 'float32' ? mask : tf.cast(mask, 'float32');
    const inputs = { xp, recurrent: this.recurrent, recurrentBias: this.recurrentBias, mask: m };
    const [y] = tf.engine().runKernel(KERNEL, inputs as unknown as tf.NamedTensorMap, {}) as tf.Tensor[];
    return y as tf.Tensor3D;
  }

  private cached: { xId: number; kernel: unknown; bias: unknown; tape: unknown; xp: tf.Tensor3D } | undefined;

  /**
   * x W_x + b [B, T, 6H], reused while the same x tensor, the same weights and the same gradient
   * tape come again (see `apply`): a projection computed outside a `tf.grad` would carry no
   * gradient into one computed inside it, so the tape is part of the key.
   */
  private projection(x: tf.Tensor3D): tf.Tensor3D {
    const c = this.cached;
    const tape = activeTape();
    if (c && tape !== undefined && c.xId === x.id && c.kernel === this.kernel.dataId && c.bias === this.bias.dataId && c.tape === tape && !c.xp.isDisposed) return c.xp;
    const [B, T, Dx] = x.shape;
    const G2 = 6 * this.hidden;
    const wx = Dx === this.inputDim ? this.kernel : tf.slice(this.kernel, [0, 0], [Dx, G2]);
    const xp = tf.reshape(tf.add(tf.matMul(tf.reshape(x, [B * T, Dx]) as tf.Tensor2D, wx as tf.Tensor2D), this.bias), [B, T, G2]) as tf.Tensor3D;
    this.cached = { xId: x.id, kernel: this.kernel.dataId, bias: this.bias.dataId, tape, xp };
    return xp;
  }

  /** The same layer as plain tfjs ops (any backend; slow on wasm/cpu, the tests' reference). */
  applyOps(x: tf.Tensor3D, mask: tf.Tensor2D, extra?: tf.Tensor3D | null): tf.Tensor3D {
    return tf.tidy(() => {
      const De = this.inputDim - x.shape[2];
      if (De > 0) x = tf.concat([x, extra ?? tf.zeros([x.shape[0], x.shape[1], De])], 2);
      const [B, T, D] = x.shape;
      const H = this.hidden;
      const xp = tf.add(tf.matMul(tf.reshape(x, [B * T, D]), this.kernel), this.bias);
      const [xpFw, xpBw] = tf.split(tf.reshape(xp, [B, T, 6 * H]), 2, 2);
      const steps = [tf.unstack(xpFw, 1), tf.unstack(xpBw, 1)];
      const masks = tf.unstack(tf.reshape(tf.cast(mask, 'float32'), [B, T, 1]), 1);
      const wh = tf.unstack(this.recurrent, 0);
      const bh = tf.unstack(this.recurrentBias, 0);
      const outs: tf.Tensor[][] = [new Array(T), new Array(T)];
      for (let dir = 0; dir < 2; dir++) {
        let h: tf.Tensor = tf.zeros([B, H]);
        for (let s = 0; s < T; s++) {
          const t = dir === 0 ? s : T - 1 - s;
          const [xr, xz, xn] = tf.split(steps[dir][t], 3, 1);
          const [hr, hz, hn] = tf.split(tf.add(tf.matMul(h as tf.Tensor2D, wh[dir] as tf.Tensor2D), bh[dir]), 3, 1);
          const r = tf.sigmoid(tf.add(xr, hr));
          const z = tf.sigmoid(tf.add(xz, hz));
          const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
          const hNew = tf.add(n, tf.mul(z, tf.sub(h, n)));
          h = tf.add(h, tf.mul(masks[t], tf.sub(hNew, h)));
          outs[dir][t] = tf.mul(h, masks[t]);
        }
      }
      return tf.concat([tf.stack(outs[0], 1), tf.stack(outs[1], 1)], 2) as tf.Tensor3D;
    });
  }
}

/**
 * The engine's current gradient tape (null outside tf.grad), or undefined if tfjs changed its
 * internals (then callers must not reuse results across calls). A result computed under one tape
 * may be reused only under the same tape: one computed outside a `tf.grad` carries no gradient.
 */
export function activeTape(): unknown {
  const state = (tf.engine() as unknown as { state?: { activeTape?: unknown } }).state;
  return state && 'activeTape' in state ? state.activeTape : undefined;
}

// ---------------------------------------------------------------------------------------------
// The fused kernels.

const KERNEL = 'FmtlBiGru';
const GRAD_KERNEL = 'FmtlBiGruGrad';
const fusedBackends = new Set(['wasm', 'cpu']);

/**
 * Arrays for the kernels' inputs and outputs. wasm: from a pool of SharedArrayBuffer-backed arrays
 * (the outputs are copied into the wasm heap, so nothing keeps them; shared so that the second
 * thread can read and write them). cpu: fresh arrays (the backend keeps the outputs it is given).
 */
const freeShared = new Map<number, Float32Array[]>();
const MAX_POOLED = 8;

function backendTools(backend: AnyBackend) {
  const isWasm = typeof backend.typedArrayFromHeap === 'function';
  const read = (t: tf.TensorInfo) => backend.readSync(t.dataId) as Float32Array;
  const output = (shape: number[], values: Float32Array): tf.TensorInfo =>
    isWasm ? backend.makeOutput!(shape, 'float32', undefined, values) : backend.makeTensorInfo!(shape, 'float32', values);
  const taken: Float32Array[] = [];
  /** A shared array of n floats from the pool (contents undefined), valid until `release()`. */
  const take = (n: number): Float32Array => {
    const arr = freeShared.get(n)?.pop() ?? new Float32Array(new SharedArrayBuffer(4 * n));
    taken.push(arr);
    return arr;
  };
  /** A zeroed array of n floats, valid until `release()`. */
  const zeros = (n: number): Float32Array => (isWasm ? take(n).fill(0) : new Float32Array(n));
  /** An input's values where the second thread can read them (wasm), or as they are (cpu). */
  const shareable = (t: tf.TensorInfo): Float32Array => {
    if (!isWasm) return read(t);
    const view = backend.typedArrayFromHeap!(t); // a view: copied before the heap can grow
    const s = take(view.length); // every element is overwritten: no zero fill
    s.set(view);
    return s;
  };
  /** Returns the arrays from `zeros` to the pool (after the outputs were copied to the heap). */
  const release = () => {
    for (const a of taken) {
      let list = freeShared.get(a.length);
      if (!list) freeShared.set(a.length, (list = []));
      if (list.length < MAX_POOLED) list.push(a);
    }
    taken.length = 0;
  };
  return { isWasm, output, zeros, shareable, release, mats: matMulsFor(isWasm, backend) };
}

function matMulsFor(isWasm: boolean, backend: AnyBackend): MatMuls {
  if (!isWasm) return jsMatMuls;
  const n = nativeKernels();
  return n ? new NativeMatMuls(n) : new WasmMatMuls(backend);
}

type KernelArgs<K extends string> = { inputs: Record<K, tf.TensorInfo>; backend: unknown };

/**
 * Runs direction 0 here and direction 1 on the second thread when it is ready and the call is big
 * enough (wasm), else both here. A failed hand-off is redone here: the same result either way.
 */
function bothDirections(isWasm: boolean, B: number, T: number, H: number, run: (dir: number) => void,
  job: (dir: number) => DirectionJob): void {
  const other = isWasm ? gruThreadFor(B, T, H) : undefined;
  if (other) other.start(job(1));
  run(0);
  if (!other || !other.finish()) run(1);
}

/**
 * wasm with the native kernels and no second thread: outputs allocated on the wasm heap first,
 * then every array is a heap view handed to the native code (no copies in or out).
 */
function onHeap(backend: AnyBackend, outShapes: number[][], inputs: tf.TensorInfo[]): { outs: tf.TensorInfo[]; views: Float32Array[] } {
  const outs = outShapes.map((shape) => backend.makeOutput!(shape, 'float32'));
  // Views only after the allocations (growing the heap detaches earlier views); outputs zeroed
  // (the heap is not), as masked steps are never written.
  const views = [...inputs, ...outs].map((t) => backend.typedArrayFromHeap!(t));
  for (const v of views.slice(inputs.length)) v.fill(0);
  return { outs, views };
}

function forwardKernel(args: KernelArgs<'xp' | 'recurrent' | 'recurrentBias' | 'mask'>): tf.TensorInfo[] {
  const { xp: xpInfo, recurrent, recurrentBias, mask } = args.inputs;
  const [B, T] = xpInfo.shape;
  const H = recurrent.shape[1], BT = B * T;
  const backend = args.backend as AnyBackend;
  const native = nativeKernels();
  if (native && typeof backend.typedArrayFromHeap === 'function' && !gruThreadFor(B, T, H)) {
    const { outs, views: [xp, w, bh, m, y, ws] } = onHeap(backend, [[B, T, 2 * H], [2, T, B, WS * H]], [xpInfo, recurrent, recurrentBias, mask]);
    for (let dir = 0; dir < 2; dir++) native.gruForward(B, T, H, dir, xp, w, bh, m, y, ws);
    return outs;
  }
  const { isWasm, output, zeros, shareable, release, mats } = backendTools(backend);
  const a: ForwardArrays = {
    xp: shareable(xpInfo), w: shareable(recurrent), bh: shareable(recurrentBias), m: shareable(mask),
    y: zeros(BT * 2 * H), ws: zeros(2 * T * B * WS * H),
  };
  bothDirections(isWasm, B, T, H, (dir) => forwardDirection(B, T, H, dir, a, mats), (dir) => ({ kind: 'forward', B, T, H, dir, native: mats instanceof NativeMatMuls, arrays: a }));
  mats.done();
  const outs = [output([B, T, 2 * H], a.y), output([2, T, B, WS * H], a.ws)];
  release();
  return outs;
}

function backwardKernel(args: KernelArgs<'dy' | 'recurrent' | 'ws' | 'mask'>): tf.TensorInfo[] {
  const { dy, recurrent, ws: wsInfo, mask } = args.inputs;
  const [B, T] = dy.shape;
  const H = recurrent.shape[1], G = 3 * H, G2 = 6 * H, BT = B * T;
  const backend = args.backend as AnyBackend;
  const native = nativeKernels();
  if (native && typeof backend.typedArrayFromHeap === 'function' && !gruThreadFor(B, T, H)) {
    const { outs, views: [g, w, ws, m, dxp, dW, dbh] } = onHeap(backend, [[B, T, G2], [2, H, G], [2, 1, G]], [dy, recurrent, wsInfo, mask]);
    for (let dir = 0; dir < 2; dir++) native.gruBackward(B, T, H, dir, g, w, ws, m, dxp, dW, dbh);
    return outs;
  }
  const { isWasm, output, zeros, shareable, release, mats } = backendTools(backend);
  const a: BackwardArrays = {
    dy: shareable(dy), w: shareable(recurrent), ws: shareable(wsInfo), m: shareable(mask),
    dxp: zeros(BT * G2), dW: zeros(2 * H * G), dbh: zeros(2 * G),
  };
  bothDirections(isWasm, B, T, H, (dir) => backwardDirection(B, T, H, dir, a, mats), (dir) => ({ kind: 'backward', B, T, H, dir, native: mats instanceof NativeMatMuls, arrays: a }));
  mats.done();
  const outs = [output([B, T, G2], a.dxp), output([2, H, G], a.dW), output([2, 1, G], a.dbh)];
  release();
  return outs;
}

let registered = false;

/** Registers the fused kernels and the gradient (idempotent; called on first use). */
export function registerBiGruKernels(): void {
  if (registered) return;
  registered = true;
  for (const backendName of fusedBackends) {
    tf.registerKernel({ kernelName: KERNEL, backendName, kernelFunc: forwardKernel as unknown as tf.KernelFunc });
    tf.registerKernel({ kernelName: GRAD_KERNEL, backendName, kernelFunc: backwardKernel as unknown as tf.KernelFunc });
  }
  tf.registerGradient({
    kernelName: KERNEL,
    inputsToSave: ['recurrent', 'mask'],
    outputsToSave: [false, true],
    gradFunc: (dys, saved) => {
      const [recurrent, mask, ws] = saved;
      const dy = Array.isArray(dys) ? dys[0] : dys;
      // Computed once, here: the engine calls each input's thunk inside its own tidy, so a lazy
      // shared computation would lose the other results; unrequested ones die with backprop's tidy.
      const [dxp, dW, dbh] = tf.engine().runKernel(GRAD_KERNEL, { dy, recurrent, ws, mask }, {}) as tf.Tensor[];
      return { xp: () => dxp, recurrent: () => dW, recurrentBias: () => dbh, mask: () => tf.zerosLike(mask) };
    },
  });
}
