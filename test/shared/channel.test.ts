import test from 'node:test';
import assert from 'node:assert/strict';
import { Channel } from '../../src/shared/channel';
import { portPair as pair } from '../portPair';

type A = { type: 'ping'; n: number } | { type: 'boom' };
type B = { type: 'pong'; n: number };


test('request gets the handler result; notify reaches the typed handler', async () => {
  const [p1, p2] = pair();
  const host = new Channel<B, A>(p1);
  const worker = new Channel<A, B>(p2);
  const seen: number[] = [];
  worker.on('ping', (m) => { seen.push(m.n); return m.n * 2; });
  assert.equal(await host.request<number>({ type: 'ping', n: 21 }), 42);
  host.notify({ type: 'ping', n: 5 });
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(seen, [21, 5]);
  host.dispose(); worker.dispose();
});

test('a throwing handler rejects the request with its message', async () => {
  const [p1, p2] = pair();
  const host = new Channel<B, A>(p1);
  const worker = new Channel<A, B>(p2);
  worker.on('boom', () => { throw new Error('bad input at tasks[1]'); });
  await assert.rejects(host.request({ type: 'boom' }), /bad input at tasks\[1\]/);
  host.dispose(); worker.dispose();
});

test('unhandled request is answered with an error, foreign messages are ignored', async () => {
  const [p1, p2] = pair();
  const host = new Channel<B, A>(p1);
  const worker = new Channel<A, B>(p2);
  let any = 0;
  worker.onAny(() => any++);
  p1.post({ hello: 'not ours' });
  await assert.rejects(host.request({ type: 'ping', n: 1 }), /no handler for 'ping'/);
  assert.equal(any, 1);
  host.dispose(); worker.dispose();
});

test('request times out and dispose rejects pending requests', async () => {
  const [p1] = pair();
  const host = new Channel<B, A>(p1);
  await assert.rejects(host.request({ type: 'ping', n: 1 }, 20), /timed out/);
  const pending = host.request({ type: 'ping', n: 2 }, 0);
  host.dispose();
  await assert.rejects(pending, /disposed/);
});
