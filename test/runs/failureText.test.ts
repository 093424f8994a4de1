import test from 'node:test';
import assert from 'node:assert/strict';
import { failureText } from '../../src/runs/failureText';
import type { TrainerOutcome } from '../../src/runs/trainerProcess';

const failed = (signal: string | null, code: number | null = null): TrainerOutcome =>
  ({ kind: 'failed', message: signal ? `the trainer process was killed (${signal})` : `exited with code ${code}`, lastLines: ['', 'epoch 3/30 ...', 'boom'], exitCode: code, signal, exitMs: 5 });

test('failureText: nothing for done or stopped runs; the reason and the last output lines otherwise', () => {
  assert.equal(failureText({ kind: 'done', runId: 'r', summary: {} as never, exitMs: 1 }), undefined);
  assert.equal(failureText({ kind: 'killed', message: 'killed', lastLines: [], exitMs: 1 }), undefined);
  assert.equal(failureText(failed(null, 1)), 'exited with code 1. Last output: epoch 3/30 ... | boom');
});

test('failureText: a CPU fault with the native kernels in use says how to rebuild or turn them off', () => {
  for (const sig of ['SIGILL', 'SIGSEGV', 'SIGBUS']) {
    assert.match(failureText(failed(sig), true)!, /Build native kernels.*feedbackMtl\.nativeKernels/);
    assert.doesNotMatch(failureText(failed(sig), false)!, /native/);
  }
  assert.doesNotMatch(failureText(failed('SIGKILL'), true)!, /native kernels/);
  assert.doesNotMatch(failureText(failed(null, 1), true)!, /native kernels/);
});
