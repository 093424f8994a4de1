import test from 'node:test';
import assert from 'node:assert/strict';
import { Channel } from '../../src/shared/channel';
import { portPair as pair } from '../portPair';
import { RunStore } from '../../src/runs/runStore';
import type { TrainerCommand, TrainerEvent } from '../../src/shared/trainerProtocol';


test('events of two interleaved runs are routed through the Channel into their own runs, commands reach the trainer', async () => {
  const [hostPort, trainerPort] = pair();
  const host = new Channel<TrainerEvent, TrainerCommand>(hostPort);
  const trainer = new Channel<TrainerCommand, TrainerEvent>(trainerPort);
  const store = new RunStore({ flushMs: 0 });
  host.onAny((e) => store.append(e));
  const perRun = new Map<string, number[]>();
  store.onDidAppend((id, evs) => {
    for (const e of evs) if (e.type === 'run/step') perRun.set(id, [...(perRun.get(id) ?? []), e.step]);
  });
  let stops = 0;
  trainer.on('trainer/stop', () => { stops++; });
  trainer.on('trainer/train', (m) => m.options.tag ?? 'none');

  assert.equal(await host.request<string>({ type: 'trainer/train', options: { experimentPath: '/a.fmtl.json', tag: 'x' } }), 'x');
  for (let s = 0; s < 20; s++) {
    for (const runId of ['A', 'B']) {
      trainer.notify({ type: 'run/step', runId, t: s, step: runId === 'A' ? s : 100 + s, epoch: 0, losses: {}, convergence: {}, total: 0, lr: 0, tau: 1, ms: 0 });
    }
  }
  host.notify({ type: 'trainer/stop' });
  // A message that is not ours (e.g. another extension's) is ignored on both sides.
  trainerPort.post({ hello: 'world' });
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(perRun.get('A'), Array.from({ length: 20 }, (_, i) => i));
  assert.deepEqual(perRun.get('B'), Array.from({ length: 20 }, (_, i) => 100 + i));
  assert.equal(stops, 1);
  assert.equal(store.listRuns().length, 2);
  host.dispose(); trainer.dispose(); store.dispose();
});
