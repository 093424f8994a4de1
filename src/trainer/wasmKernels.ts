/**
 * The project's own kernels for the two gaps of `@tensorflow/tfjs-backend-wasm` 4.22.0 (see
 * `../shared/reference/tfjs-backends.md`):
 *
 * 1. **UnsortedSegmentSum** — the op behind the gradient of `tf.gather`, i.e. of every embedding
 *    lookup. wasm has no kernel at all (embedding gradients throw); cpu has one that loops over every
 *    segment (= the whole vocabulary) with a full equal/cast/mul/sum each time, O(V·N·D). Ours is one
 *    pass over the rows, O(N·D), registered for both wasm and cpu.
 * 2. **BatchMatMul / _FusedMatMul with `transposeA`/`transposeB`** on wasm is 3–10x slower than an
 *    explicit `Transpose` followed by a plain product — and every matMul gradient asks for the
 *    transposed form. We wrap the wasm kernels to transpose explicitly first.
 * 3. Found while testing 2: wasm **_FusedMatMul adds the bias wrongly when the batch is > 1**
 *    (`tf.fused.matMul` of a [B, T, D] input with a [D, N] weight and a bias: rows after the first
 *    of each batch get the wrong bias entries; off by up to max(bias) − min(bias)). Our wrapper
 *    flattens the batch into the rows when the weight is shared (the dense-layer case: one fused
 *    call, also faster), and otherwise computes matMul, bias add and activation as separate kernels.
 *
 * Both are tested against the cpu backend's results (`test/trainer/wasmKernels.test.ts`).
 *
 * Also here, for speed: Identity shares memory instead of copying (see `identityShared`),
 * GatherV2 copies whole rows (see `gatherRowsInto`), and BatchMatMul goes through the optional
 * native kernels (`native/`) when they are built.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo, KernelConfig, KernelFunc, NamedTensorInfoMap, NamedAttrMap } from '@tensorflow/tfjs-core';
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { nativeBatchMatMul } from './native/batchMatMul';
import { nativeKernels } from './native/nativeKernels';

/** Marker on kernel configs we registered, so registering again is a no-op (idempotence). */
const OURS = Symbol.for('feedback-mtl.projectKernel');
type MarkedConfig = KernelConfig & { [OURS]?: true };

type NumArray = Float32Array | Int32Array;

/**
 * out[ids[i], j] += x[i, j] for every row i whose id is in [0, numSegments); other ids (negative or
 * too large) are dropped, as TensorFlow drops negative ids and the cpu backend ignores all ids it
 * has no segment for. `out` must be zeroed, length numSegments * inner.
 */
export function segmentSumInto(out: NumArray, x: ArrayLike<number>, ids: ArrayLike<number>, inner: number, numSegments: number): void {
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const o = s * inner;
    const p = i * inner;
    for (let j = 0; j < inner; j++) out[o + j] += x[p + j];
  }
}

/** Output shape and row width; segmentIds covers the leading dimensions of x (TensorFlow semantics). */
function segmentGeometry(x: TensorInfo, segmentIds: TensorInfo, numSegments: number): { outShape: number[]; inner: number } {
  const r = segmentIds.shape.length;
  for (let d = 0; d < r; d++) {
    if (segmentIds.shape[d] !== x.shape[d]) {
      throw new Error(`UnsortedSegmentSum: segmentIds shape [${segmentIds.shape}] must be a prefix of x shape [${x.shape}]`);
    }
  }
  const innerShape = x.shape.slice(r);
  const inner = innerShape.reduce((a, b) => a * b, 1);
  return { outShape: [numSegments, ...innerShape], inner };
}

function checkDtype(x: TensorInfo): 'float32' | 'int32' {
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`UnsortedSegmentSum: unsupported dtype ${x.dtype}`);
  return x.dtype;
}

const segmentSumWasm: KernelFunc = ({ inputs, attrs, backend }) => {
  const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const numSegments = (attrs as { numSegments: number }).numSegments;
  const b = backend as BackendWasm;
  const dtype = checkDtype(x);
  const { outShape, inner } = segmentGeometry(x, segmentIds, numSegments);
  // Allocate first: growing the wasm heap detaches earlier views, so take views only afterwards.
  const out = b.makeOutput(outShape, dtype);
  const outV = b.typedArrayFromHeap(out) as NumArray;
  outV.fill(0); // the heap allocation is not zeroed
  segmentSumInto(outV, b.typedArrayFromHeap(x), b.typedArrayFromHeap(segmentIds), inner, numSegments);
  return out;
};

