/**
 * Matrix products for the fused BiGRU kernels (`gru.ts`, and the second thread of `gruWorker.ts`):
 * on wasm through the native kernels (OpenBLAS) when built, else straight into the backend's own
 * XNNPACK BatchMatMul; on cpu plain loops.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { NativeKernels } from '../native/nativeKernels';

/**
 * Matrix products for the kernels: `out[M,N] = a[M,K] · b[K,N]`, where `b` is prepared once and
 * reused (XNNPACK packs it once per kernel call, not per timestep). `done()` frees what the
 * kernel call allocated.
 */
export interface MatMuls {
  /** Set when the native kernels run whole directions (gruMath.ts hands them the work). */
  readonly native?: NativeKernels;
  prepare(b: Float32Array, K: number, N: number): Prepared;
  mm(a: Float32Array, M: number, K: number, b: Prepared, out: Float32Array): void;
  done(): void;
}
export type Prepared = { K: number; N: number; data?: Float32Array; id?: number; shape?: Uint8Array };

/** Loose view of the backends' internals the kernels use. */
export type AnyBackend = {
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
export class WasmMatMuls implements MatMuls {
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
export class JsMatMuls implements MatMuls {
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
export const jsMatMuls = new JsMatMuls();

/** OpenBLAS through the native kernels (`../native`), straight on the kernels' own arrays: no copies. */
export class NativeMatMuls implements MatMuls {
  constructor(readonly native: NativeKernels) {}

  prepare(b: Float32Array, K: number, N: number): Prepared { return { K, N, data: b }; }

  mm(a: Float32Array, M: number, K: number, b: Prepared, out: Float32Array): void {
    this.native.sgemmBatch(0, 0, 1, M, b.N, K, a, 0, b.data!, 0, out, 0);
  }

  done(): void {}
}
