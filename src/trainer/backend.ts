/**
 * Picks and initialises the tfjs backend the trainer computes on, and says which one and why.
 *
 * Order for `auto`:
 * 1. `@tensorflow/tfjs-node-gpu` — TensorFlow's C library with CUDA. Its 4.22 build links
 *    libtensorflow 2.9.1 and needs **CUDA 11.2 + cuDNN 8.1 on Linux x64**; without a usable GPU
 *    the library silently runs on the CPU (we then report `gpu: false`).
 * 2. `@tensorflow/tfjs-node` — the same C library, CPU only.
 * 3. `@tensorflow/tfjs-backend-wasm` with the project's kernels (`wasmKernels.ts`) — the embedded
 *    default: installs from the npm registry alone. Where the optional native kernels were built
 *    (`native/`, OpenBLAS + compiled loops), they do its heavy work (`BackendInfo.native`).
 * 4. `@tensorflow/tfjs-backend-cpu` — plain JavaScript, slow; last resort.
 *
 * The two native packages are `optionalDependencies` and esbuild externals: their install script
 * downloads libtensorflow from outside the npm registry, so on machines without that access npm
 * skips them and `npm ci` still succeeds. They are therefore loaded with a run-time `require` in a
 * try/catch and never bundled.
 *
 * Why a separately loaded tfjs-node drives *our* `tf` calls: tfjs-node brings its own copy of
 * tfjs-core, but tfjs-core keeps its engine and kernel registry in the global namespace
 * (`globalThis._tfengine`, `globalThis.kernelRegistry`), shared by every copy in the process. So
 * when tfjs-node registers its `tensorflow` backend and kernels, they land in the same engine our
 * `@tensorflow/tfjs-core` import talks to, and `tf.setBackend('tensorflow')` switches our ops to it.
 */
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { BackendInfo } from '../shared/trainerProtocol';
import { startGruThread } from './model/gruThreads';
import { loadNativeKernels, nativeKernels } from './native/nativeKernels';
import { registerProjectKernels } from './wasmKernels';

/** What the caller asked for: `auto` tries everything in order; the others force one choice. */
export type BackendPreference = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

/** The machine, for run metadata. */
export interface HardwareInfo {
  /** Logical CPU cores. */
  cpus: number;
  cpuModel: string;
  /** Total memory in bytes. */
  memoryBytes: number;
  /** e.g. `Linux 6.1.0 x64`. */
  os: string;
  /** Node version, e.g. `v20.20.2`. */
  node: string;
}