const segmentSumCpu: KernelFunc = ({ inputs, attrs, backend }) => {
  const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const numSegments = (attrs as { numSegments: number }).numSegments;
  const b = backend as MathBackendCPU;
  const dtype = checkDtype(x);
  const { outShape, inner } = segmentGeometry(x, segmentIds, numSegments);
  const out = dtype === 'int32' ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
  segmentSumInto(out, b.readSync(x.dataId) as NumArray, b.readSync(segmentIds.dataId) as Int32Array, inner, numSegments);
  return b.makeTensorInfo(outShape, dtype, out);
};

/**
 * out[b, o, i, :] = x[b, o, ids[b, i], :] for x seen as [batch, outer, dim, inner] and ids as
 * [batch, n] (gather along `dim`; batch > 1 is tfjs's `batchDims`): each slice of `inner` values is
 * copied whole. tfjs-wasm's GatherV2 computes every element's source through strides, which costs
 * 25–60x an element-wise add of the same output size (0.47 ms for a 288-row word lookup, 3.3 ms for
 * 3,500 character rows, measured; see bench/README.md), and with batchDims > 0 it reads the wrong
 * rows (tfjs 4.22; cpu is right). Ids must be in [0, dim) (checked by the kernel).
 */
export function gatherRowsInto(out: NumArray, x: NumArray, ids: ArrayLike<number>, batch: number, outer: number, dim: number, inner: number): void {
  const n = ids.length / batch;
  let dst = 0;
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < outer; o++) {
      const base = (b * outer + o) * dim * inner;
      for (let i = b * n; i < (b + 1) * n; i++, dst += inner) {
        const src = base + ids[i] * inner;
        if (inner >= 16) out.set(x.subarray(src, src + inner), dst);
        else for (let j = 0; j < inner; j++) out[dst + j] = x[src + j];
      }
    }
  }
}

/** wasm GatherV2 by row copies (`gatherRowsInto`); dtypes other than float32/int32 go to the original. */
const gatherWasm = (orig: KernelFunc): KernelFunc => (args) => {
  const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
  const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
  if ((x.dtype !== 'float32' && x.dtype !== 'int32') || indices.dtype !== 'int32') return orig(args);
  const b = args.backend as BackendWasm;
  const ax = tf.util.parseAxisParam(axis, x.shape)[0];
  const bd = batchDims ?? 0;
  if (bd > ax || bd > indices.shape.length) return orig(args); // invalid: the original's checks say why
  const dim = x.shape[ax];
  const ids = b.typedArrayFromHeap(indices) as Int32Array;
  for (let i = 0; i < ids.length; i++) {
    if (!(ids[i] >= 0 && ids[i] < dim)) throw new Error(`GatherV2: the index value ${ids[i]} is not in [0, ${dim - 1}]`);
  }
  const out = b.makeOutput([...x.shape.slice(0, ax), ...indices.shape.slice(bd), ...x.shape.slice(ax + 1)], x.dtype);
  if (size(x.shape) === 0 || ids.length === 0) return out;
  // Views only after allocating: growing the wasm heap detaches earlier ones.
  gatherRowsInto(b.typedArrayFromHeap(out) as NumArray, b.typedArrayFromHeap(x) as NumArray, b.typedArrayFromHeap(indices) as Int32Array,
    size(x.shape.slice(0, bd)), size(x.shape.slice(bd, ax)), dim, size(x.shape.slice(ax + 1)));
  return out;
};

