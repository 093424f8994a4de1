/**
 * What the user reads when a training fails: the trainer's reason, its last output lines, and —
 * when the process died from a CPU fault while the native kernels were in use — what to do about
 * them (they are built with -march=native: a copy from another machine, or a broken build, can
 * fault). Pure.
 */
import type { TrainerOutcome } from './trainerProcess';

const FAULTS = new Set(['SIGILL', 'SIGSEGV', 'SIGBUS', 'SIGFPE']);

/** The message for a finished training, or undefined when it needs none (done, or stopped). */
export function failureText(out: TrainerOutcome, nativeKernels = false): string | undefined {
  // Killed after a stop request: a stopped run (what it wrote is kept); the log says it was killed.
  if (out.kind === 'done' || out.kind === 'killed') return undefined;
  const tail = out.lastLines.filter((l) => l.trim()).slice(-3).map((l) => l.trim().slice(0, 200));
  let text = tail.length ? `${out.message}. Last output: ${tail.join(' | ')}` : out.message;
  if (nativeKernels && out.kind === 'failed' && out.signal && FAULTS.has(out.signal)) {
    text += '. The trainer was using the native kernels: rebuild them with "Feedback MTL: Build native kernels", or turn off the setting feedbackMtl.nativeKernels to train on plain wasm';
  }
  return text;
}
