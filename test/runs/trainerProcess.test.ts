import test from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { buildSync } from 'esbuild';
import { TrainerProcess, type TrainerLaunch } from '../../src/runs/trainerProcess';
import type { TrainerEvent } from '../../src/shared/trainerProtocol';

// Bundle the stand-in trainer (real Channel, real IPC) once for these tests.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-proc-'));
const fake = path.join(dir, 'fakeTrainer.js');
buildSync({ entryPoints: [path.resolve(__dirname, '../../../test/runs/fixtures/fakeTrainer.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: fake, logLevel: 'error' });
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(mode: string, extra: Partial<TrainerLaunch> = {}) {
  const events: TrainerEvent[] = [];
  const logs: string[] = [];
  const p = new TrainerProcess(
    { trainerPath: fake, env: { FAKE_MODE: mode }, killAfterMs: 300, ...extra },
    { experimentPath: '/x/tiny.fmtl.json', tag: 'ablation-static' },
    { onEvent: (e) => events.push(e), onLog: (l, s) => logs.push(`${s}: ${l}`) },
  );
  return { p, events, logs };
}

test('a run over real IPC: request reaches the child, typed events come back, stdout/stderr only go to the log', async () => {
  const { p, events, logs } = run('ok');
  const out = await p.finished;
  assert.equal(out.kind, 'done');
  if (out.kind === 'done') { assert.equal(out.runId, 'fake-1'); assert.equal(out.summary.status, 'completed'); }
  assert.deepEqual(events.map((e) => e.type), ['run/log', 'run/step', 'run/step', 'run/step', 'run/done']);
  assert.ok(logs.includes('trainer: training /x/tiny.fmtl.json tag=ablation-static'), logs.join('\n'));
  assert.ok(logs.includes('stdout: plain stdout line'));
  assert.ok(logs.includes('stderr: plain stderr line'));
  assert.equal(p.running, false);
});

test('stop: the trainer finishes with status stopped and exits', async () => {
  const { p, events } = run('stop');
  while (!events.some((e) => e.type === 'run/step')) await new Promise((r) => setTimeout(r, 5));
  const out = await p.stop();
  assert.equal(out.kind, 'done');
  if (out.kind === 'done') assert.equal(out.summary.status, 'stopped');
});

test('stop: a trainer that ignores it is killed after the grace period', async () => {
  const { p, events } = run('hang');
  while (!events.some((e) => e.type === 'run/step')) await new Promise((r) => setTimeout(r, 5));
  const out = await p.stop();
  assert.equal(out.kind, 'killed');
});

test('a crash is reported with its last log lines', async () => {
  const { p } = run('crash', { keepLines: 5 });
  const out = await p.finished;
  assert.equal(out.kind, 'failed');
  if (out.kind === 'failed') {
    assert.equal(out.exitCode, 3);
    assert.match(out.message, /exited with code 3/);
    assert.deepEqual(out.lastLines, ['stack line 45', 'stack line 46', 'stack line 47', 'stack line 48', 'stack line 49']);
  }
});

test('a refused request fails with the trainer\'s message', async () => {
  const { p } = run('refuse');
  const out = await p.finished;
  assert.equal(out.kind, 'failed');
  if (out.kind === 'failed') assert.match(out.message, /tasks\[0\]\.id/);
});

test('a Node path that does not exist fails clearly instead of throwing', async () => {
  const { p } = run('ok', { execPath: path.join(dir, 'no-such-node') });
  const out = await p.finished;
  assert.equal(out.kind, 'failed');
  if (out.kind === 'failed') assert.match(out.message, /could not start the trainer.*ENOENT/);
});
