/**
 * The trainer child process (`dist/trainer.js`), forked by the extension host with an IPC channel.
 * The only file that touches process IPC: it wraps `process.send` / `process.on('message')` in a
 * `Port`, answers `trainer/train` by running `runTraining` (forwarding every event), aborts on
 * `trainer/stop`, and aborts and exits when the host goes away (IPC disconnect). SIGTERM and SIGHUP
 * stop like `trainer/stop` (last checkpoint at the current step, summary 'stopped', the reply still
 * sent) and exit 143 / 129; a second signal exits at once. SIGINT is left to the parent.
 */
import { Channel, type Port } from '../shared/channel';
import type { PredictReply, TrainerCommand, TrainerEvent } from '../shared/trainerProtocol';
import { runTraining, type RunOutcome } from './runTraining';
import { loadRunModel, type LoadedModel } from './savedModel';

if (typeof process.send !== 'function') {
  process.stderr.write('dist/trainer.js is the trainer process of the Feedback MTL extension and needs an IPC channel; use dist/cli.js (fmtl) from a terminal\n');
  process.exit(2);
}

/** Sends still in flight; the process exits only once they are handed to the OS. */
let inFlight = 0;
let drained: (() => void) | undefined;

const port: Port = {
  post(message) {
    if (!process.connected) return;
    inFlight++;
    process.send!(message, undefined, {}, () => {
      inFlight--;
      if (inFlight === 0) drained?.();
    });
  },
  onMessage(listener) {
    process.on('message', listener);
    return { dispose: () => { process.off('message', listener); } };
  },
};

const channel = new Channel<TrainerCommand, TrainerEvent>(port);
const abort = new AbortController();
let running: Promise<RunOutcome> | undefined;
/** Set once we disconnect ourselves, so our own 'disconnect' is not taken for the host leaving. */
let leaving = false;

channel.on('trainer/train', (msg) => {
  if (running) throw new Error('this trainer process is already running a training request');
  running = runTraining(msg.options, (e) => channel.notify(e), abort.signal);
  // The reply goes out when the run is over; then the process leaves once IPC is drained.
  return running.then((outcome) => {
    setImmediate(() => void exitWhenDrained(stopSignal ? SIGNAL_EXIT[stopSignal] : outcome.error ? 1 : 0));
    return { runId: outcome.runId, runDir: outcome.runDir, status: outcome.summary?.status, error: outcome.error?.message };
  });
});

// Try the model: the process keeps the last run's model loaded between requests.
let served: { runDir: string; model: Promise<LoadedModel> } | undefined;
channel.on('trainer/predict', async (msg) => {
  const t0 = performance.now();
  let loadMs: number | undefined;
  if (served?.runDir !== msg.runDir) {
    if (served) void served.model.then((m) => m.dispose(), () => {});
    served = { runDir: msg.runDir, model: loadRunModel(msg.runDir) };
    served.model.catch(() => { served = undefined; });
  }
  const model = await served.model;
  if (performance.now() - t0 > 1) loadMs = Math.round(performance.now() - t0);
  const t1 = performance.now();
  const predictions = model.predict(msg.inputs);
  const reply: PredictReply = {
    predictions, tasks: [...model.tasks], iterations: model.iterations,
    checkpoint: { kind: model.source.checkpoint, epoch: model.source.epoch, step: model.source.step },
    ms: Math.round(performance.now() - t1), ...(loadMs !== undefined ? { loadMs } : {}),
  };
  return reply;
});

channel.on('trainer/stop', () => {
  abort.abort();
});

// Ctrl-C in a terminal reaches the whole process group, so `fmtl sweep`'s trainers get it too. The
// parent decides: it sends trainer/stop (this saves the last checkpoint), or leaves (disconnect below).
process.on('SIGINT', () => {});

// SIGTERM (kill, a container or service stop, the OS shutting down) and SIGHUP: stop as trainer/stop
// does, keeping the run; with nothing running, leave now. A second signal exits at once.
const SIGNAL_EXIT = { SIGTERM: 143, SIGHUP: 129 } as const;
let stopSignal: keyof typeof SIGNAL_EXIT | undefined;
for (const sig of Object.keys(SIGNAL_EXIT) as (keyof typeof SIGNAL_EXIT)[]) {
  process.on(sig, () => {
    if (stopSignal || !running) process.exit(SIGNAL_EXIT[sig]);
    stopSignal = sig;
    abort.abort();
    // After SIGHUP whatever read our stderr may be gone: nothing is written then.
    if (sig === 'SIGTERM') process.stderr.write('SIGTERM: stopping after this step (the run and its last checkpoint are kept); a second signal exits at once\n');
  });
}

process.on('disconnect', () => {
  if (leaving) return;
  // The host is gone (window closed, extension reloaded): stop, keep the run, leave. The last
  // checkpoint is written by the training loop on abort; give it a moment, then exit regardless.
  abort.abort();
  const deadline = setTimeout(() => process.exit(0), 5000);
  deadline.unref();
  if (running) void running.finally(() => process.exit(0));
  else process.exit(0);
});

async function exitWhenDrained(code: number): Promise<void> {
  if (inFlight > 0) await new Promise<void>((r) => { drained = r; setTimeout(r, 2000).unref(); });
  leaving = true;
  channel.dispose();
  if (process.connected) process.disconnect();
  process.exitCode = code;
  setTimeout(() => process.exit(code), 500).unref();
}
