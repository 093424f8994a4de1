/**
 * The wasm backend's BatchMatMul through the native kernels (OpenBLAS sgemm on views of the wasm
 * heap): transposes are sgemm flags, not copies; a batch of 1 on either side is broadcast by a
 * zero stride. Returns undefined for what it does not cover (other dtypes, mixed broadcasting,
 * mismatched inner sizes), and the caller runs the wasm kernel, which also words the errors.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeKernels } from './nativeKernels';

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export function nativeBatchMatMul(n: NativeKernels, args: Parameters<KernelFunc>[0]): TensorInfo | undefined {
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = args.attrs as NamedAttrMap & { transposeA?: boolean; transposeB?: boolean };
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const ra = a.shape.length, rb = b.shape.length;
  if (ra < 2 || rb < 2) return undefined;
  const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const Kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (K !== Kb) return undefined;
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = size(outer), batchA = size(a.shape.slice(0, -2)), batchB = size(b.shape.slice(0, -2));
  // Equal batches line up element for element; a batch of 1 is shared. Anything else: wasm.
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) return undefined;
  const backend = args.backend as BackendWasm;
  const out = backend.makeOutput([...outer, M, N], 'float32');
  if (batch * M * N === 0) return out;
  // Views only after the allocation (growing the heap detaches earlier views).
  const C = backend.typedArrayFromHeap(out) as Float32Array;
  if (K === 0) { C.fill(0); return out; }
  const A = backend.typedArrayFromHeap(a) as Float32Array;
  const B = backend.typedArrayFromHeap(b) as Float32Array;
  n.sgemmBatch(transposeA ? 1 : 0, transposeB ? 1 : 0, batch, M, N, K, A, batchA === 1 ? 0 : M * K, B, batchB === 1 ? 0 : K * N, C, M * N);
  return out;
}
