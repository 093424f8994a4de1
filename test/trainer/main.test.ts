// The trainer process entry (dist/trainer.js, built by `node esbuild.mjs` before the tests): a real
// fork, talking over the IPC Channel exactly as the extension host does.
import test from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Channel, type Port } from '../../src/shared/channel';
import type { TrainerCommand, TrainerEvent } from '../../src/shared/trainerProtocol';

const root = path.join(__dirname, '..', '..', '..');
const trainerJs = path.join(root, 'dist', 'trainer.js');
const quick = path.join(root, 'samples', 'penguins-quick.fmtl.json');

function start(): { child: ChildProcess; channel: Channel<TrainerEvent, TrainerCommand>; events: TrainerEvent[]; exit: Promise<number | null>; stderr: () => string } {
  const child = fork(trainerJs, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  const port: Port = {
    post: (m) => { if (child.connected) child.send(m as object); },
    onMessage: (l) => { child.on('message', l); return { dispose: () => { child.off('message', l); } }; },
  };
  const channel = new Channel<TrainerEvent, TrainerCommand>(port);
  const events: TrainerEvent[] = [];
  channel.onAny((e) => events.push(e));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, channel, events, exit, stderr: () => err };
}

test('trainer/train runs to run/done, replies, and the process exits by itself', { timeout: 60_000 }, async () => {
  assert.ok(fs.existsSync(trainerJs), 'run `node esbuild.mjs` first');
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-ipc-'));
  const t = start();
  const reply = await t.channel.request<{ runId: string; runDir: string; status: string }>(
    { type: 'trainer/train', options: { experimentPath: quick, backend: 'cpu', epochs: 1, runsDir } }, 0);
  assert.equal(reply.status, 'completed', t.stderr());
  assert.equal(await t.exit, 0, t.stderr());
  assert.equal(t.events[0].type, 'run/start');
  assert.equal(t.events[t.events.length - 1].type, 'run/done');
  assert.equal(reply.runId, t.events[0].runId);
  // Everything is on disk by the time run/done arrives.
  assert.ok(fs.existsSync(path.join(reply.runDir, 'summary.json')));
  t.channel.dispose();
});

test('trainer/stop stops after the current step with status stopped and a last checkpoint', { timeout: 60_000 }, async () => {
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-ipc-'));
  const t = start();
  t.channel.onAny((e) => { if (e.type === 'run/step' && e.step === 3) t.channel.notify({ type: 'trainer/stop' }); });
  const reply = await t.channel.request<{ runDir: string; status: string }>(
    { type: 'trainer/train', options: { experimentPath: quick, backend: 'cpu', epochs: 3, runsDir } }, 0);
  assert.equal(reply.status, 'stopped');
  const done = t.events[t.events.length - 1];
  assert.ok(done.type === 'run/done' && done.summary.status === 'stopped');
  assert.ok(fs.existsSync(path.join(reply.runDir, 'checkpoints', 'last', 'model.json')));
  assert.equal(await t.exit, 0);
  t.channel.dispose();
});

test('an invalid file: run/error with where, the request still answers, the process exits 1', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-ipc-'));
  const bad = path.join(dir, 'bad.fmtl.json');
  fs.writeFileSync(bad, '{ "name": "x", }');
  const t = start();
  const reply = await t.channel.request<{ error?: string }>({ type: 'trainer/train', options: { experimentPath: bad } }, 0);
  assert.match(reply.error ?? '', /missing required property 'data'/);
  const err = t.events.find((e) => e.type === 'run/error');
  assert.ok(err && err.type === 'run/error' && err.where?.startsWith(bad + ':1:'), JSON.stringify(err));
  assert.equal(await t.exit, 1);
  t.channel.dispose();
});

test('the host going away (IPC disconnect) stops the run and the process exits', { timeout: 60_000 }, async () => {
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-ipc-'));
  const t = start();
  t.channel.onAny((e) => { if (e.type === 'run/step' && e.step === 2 && t.child.connected) t.child.disconnect(); });
  void t.channel.request({ type: 'trainer/train', options: { experimentPath: quick, backend: 'cpu', epochs: 20, runsDir } }, 0).catch(() => undefined);
  assert.equal(await t.exit, 0);
  const [run] = fs.readdirSync(runsDir);
  const lines = fs.readFileSync(path.join(runsDir, run, 'events.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines[lines.length - 1].type, 'run/done');
  assert.equal(lines[lines.length - 1].summary.status, 'stopped');
  t.channel.dispose();
});

for (const [sig, code] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
  test(`${sig} stops the trainer process like trainer/stop: reply 'stopped', last checkpoint at the last step, exit ${code}`, { timeout: 60_000 }, async () => {
    const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-ipc-'));
    const t = start();
    let sentAt = 0;
    t.channel.onAny((e) => { if (e.type === 'run/step' && e.step === 3 && !sentAt) { sentAt = Date.now(); t.child.kill(sig); } });
    const reply = await t.channel.request<{ runDir: string; status: string }>(
      { type: 'trainer/train', options: { experimentPath: quick, backend: 'cpu', epochs: 3, runsDir } }, 0);
    assert.equal(reply.status, 'stopped', t.stderr());
    assert.equal(await t.exit, code, t.stderr());
    const goneMs = Date.now() - sentAt;
    const steps = t.events.filter((e) => e.type === 'run/step').map((e) => (e as { step: number }).step);
    const lastStep = Math.max(...steps);
    const ckpt = t.events.filter((e) => e.type === 'run/checkpoint' && e.kind === 'last').at(-1);
    assert.ok(ckpt?.type === 'run/checkpoint' && ckpt.step === lastStep, `last checkpoint at step ${ckpt?.type === 'run/checkpoint' && ckpt.step}, last step ${lastStep}`);
    assert.equal(JSON.parse(fs.readFileSync(path.join(reply.runDir, 'summary.json'), 'utf8')).status, 'stopped');
    assert.ok(goneMs < 2000, `gone ${goneMs} ms after ${sig}`);
    process.stderr.write(`# ${sig}: trainer process gone ${goneMs} ms after the signal, stopped at step ${lastStep} with its last checkpoint\n`);
    t.channel.dispose();
  });
}

test('a second SIGTERM exits at once; with no training running, the first does', { timeout: 60_000 }, async () => {
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-ipc-'));
  const t = start();
  t.channel.onAny((e) => { if (e.type === 'run/step' && e.step === 2) { t.child.kill('SIGTERM'); t.child.kill('SIGTERM'); } });
  void t.channel.request({ type: 'trainer/train', options: { experimentPath: quick, backend: 'cpu', epochs: 3, runsDir } }, 0).catch(() => undefined);
  assert.equal(await t.exit, 143);
  t.channel.dispose();
  const idle = start();
  // An answered request shows the process is up (its handlers installed); nothing is training.
  await assert.rejects(idle.channel.request({ type: 'trainer/predict', runDir: path.join(runsDir, 'none'), inputs: ['x'] }, 0));
  idle.child.kill('SIGTERM');
  assert.equal(await idle.exit, 143);
  idle.channel.dispose();
});
