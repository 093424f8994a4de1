/**
 * The optional native kernels (`fmtlNative.cc`, built by `build.mjs` into
 * `build/native/fmtlNative.node`): OpenBLAS matrix products and compiled loops for the wasm
 * backend's heaviest work. wasm SIMD is 128 bits wide and single-threaded in Node; OpenBLAS on the
 * same core uses the CPU's full vector width (AVX2/AVX-512) — the same library PyTorch calls.
 *
 * They work in place on Float32Arrays, including views on the wasm heap, so a kernel using them
 * changes no data flow: the wasm backend still owns every tensor. When the addon is absent (no
 * compiler, no OpenBLAS, not Linux, `FMTL_NATIVE=0`) everything runs on plain wasm as before.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The addon's functions (see fmtlNative.cc for the exact contracts). */
export interface NativeKernels {
  /** C[b] = op(A[b]) · op(B[b]) for b < batch, row-major; a stride of 0 reuses the same matrix. */
  sgemmBatch(transA: number, transB: number, batch: number, M: number, N: number, K: number,
    A: Float32Array, strideA: number, B: Float32Array, strideB: number, C: Float32Array, strideC: number): void;
  /** tfjs's Adam update over n elements, the same bits as `adamLoop` in optimizer.ts. */
  adam(n: number, x: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array,
    xo: Float32Array, mo: Float32Array, vo: Float32Array,
    lr: number, beta1: number, beta2: number, epsilon: number, c1: number, c2: number): void;
  /** One direction of the fused BiGRU forward kernel (layouts in model/gruMath.ts). */
  gruForward(B: number, T: number, H: number, dir: number, xp: Float32Array, w: Float32Array, bh: Float32Array,
    m: Float32Array, y: Float32Array, ws: Float32Array): void;
  /** One direction of the fused BiGRU gradient kernel (layouts in model/gruMath.ts). */
  gruBackward(B: number, T: number, H: number, dir: number, dy: Float32Array, w: Float32Array, ws: Float32Array,
    m: Float32Array, dxp: Float32Array, dW: Float32Array, dbh: Float32Array): void;
}

const FUNCTIONS = ['sgemmBatch', 'adam', 'gruForward', 'gruBackward'] as const;
/** `kVersion` of fmtlNative.cc this code calls. */
export const NATIVE_VERSION = 1;
const REBUILD = 'rebuild them: npm run build:native, or in VS Code "Feedback MTL: Build native kernels"';

let native: NativeKernels | undefined;
let loadedFrom: string | undefined;

/** The addon in use, if any. */
export function nativeKernels(): NativeKernels | undefined {
  return native;
}

/** Where the addon is looked for: `FMTL_NATIVE` (a path), else build/native beside the repo. */
function candidates(bundleDir: string | undefined): string[] {
  const env = process.env.FMTL_NATIVE;
  if (env && env !== '0' && env !== '1') return [path.resolve(env)];
  const rel = path.join('build', 'native', 'fmtlNative.node');
  const dirs = [bundleDir && path.join(bundleDir, '..'), bundleDir && path.join(bundleDir, '..', '..'), process.cwd()];
  return [...new Set(dirs.filter((d): d is string => !!d).map((d) => path.join(d, rel)))];
}

/**
 * Loads the addon once (`FMTL_NATIVE=0` turns it off) and returns a phrase for the backend report.
 * `bundleDir`: the running bundle's folder (dist/, bench/out/), whose parent is the repository.
 */
export function loadNativeKernels(bundleDir: string | undefined): string {
  if (native) return `native kernels (OpenBLAS) from ${loadedFrom}`;
  if (process.env.FMTL_NATIVE === '0') return 'native kernels off (FMTL_NATIVE=0)';
  const file = candidates(bundleDir).find((f) => fs.existsSync(f));
  if (!file) return 'no native kernels (npm run build:native builds them where g++ and OpenBLAS exist)';
  try {
    const mod = { exports: {} as NativeKernels & { version?: number } };
    process.dlopen(mod, file);
    if (mod.exports.version !== NATIVE_VERSION || FUNCTIONS.some((f) => typeof mod.exports[f] !== 'function')) {
      return `no native kernels: the ones at ${file} are from another version (${mod.exports.version ?? 'none'}, this trainer needs ${NATIVE_VERSION}); ${REBUILD}`;
    }
    native = mod.exports;
    loadedFrom = file;
    return `native kernels (OpenBLAS) from ${file}`;
  } catch (e) {
    return `no native kernels: the ones at ${file} failed to load (${String((e as Error).message ?? e).split('\n')[0]}); ${REBUILD}`;
  }
}

/** Stops using the addon (tests compare with and without). */
export function setNativeKernels(n: NativeKernels | undefined): void {
  native = n;
}
