/**
 * Pauses for the fault test (test/faults/killRecovery.test.ts, bench/faults.mjs), at the moments a
 * crash hurts most. With `FMTL_FAULT_PAUSE=<point>[@<n>]` (the n-th time the point is reached,
 * default the first) the process writes `fmtl-fault-pause <point>` to stderr and sleeps
 * `FMTL_FAULT_PAUSE_MS` (default 3000) right there, so the test can SIGKILL it at that moment.
 * Without the variable this is one environment lookup.
 *
 * Points: `checkpoint-written` (a checkpoint's temporary folder is complete, not yet in place),
 * `checkpoint-swapped` (the previous checkpoint moved aside, the new one not yet renamed in),
 * `event-line` (half of an events.jsonl line written), `evaluation` (an epoch's validation pass
 * about to start).
 */
export type FaultPoint = 'checkpoint-written' | 'checkpoint-swapped' | 'event-line' | 'evaluation';

const reached = new Map<FaultPoint, number>();

/** True when `point` is the one asked for and this is the asked occurrence (counts every call). */
export function faultPauseDue(point: FaultPoint): boolean {
  const want = process.env.FMTL_FAULT_PAUSE;
  if (!want) return false;
  const [name, nth] = want.split('@');
  if (name !== point) return false;
  const n = (reached.get(point) ?? 0) + 1;
  reached.set(point, n);
  return n === (Number(nth) || 1);
}

/** Announces the pause on stderr and blocks the thread for `FMTL_FAULT_PAUSE_MS`. */
export function faultPause(point: FaultPoint): void {
  process.stderr.write(`fmtl-fault-pause ${point}\n`);
  const ms = Number(process.env.FMTL_FAULT_PAUSE_MS) || 3000;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