/** Swap the last two axes. */
function lastTwoPerm(rank: number): number[] {
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

/** The wasm kernels our wrappers call; looked up once at registration. */
interface WasmParts {
  transpose: KernelConfig;
  reshape: KernelConfig;
  batchMatMul: KernelConfig;
  add: KernelConfig;
  activations: Record<string, KernelConfig | undefined>;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Run a wasm kernel that returns one tensor. */
function run(k: KernelConfig, inputs: NamedTensorInfoMap, attrs: NamedAttrMap, backend: BackendWasm): TensorInfo {
  return k.kernelFunc({ inputs, attrs, backend }) as TensorInfo;
}

/**
 * Wrap a wasm matmul-like kernel (inputs a, b, ...; attrs transposeA/transposeB) so transposes are
 * done by the wasm Transpose kernel and `body` always sees the plain product.
 */
function explicitTranspose(parts: WasmParts, body: KernelFunc): KernelFunc {
  return (args) => {
    const attrs = args.attrs as NamedAttrMap & { transposeA?: boolean; transposeB?: boolean };
    if (!attrs.transposeA && !attrs.transposeB) return body(args);
    const backend = args.backend as BackendWasm;
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const tr = (t: TensorInfo) => run(parts.transpose, { x: t }, { perm: lastTwoPerm(t.shape.length) }, backend);
    const a2 = attrs.transposeA ? tr(a) : a;
    const b2 = attrs.transposeB ? tr(b) : b;
    try {
      const inputs: NamedTensorInfoMap = { ...args.inputs, a: a2, b: b2 };
      return body({ inputs, attrs: { ...attrs, transposeA: false, transposeB: false }, backend });
    } finally {
      // The wasm Transpose always returns fresh memory (even for a no-op permutation it copies).
      if (a2 !== a) backend.disposeData(a2.dataId);
      if (b2 !== b) backend.disposeData(b2.dataId);
    }
  };
}

/**
 * `_FusedMatMul` without transposes, correct for batched inputs with a bias (gap 3 above).
 * The original is used as is when there is no bias or no batch.
 */
function fusedWithoutBatchBiasBug(parts: WasmParts, orig: KernelConfig): KernelFunc {
  return (args) => {
    const backend = args.backend as BackendWasm;
    const { a, b, bias, preluActivationWeights: prelu } = args.inputs as { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
    const attrs = args.attrs as NamedAttrMap & { activation: string; leakyreluAlpha?: number };
    const batchA = size(a.shape.slice(0, -2));
    const batchB = size(b.shape.slice(0, -2));
    if (!bias || Math.max(batchA, batchB) <= 1) return orig.kernelFunc(args);
    const [m, k] = a.shape.slice(-2);
    const n = b.shape[b.shape.length - 1];
    const outShape = [...tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)), m, n];
    const temps: TensorInfo[] = [];
    const keep = (t: TensorInfo) => (temps.push(t), t);
    try {
      if (batchB === 1 && (!prelu || prelu.shape.length <= 1)) {
        // Shared weight: [batch*m, k] x [k, n] is one unbatched fused call (rows are contiguous).
        const a2 = keep(run(parts.reshape, { x: a }, { shape: [1, batchA * m, k] }, backend));
        const b2 = keep(run(parts.reshape, { x: b }, { shape: [1, k, n] }, backend));
        const out = keep(orig.kernelFunc({ ...args, inputs: { ...args.inputs, a: a2, b: b2 } }) as TensorInfo);
        return run(parts.reshape, { x: out }, { shape: outShape }, backend);
      }
      // Per-batch weights: separate kernels.
      let y = keep(run(parts.batchMatMul, { a, b }, { transposeA: false, transposeB: false }, backend));
      y = keep(run(parts.add, { a: y, b: bias }, {}, backend));
      const act = attrs.activation ?? 'linear';
      if (act === 'linear') return run(parts.reshape, { x: y }, { shape: outShape }, backend);
      const kernel = parts.activations[act];
      if (!kernel) throw new Error(`_FusedMatMul: activation ${act} not supported on wasm`);
      const actInputs: NamedTensorInfoMap = act === 'prelu' ? { x: y, alpha: prelu as TensorInfo } : { x: y };
      const actAttrs: NamedAttrMap = act === 'leakyrelu' ? { alpha: attrs.leakyreluAlpha ?? 0.2 } : {};
      return run(kernel, actInputs, actAttrs, backend);
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}

/**
 * wasm Identity that shares the input's memory (as the cpu backend's does) instead of copying it.
 * The engine calls Identity for every tensor the gradient tape saves (~375 calls and ~4 % of a
 * SNIPS step, measured). Safe because nothing on wasm writes a tensor's memory in place: every
 * kernel, ours included, writes only to memory it allocated for its outputs.
 */
const identityShared = (orig: KernelFunc): KernelFunc => (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  if (x.dtype === 'string') return orig(args);
  (args.backend as BackendWasm).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/** BatchMatMul through the native kernels when they are loaded and cover the case, else `wasm`. */
function withNative(wasm: KernelFunc): KernelFunc {
  return (args) => {
    const n = nativeKernels();
    return (n && nativeBatchMatMul(n, args)) ?? wasm(args);
  };
}

function isOurs(cfg: KernelConfig | undefined): boolean {
  return !!cfg && (cfg as MarkedConfig)[OURS] === true;
}

function replaceKernel(cfg: MarkedConfig): void {
  if (tf.getKernel(cfg.kernelName, cfg.backendName)) tf.unregisterKernel(cfg.kernelName, cfg.backendName);
  cfg[OURS] = true;
  tf.registerKernel(cfg);
}

/**
 * Register the project's kernels: linear-time `UnsortedSegmentSum` on wasm and cpu, and the
 * explicit-transpose `BatchMatMul` / `_FusedMatMul` (with the batched-bias fix), the shared-memory
 * `Identity` and the row-copying `GatherV2` on wasm.
 * Idempotent (a second call changes nothing). Safe before or after the wasm backend initialises: the wrapped kernels keep the
 * originals' `setupFunc` (which binds the wasm functions at backend init) and call the originals.
 */
export function registerProjectKernels(): void {
  // Referenced so bundlers keep the backends' registration side effects.
  void BackendWasm; void MathBackendCPU;

  for (const [backendName, kernelFunc] of [['wasm', segmentSumWasm], ['cpu', segmentSumCpu]] as const) {
    if (isOurs(tf.getKernel(tf.UnsortedSegmentSum, backendName))) continue;
    replaceKernel({ kernelName: tf.UnsortedSegmentSum, backendName, kernelFunc });
  }

  const need = (name: string) => {
    const k = tf.getKernel(name, 'wasm');
    if (!k) throw new Error(`wasm ${name} kernel not registered: is @tensorflow/tfjs-backend-wasm loaded?`);
    return k;
  };
  const batchMatMul = need(tf.BatchMatMul);
  const fused = need(tf._FusedMatMul);
  const parts: WasmParts = {
    transpose: need(tf.Transpose),
    reshape: need(tf.Reshape),
    add: need(tf.Add),
    batchMatMul,
    activations: {
      relu: tf.getKernel(tf.Relu, 'wasm'), relu6: tf.getKernel(tf.Relu6, 'wasm'), elu: tf.getKernel(tf.Elu, 'wasm'),
      sigmoid: tf.getKernel(tf.Sigmoid, 'wasm'), leakyrelu: tf.getKernel(tf.LeakyRelu, 'wasm'), prelu: tf.getKernel(tf.Prelu, 'wasm'),
    },
  };
  if (!isOurs(batchMatMul)) {
    replaceKernel({
      kernelName: tf.BatchMatMul, backendName: 'wasm', setupFunc: batchMatMul.setupFunc, disposeFunc: batchMatMul.disposeFunc,
      kernelFunc: withNative(explicitTranspose(parts, batchMatMul.kernelFunc)),
    });
  }
  const identity = need(tf.Identity);
  if (!isOurs(identity)) {
    replaceKernel({ kernelName: tf.Identity, backendName: 'wasm', setupFunc: identity.setupFunc, kernelFunc: identityShared(identity.kernelFunc) });
  }
  const gather = need(tf.GatherV2);
  if (!isOurs(gather)) {
    replaceKernel({ kernelName: tf.GatherV2, backendName: 'wasm', setupFunc: gather.setupFunc, kernelFunc: gatherWasm(gather.kernelFunc) });
  }
  if (!isOurs(fused)) {
    replaceKernel({
      kernelName: tf._FusedMatMul, backendName: 'wasm', setupFunc: fused.setupFunc, disposeFunc: fused.disposeFunc,
      kernelFunc: explicitTranspose(parts, fusedWithoutBatchBiasBug(parts, fused)),
    });
  }
}
