/**
 * Worker-thread entry (bundled as `dist/gruWorker.js`): the second thread of the fused BiGRU
 * kernels (see `gruThreads.ts`). Starts its own wasm backend for XNNPACK matrix products, says it
 * is ready through the shared control block, then runs one direction per job until the process
 * ends. It never touches tensors of the training thread: the jobs carry SharedArrayBuffer views.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { NativeMatMuls, WasmMatMuls, type AnyBackend, type MatMuls } from './gruMatMuls';
import { loadNativeKernels, nativeKernels } from '../native/nativeKernels';
import { backwardDirection, forwardDirection } from './gruMath';
import { CTRL, type DirectionJob } from './gruThreads';

const { ctrl, port } = workerData as { ctrl: Int32Array; port: MessagePort };

/** XNNPACK through this thread's own wasm backend, and the native kernels when they load here. */
interface Products { wasm: MatMuls; native?: MatMuls }

async function startBackend(): Promise<Products> {
  // The binaries sit beside the bundle (dist/); elsewhere the package finds its own.
  const here = typeof __dirname === 'string' ? __dirname : undefined;
  if (here && fs.existsSync(path.join(here, 'tfjs-backend-wasm-simd.wasm'))) setWasmPaths(here + path.sep);
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend did not start');
  loadNativeKernels(here);
  const n = nativeKernels();
  return { wasm: new WasmMatMuls(tf.backend() as unknown as AnyBackend), native: n ? new NativeMatMuls(n) : undefined };
}

/** Runs a job with the same kind of matrix products as the training thread: the same bits. */
function run(job: DirectionJob, products: Products): void {
  const mats = job.native ? products.native : products.wasm;
  if (!mats) throw new Error('the native kernels did not load in the worker');
  try {
    if (job.kind === 'forward') forwardDirection(job.B, job.T, job.H, job.dir, job.arrays, mats);
    else backwardDirection(job.B, job.T, job.H, job.dir, job.arrays, mats);
  } finally {
    mats.done();
  }
}

/** Takes the next posted job; the message may trail the notify by a moment. */
function nextJob(): DirectionJob {
  for (;;) {
    const m = receiveMessageOnPort(port);
    if (m) return m.message as DirectionJob;
    Atomics.wait(ctrl, CTRL.state, 1, 1);
  }
}

async function main(): Promise<void> {
  let products: Products;
  try {
    products = await startBackend();
  } catch {
    Atomics.store(ctrl, CTRL.state, 2);
    return;
  }
  Atomics.store(ctrl, CTRL.state, 1);
  let seen = 0;
  for (;;) {
    Atomics.wait(ctrl, CTRL.posted, seen);
    const posted = Atomics.load(ctrl, CTRL.posted);
    while (seen < posted) {
      const job = nextJob();
      try {
        run(job, products);
      } catch {
        Atomics.store(ctrl, CTRL.failed, 1);
      }
      seen++;
      Atomics.store(ctrl, CTRL.done, seen);
      Atomics.notify(ctrl, CTRL.done);
    }
  }
}

void main();
