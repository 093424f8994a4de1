import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../rng';

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
 * BatchMatMul kernel (XNNPACK on wasm) in its fast, untransposed form. Other backends (tfjs-node,
 * webgl) use the op-by-op graph {@link BiGru.applyOps}, which is also the tests' reference.
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
 * Matrix products for the kernels: `out[M,N] = a[M,K] · b[K,N]`, where `b` is prepared once and
 * reused (XNNPACK packs it once per kernel call, not per timestep). `done()` frees what the
 * kernel call allocated.
 */
interface MatMuls {
  prepare(b: Float32Array, K: number, N: number): Prepared;
  mm(a: Float32Array, M: number, K: number, b: Prepared, out: Float32Array): void;
  done(): void;
}
type Prepared = { K: number; N: number; data?: Float32Array; id?: number; shape?: Uint8Array };

/** Loose view of the backends' internals the kernels use. */
type AnyBackend = {
  readSync(dataId: unknown): unknown;
  disposeData(dataId: unknown): boolean;
  makeTensorInfo?(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
  makeOutput?(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: Float32Array): tf.TensorInfo;
  typedArrayFromHeap?(t: tf.TensorInfo): Float32Array;
  dataIdMap?: { get(dataId: unknown): { id: number } };
  wasm?: { cwrap(name: string, ret: null, args: string[]): (...a: unknown[]) => void };
};

type WasmMatMul = (aId: number, aShape: Uint8Array, aRank: number, bId: number, bShape: Uint8Array, bRank: number,
  transposeA: number, transposeB: number, outId: number) => void;
let wasmBatchMatMul: WasmMatMul | undefined;

/**
 * wasm: calls the backend's own C++ BatchMatMul (XNNPACK) directly on tensors allocated once per
 * kernel call — no engine, no per-step malloc, no reshape bookkeeping; only the untransposed form,
 * which is the fast one.
 *
 * A class, not closures made per call: V8's optimised kernels inline `mats.mm`, and a fresh
 * closure per kernel call was a "wrong call target" deoptimisation on every call of the first steps.
 */
class WasmMatMuls implements MatMuls {
  private readonly owned: tf.TensorInfo[] = [];
  private readonly scratch = new Map<string, { info: tf.TensorInfo; id: number; shape: Uint8Array }>();
  private readonly call: WasmMatMul;

  constructor(private readonly backend: AnyBackend) {
    const { makeOutput, typedArrayFromHeap, dataIdMap, wasm } = backend;
    if (!makeOutput || !typedArrayFromHeap || !dataIdMap || !wasm) throw new Error('unexpected wasm backend internals');
    wasmBatchMatMul ??= wasm.cwrap('BatchMatMul', null,
      ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']) as unknown as WasmMatMul;
    this.call = wasmBatchMatMul;
  }

  private alloc(shape: number[], values?: Float32Array) {
    const info = this.backend.makeOutput!(shape, 'float32', undefined, values);
    this.owned.push(info);
    return { info, id: this.backend.dataIdMap!.get(info.dataId).id, shape: new Uint8Array(new Int32Array(shape).buffer) };
  }

  private scratchOf(rows: number, cols: number) {
    const key = `${rows}x${cols}`;
    let s = this.scratch.get(key);
    if (!s) { s = this.alloc([1, rows, cols]); this.scratch.set(key, s); }
    return s;
  }

  prepare(b: Float32Array, K: number, N: number): Prepared {
    const t = this.alloc([1, K, N], b);
    return { K, N, id: t.id, shape: t.shape };
  }

  mm(a: Float32Array, M: number, K: number, b: Prepared, out: Float32Array): void {
    const ai = this.scratchOf(M, K);
    const oi = this.scratchOf(M, b.N);
    // Views are taken right before use: the wasm heap may have grown (detaching older views).
    this.backend.typedArrayFromHeap!(ai.info).set(a.length === M * K ? a : a.subarray(0, M * K));
    this.call(ai.id, ai.shape, 3, b.id!, b.shape!, 3, 0, 0, oi.id);
    out.set(this.backend.typedArrayFromHeap!(oi.info));
  }

  done(): void {
    for (const t of this.owned) this.backend.disposeData(t.dataId);
    this.owned.length = 0;
    this.scratch.clear();
  }
}

/** Plain loops for the cpu backend (its fallback status does not justify more). */
class JsMatMuls implements MatMuls {
  prepare(b: Float32Array, K: number, N: number): Prepared { return { K, N, data: b }; }

  mm(a: Float32Array, M: number, K: number, b: Prepared, out: Float32Array): void {
    const N = b.N, bd = b.data!;
    out.fill(0, 0, M * N);
    for (let i = 0; i < M; i++) {
      const oi = i * N;
      for (let k = 0; k < K; k++) {
        const av = a[i * K + k];
        if (av === 0) continue;
        const bk = k * N;
        for (let j = 0; j < N; j++) out[oi + j] += av * bd[bk + j];
      }
    }
  }

  done(): void {}
}
const jsMatMuls = new JsMatMuls();

/**
 * Zero-filled work arrays reused across kernel calls (wasm only: its outputs are copied into the
 * heap, so nothing keeps our arrays; the cpu backend keeps the output arrays it is given). A
 * step's kernels allocated ~5 MB of short-lived arrays, which showed up as GC time.
 */
const freeArrays = new Map<number, Float32Array[]>();
const MAX_POOLED = 8;

function backendTools(backend: AnyBackend) {
  const isWasm = typeof backend.typedArrayFromHeap === 'function';
  const read = (t: tf.TensorInfo) => backend.readSync(t.dataId) as Float32Array;
  const output = (shape: number[], values: Float32Array): tf.TensorInfo =>
    isWasm ? backend.makeOutput!(shape, 'float32', undefined, values) : backend.makeTensorInfo!(shape, 'float32', values);
  const taken: Float32Array[] = [];
  /** A zeroed array of n floats, valid until `release()`. */
  const zeros = (n: number): Float32Array => {
    if (!isWasm) return new Float32Array(n);
    const a = freeArrays.get(n)?.pop();
    const arr = a ? a.fill(0) : new Float32Array(n);
    taken.push(arr);
    return arr;
  };
  /** Returns the arrays from `zeros` to the pool (after the outputs were copied to the heap). */
  const release = () => {
    for (const a of taken) {
      let list = freeArrays.get(a.length);
      if (!list) freeArrays.set(a.length, (list = []));
      if (list.length < MAX_POOLED) list.push(a);
    }
    taken.length = 0;
  };
  return { read, output, zeros, release, mats: isWasm ? new WasmMatMuls(backend) as MatMuls : jsMatMuls };
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

/** Per (direction, time, example) the workspace keeps r, z, n, h W_hn + b_hn and the previous state. */
const WS = 5;

type KernelArgs<K extends string> = { inputs: Record<K, tf.TensorInfo>; backend: unknown };

function forwardKernel(args: KernelArgs<'xp' | 'recurrent' | 'recurrentBias' | 'mask'>): tf.TensorInfo[] {
  const { xp: xpInfo, recurrent, recurrentBias, mask } = args.inputs;
  const { read, output, zeros, release, mats } = backendTools(args.backend as AnyBackend);
  const [B, T] = xpInfo.shape;
  const H = recurrent.shape[1], G = 3 * H, BT = B * T;
  const bh = read(recurrentBias), w = read(recurrent), m = read(mask), xp = read(xpInfo);

  const y = zeros(BT * 2 * H);
  const ws = zeros(2 * T * B * WS * H);
  const h = zeros(B * H);
  const gh = zeros(B * G);
  for (let dir = 0; dir < 2; dir++) {
    const pw = mats.prepare(w.subarray(dir * H * G, (dir + 1) * H * G), H, G);
    h.fill(0);
    for (let s = 0; s < T; s++) {
      const t = dir === 0 ? s : T - 1 - s;
      mats.mm(h, B, H, pw, gh);
      forwardGates(B, T, H, dir, t, m, xp, gh, bh, h, ws, y);
    }
  }
  mats.done();
  const outs = [output([B, T, 2 * H], y), output([2, T, B, WS * H], ws)];
  release();
  return outs;
}

/**
 * One timestep of one direction, all examples: gates from x's projection and h W_h, the new state
 * into h and y, what the backward pass needs into ws. Its own small function (like
 * `backwardGates`) so V8 optimises it after a few calls with complete type feedback, instead of
 * on-stack-replacing one large kernel mid-loop and deoptimising it on the first branch not yet run
 * (that made the first training steps several times slower than the later ones).
 */
function forwardGates(B: number, T: number, H: number, dir: number, t: number, m: Float32Array, xp: Float32Array,
  gh: Float32Array, bh: Float32Array, h: Float32Array, ws: Float32Array, y: Float32Array): void {
  const G = 3 * H, G2 = 6 * H, bo = dir * G;
  for (let b = 0; b < B; b++) {
    if (m[b * T + t] === 0) continue; // state kept, output and workspace stay zero
    const xo = (b * T + t) * G2 + dir * G, go = b * G, ho = b * H;
    const wo = ((dir * T + t) * B + b) * WS * H, yo = (b * T + t) * 2 * H + dir * H;
    for (let j = 0; j < H; j++) {
      const hp = h[ho + j];
      const r = 0.5 + 0.5 * tanhF32(0.5 * (xp[xo + j] + gh[go + j] + bh[bo + j]));
      const z = 0.5 + 0.5 * tanhF32(0.5 * (xp[xo + H + j] + gh[go + H + j] + bh[bo + H + j]));
      const ghn = gh[go + 2 * H + j] + bh[bo + 2 * H + j];
      const n = tanhF32(xp[xo + 2 * H + j] + r * ghn);
      const hn = n + z * (hp - n);
      ws[wo + j] = r; ws[wo + H + j] = z; ws[wo + 2 * H + j] = n; ws[wo + 3 * H + j] = ghn; ws[wo + 4 * H + j] = hp;
      h[ho + j] = hn;
      y[yo + j] = hn;
    }
  }
}

function backwardKernel(args: KernelArgs<'dy' | 'recurrent' | 'ws' | 'mask'>): tf.TensorInfo[] {
  const { dy, recurrent, ws: wsInfo, mask } = args.inputs;
  const { read, output, zeros, release, mats } = backendTools(args.backend as AnyBackend);
  const [B, T] = dy.shape;
  const H = recurrent.shape[1], G = 3 * H, G2 = 6 * H, BT = B * T;
  const g = read(dy), w = read(recurrent), ws = read(wsInfo), m = read(mask);

  const dxp = zeros(BT * G2);
  const dW = zeros(2 * H * G);
  const dbh = zeros(2 * G);
  const dh = zeros(B * H);
  const dhp = zeros(B * H);
  const dgh = zeros(T * B * G); // per direction: rows (t, b), the gradient of h W_h + b_h
  const hpT = zeros(H * T * B); // per direction: previous states, transposed, for dW
  for (let dir = 0; dir < 2; dir++) {
    const pwT = mats.prepare(transpose(w.subarray(dir * H * G, (dir + 1) * H * G), H, G), G, H);
    dh.fill(0); dgh.fill(0); hpT.fill(0);
    for (let s = T - 1; s >= 0; s--) {
      const t = dir === 0 ? s : T - 1 - s;
      backwardGates(B, T, H, dir, t, m, g, ws, dh, dxp, dgh, hpT);
      mats.mm(dgh.subarray(t * B * G, (t + 1) * B * G), B, G, pwT, dhp);
      addInto(dh, dhp, B * H);
    }
    const pg = mats.prepare(dgh, BT, G);
    mats.mm(hpT, H, BT, pg, dW.subarray(dir * H * G, (dir + 1) * H * G));
    sumRows(dgh, BT, G, dbh, dir * G);
  }

  mats.done();
  const outs = [output([B, T, G2], dxp), output([2, H, G], dW), output([2, 1, G], dbh)];
  release();
  return outs;
}

/**
 * tanh to float32 accuracy (|error| <= 2.2e-7, about one float32 ulp; the gates are stored as
 * float32 anyway): Eigen's rational approximation, the one TensorFlow's CPU kernels use, clamped
 * where float32 tanh is ±1. 4-5x faster than Math.tanh/Math.exp, which were most of the forward
 * kernel's time (three per gate element). sigmoid(a) = 0.5 + 0.5 tanh(a / 2).
 */
export function tanhF32(x: number): number {
  if (x > 7.99881172180175781) x = 7.99881172180175781;
  else if (x < -7.99881172180175781) x = -7.99881172180175781;
  const x2 = x * x;
  let p = x2 * -2.76076847742355e-16 + 2.00018790482477e-13;
  p = x2 * p + -8.60467152213735e-11;
  p = x2 * p + 5.12229709037114e-08;
  p = x2 * p + 1.48572235717979e-05;
  p = x2 * p + 6.37261928875436e-04;
  p = x2 * p + 4.89352455891786e-03;
  let q = x2 * 1.19825839466702e-06 + 1.18534705686654e-04;
  q = x2 * q + 2.26843463243900e-03;
  q = x2 * q + 4.89352518554385e-03;
  return (x * p) / q;
}

/** Gate gradients of one timestep of one direction, all examples (see `forwardGates` for why apart). */
function backwardGates(B: number, T: number, H: number, dir: number, t: number, m: Float32Array, g: Float32Array,
  ws: Float32Array, dh: Float32Array, dxp: Float32Array, dgh: Float32Array, hpT: Float32Array): void {
  const G = 3 * H, G2 = 6 * H, BT = B * T;
  for (let b = 0; b < B; b++) {
    if (m[b * T + t] === 0) continue; // state passed through: dh unchanged, no gate gradients
    const xo = (b * T + t) * G2 + dir * G, ho = b * H, row = t * B + b, go = row * G;
    const wo = ((dir * T + t) * B + b) * WS * H, yo = (b * T + t) * 2 * H + dir * H;
    for (let j = 0; j < H; j++) {
      const dht = dh[ho + j] + g[yo + j];
      const r = ws[wo + j], z = ws[wo + H + j], n = ws[wo + 2 * H + j], ghn = ws[wo + 3 * H + j], hp = ws[wo + 4 * H + j];
      const dan = dht * (1 - z) * (1 - n * n);
      const dar = dan * ghn * r * (1 - r);
      const daz = dht * (hp - n) * z * (1 - z);
      dxp[xo + j] = dar; dxp[xo + H + j] = daz; dxp[xo + 2 * H + j] = dan;
      dgh[go + j] = dar; dgh[go + H + j] = daz; dgh[go + 2 * H + j] = dan * r;
      dh[ho + j] = dht * z;
      hpT[j * BT + row] = hp;
    }
  }
}

function addInto(a: Float32Array, b: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) a[i] += b[i];
}

/** out[offset + j] += sum over rows of a[row, j]. */
function sumRows(a: Float32Array, rows: number, cols: number, out: Float32Array, offset: number): void {
  for (let row = 0; row < rows; row++) for (let j = 0; j < cols; j++) out[offset + j] += a[row * cols + j];
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
