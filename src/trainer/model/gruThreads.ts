/**
 * A second thread for the fused BiGRU kernels on wasm: the two directions of a BiGRU are
 * independent (same inputs, disjoint outputs, see `gruMath.ts`), so while the training thread runs
 * the forward direction, a worker thread (`gruWorker.ts`, its own wasm instance) runs the backward
 * one. The results are the same bits as running both on one thread: the same code and the same
 * matrix products (the job says which: XNNPACK or the native kernels) compute the same direction
 * from the same inputs.
 *
 * The threaded wasm build of tfjs is off in Node, so this is how a training step uses the second
 * core. Hand-off is synchronous and cheap: the job (typed arrays over SharedArrayBuffers) goes over
 * a MessagePort, the worker is woken with `Atomics.notify`, reads the message with
 * `receiveMessageOnPort`, and signals completion through a shared counter the training thread waits
 * on with `Atomics.wait` — ~10–50 µs per kernel call, a few calls per step.
 *
 * Never blocks on start-up: until the worker says it is ready the kernels run both directions
 * themselves. A worker that fails or never answers is dropped and the kernel computes the
 * direction itself (same result).
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { BackwardArrays, ForwardArrays } from './gruMath';

/** A job for the worker: one direction of one kernel call. */
export type DirectionJob = { B: number; T: number; H: number; dir: number; native: boolean } & (
  | { kind: 'forward'; arrays: ForwardArrays }
  | { kind: 'backward'; arrays: BackwardArrays });

/** Slots of the shared control block (Int32). */
export const CTRL = {
  /** Jobs posted by the training thread. */
  posted: 0,
  /** Jobs finished by the worker. */
  done: 1,
  /** Worker state: 0 starting, 1 ready, 2 failed to start. */
  state: 2,
  /** Set to 1 by the worker when a job threw (the training thread then redoes it). */
  failed: 3,
} as const;

/** How long the training thread waits for one direction before it gives up on the worker. */
const ANSWER_TIMEOUT_MS = 60_000;

class DirectionThread {
  readonly ctrl = new Int32Array(new SharedArrayBuffer(4 * 4));
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private broken = false;
  /** Why the thread is not in use, when it is not. */
  reason?: string;

  constructor(script: string) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(script, { workerData: { ctrl: this.ctrl, port: port2 }, transferList: [port2] });
    // Neither the worker nor the port keeps the process alive: the trainer exits when its work ends.
    this.worker.unref();
    this.port.unref();
    this.worker.on('error', (e) => this.drop(`worker error: ${e.message}`));
    this.worker.on('exit', (code) => this.drop(`worker exited (${code})`));
  }

  get ready(): boolean {
    if (this.broken) return false;
    const state = Atomics.load(this.ctrl, CTRL.state);
    if (state === 2) this.drop('the worker could not start the wasm backend');
    return state === 1;
  }

  /** Hands a job to the worker; `finish()` must follow. */
  start(job: DirectionJob): void {
    this.port.postMessage(job);
    Atomics.add(this.ctrl, CTRL.posted, 1);
    Atomics.notify(this.ctrl, CTRL.posted);
  }

  /** Waits for the job of `start()`; false if the worker failed it (the caller then does it itself). */
  finish(): boolean {
    const target = Atomics.load(this.ctrl, CTRL.posted);
    const deadline = Date.now() + ANSWER_TIMEOUT_MS;
    for (;;) {
      const done = Atomics.load(this.ctrl, CTRL.done);
      if (done >= target) break;
      if (Date.now() > deadline) { this.drop(`no answer in ${ANSWER_TIMEOUT_MS / 1000} s`); return false; }
      Atomics.wait(this.ctrl, CTRL.done, done, 1000);
    }
    if (Atomics.load(this.ctrl, CTRL.failed) !== 0) { this.drop('a job failed in the worker'); return false; }
    return true;
  }

  get jobsDone(): number { return Atomics.load(this.ctrl, CTRL.done); }

  drop(reason: string): void {
    if (this.broken) return;
    this.broken = true;
    this.reason = reason;
    void this.worker.terminate().catch(() => undefined);
  }
}

let thread: DirectionThread | undefined;
let minWork = 16 * 1024;

/**
 * Starts the worker from `script` (the bundled `gruWorker.js`). Idempotent; returns at once — the
 * kernels use the thread from the first call after it is ready.
 */
export function startGruThread(script: string): void {
  if (thread && !threadBroken()) return;
  thread = new DirectionThread(script);
}

function threadBroken(): boolean {
  return thread === undefined || (!thread.ready && thread.reason !== undefined);
}

/** The worker when it is ready and the kernel call is big enough to pay for the hand-off. */
export function gruThreadFor(B: number, T: number, H: number): DirectionThread | undefined {
  return thread?.ready && B * T * H >= minWork ? thread : undefined;
}

/** Resolves when the worker is ready (true) or failed (false); for tests and benchmarks. */
export async function gruThreadReady(timeoutMs = 20_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!thread) return false;
    if (thread.ready) return true;
    if (thread.reason !== undefined) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

/** State for reports and tests: whether the thread is in use, jobs it finished, why not. */
export function gruThreadStatus(): { running: boolean; jobsDone: number; reason?: string } {
  return { running: !!thread?.ready, jobsDone: thread?.jobsDone ?? 0, reason: thread?.reason };
}

/** Smallest B·T·H handed to the worker (smaller calls cost more to hand off than they save). */
export function setGruThreadMinWork(n: number): void { minWork = n; }

/** Stops the worker (tests). */
export function stopGruThread(): void {
  thread?.drop('stopped');
  thread = undefined;
}