/** Cores, memory and OS of this machine (for the run's meta file). */
export function describeHardware(): HardwareInfo {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

const NATIVE = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;
type NativePackage = (typeof NATIVE)[number];

/**
 * Literal requires directly inside try/catch: esbuild then leaves them as run-time requires even in
 * a bundle that does not list the packages as externals (it would otherwise fail the build).
 */
function requireNative(pkg: NativePackage): { error?: unknown } {
  try {
    if (pkg === '@tensorflow/tfjs-node-gpu') require('@tensorflow/tfjs-node-gpu');
    else require('@tensorflow/tfjs-node');
    return {};
  } catch (error) {
    return { error };
  }
}

/** A short, human reason for a failed require. */
function loadFailure(pkg: string, e: unknown): string {
  const err = e as { code?: string; message?: string };
  const msg = String(err?.message ?? e);
  if (err?.code === 'MODULE_NOT_FOUND' && msg.includes(`'${pkg}'`)) return 'not installed';
  return `failed to load: ${msg.split('\n')[0]}`;
}

interface Attempt { info?: BackendInfo; reason?: string }

async function tryNative(pkg: NativePackage, skipped: BackendInfo['skipped']): Promise<Attempt> {
  const loaded = requireNative(pkg);
  if (loaded.error !== undefined) return { reason: loadFailure(pkg, loaded.error) };
  if (!(await tf.setBackend('tensorflow'))) return { reason: 'loaded, but the tensorflow backend failed to initialise' };
  const be = tf.backend() as { isUsingGpuDevice?: boolean };
  const gpu = be.isUsingGpuDevice === true;
  const detail = pkg === '@tensorflow/tfjs-node-gpu' && !gpu
    ? 'tfjs-node-gpu loaded but no CUDA device in use (needs CUDA 11.2 + cuDNN 8.1, Linux x64): running on CPU'
    : gpu ? 'CUDA device in use' : 'libtensorflow on CPU';
  return { info: { name: 'tensorflow', package: pkg, gpu, skipped, detail } };
}

/** Directory of the running bundle (dist/ for dist/trainer.js and dist/cli.js). */
function bundleDir(): string | undefined {
  return typeof __dirname === 'string' ? __dirname : undefined;
}

let wasmPathsSet: string | undefined;

/**
 * Starts the BiGRU kernels' second thread (`model/gruThreads.ts`) when asked with `FMTL_THREADS=2`,
 * there is a second core and the bundled worker is beside this bundle. Off by default: on the
 * 2-vCPU machines we measure on, two busy threads each run ~1.45x slower than one alone, and the
 * split bought 0.76x per BiGRU layer but nothing measurable per training step (bench/README.md).
 * Returns a phrase for the backend report.
 */
function startSecondThread(): string {
  if (process.env.FMTL_THREADS !== '2') return 'BiGRU on 1 thread (FMTL_THREADS=2 for two)';
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  if (cores < 2) return 'BiGRU on 1 thread (one core)';
  const dir = bundleDir();
  const script = dir ? path.join(dir, 'gruWorker.js') : undefined;
  if (!script || !fs.existsSync(script)) return 'BiGRU on 1 thread (no gruWorker.js beside the bundle)';
  startGruThread(script);
  return 'BiGRU directions on 2 threads';
}

async function tryWasm(skipped: BackendInfo['skipped']): Promise<Attempt> {
  registerProjectKernels();
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  // esbuild copies the .wasm binaries next to dist/trainer.js and dist/cli.js; elsewhere (tests,
  // unbundled use) the package finds its own binaries in node_modules.
  if (wasmPathsSet === undefined) {
    const dir = bundleDir();
    const binary = simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm';
    if (dir && fs.existsSync(path.join(dir, binary))) {
      wasmPathsSet = dir + path.sep;
      setWasmPaths(wasmPathsSet);
    } else {
      wasmPathsSet = '';
    }
  }
  if (!(await tf.setBackend('wasm'))) return { reason: 'failed to initialise (the .wasm binary could not be loaded)' };
  const threads = getThreadsCount();
  const where = wasmPathsSet ? `binaries from ${wasmPathsSet}` : 'binaries from the package';
  // tfjs never uses the threaded wasm build in Node; the BiGRU kernels bring their own second thread.
  const nativeNote = loadNativeKernels(bundleDir());
  const detail = `SIMD ${simd ? 'on' : 'off'}, ${threads} thread${threads === 1 ? '' : 's'} (threaded wasm is off in Node); ${nativeNote}; ${startSecondThread()}; ${where}`;
  return { info: { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', gpu: false, skipped, detail, native: nativeKernels() !== undefined } };
}

async function tryCpu(skipped: BackendInfo['skipped']): Promise<Attempt> {
  registerProjectKernels(); // the linear-time UnsortedSegmentSum replaces cpu's O(vocab) one
  if (!(await tf.setBackend('cpu'))) return { reason: 'failed to initialise' };
  // The cpu backend prints an "install tfjs-node" banner on first use; we report the backend
  // ourselves (and the trainer's stderr is the user's log), so mark it as already shown.
  const be = tf.backend();
  if (be instanceof MathBackendCPU) (be as unknown as { firstUse: boolean }).firstUse = false;
  return { info: { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', gpu: false, skipped, detail: 'plain JavaScript, 1 thread' } };
}

/**
 * Initialise a backend and make it the active one (`tf.setBackend`).
 *
 * - `auto`: tfjs-node-gpu, tfjs-node, wasm (with the project kernels), cpu — the first that works;
 *   `skipped` lists each one passed over with its reason (e.g. "not installed").
 * - `tensorflow`: tfjs-node-gpu then tfjs-node; throws if neither loads.
 * - `wasm` / `cpu`: that backend only; throws if it fails.
 *
 * The project kernels are registered whenever wasm or cpu is chosen. Safe to call again (e.g. to
 * switch backends in tests).
 */
export async function initBackend(pref: BackendPreference = 'auto'): Promise<BackendInfo> {
  const skipped: BackendInfo['skipped'] = [];
  const candidates: ('native-gpu' | 'native' | 'wasm' | 'cpu')[] =
    pref === 'auto' ? ['native-gpu', 'native', 'wasm', 'cpu']
      : pref === 'tensorflow' ? ['native-gpu', 'native']
        : [pref];
  for (const c of candidates) {
    const pkg = c === 'native-gpu' ? NATIVE[0] : c === 'native' ? NATIVE[1]
      : c === 'wasm' ? '@tensorflow/tfjs-backend-wasm' : '@tensorflow/tfjs-backend-cpu';
    let attempt: Attempt;
    try {
      attempt = c === 'native-gpu' || c === 'native' ? await tryNative(pkg as NativePackage, skipped)
        : c === 'wasm' ? await tryWasm(skipped) : await tryCpu(skipped);
    } catch (e) {
      attempt = { reason: `failed: ${String((e as Error)?.message ?? e).split('\n')[0]}` };
    }
    if (attempt.info) return attempt.info;
    skipped.push({ package: pkg, reason: attempt.reason ?? 'unknown' });
  }
  const tried = skipped.map((s) => `${s.package} (${s.reason})`).join(', ');
  const hint = pref === 'tensorflow'
    ? ' Install one with `npm install @tensorflow/tfjs-node` (or -gpu with CUDA 11.2 + cuDNN 8.1 on Linux x64), or use backend "auto".'
    : '';
  throw new Error(`No usable tfjs backend for "${pref}": tried ${tried}.${hint}`);
}
