import type { Port } from '../src/shared/channel';

/** Two in-memory ports back to back, delivering asynchronously and copying, like postMessage / IPC. */
export function portPair(): [Port, Port] {
  const ls: [((m: unknown) => void)[], ((m: unknown) => void)[]] = [[], []];
  const mk = (me: 0 | 1): Port => ({
    post: (m) => { const copy = structuredClone(m); setImmediate(() => ls[1 - me].forEach((l) => l(copy))); },
    onMessage: (l) => { ls[me].push(l); return { dispose: () => { ls[me].splice(ls[me].indexOf(l), 1); } }; },
  });
  return [mk(0), mk(1)];
}
