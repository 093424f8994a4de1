// Issue 6, "use both cores": what data-parallel training over two worker threads would cost in
// synchronisation alone. Two workers each hold a gradient of the SNIPS model's size (899,411
// floats), publish it into a SharedArrayBuffer, wait for each other (Atomics), and read back the
// average — the exchange a two-replica step needs. Prints ms per exchange (median over 200).
// Combine with trainBench at batch 16 vs 32 (each worker computes half the batch) for the bound:
// step(2 workers) >= step(B/2) + exchange.
//
//   node bench/parallelProbe.mjs
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const N = 899411;
const ROUNDS = 200;

if (isMainThread) {
  const sab = new SharedArrayBuffer(2 * N * 4);
  const flags = new SharedArrayBuffer(4 * 4);
  const times = await Promise.all([0, 1].map((id) => new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { id, sab, flags } });
    w.on('message', resolve);
    w.on('error', reject);
  })));
  const ms = times[0].sort((a, b) => a - b);
  console.log(JSON.stringify({ floats: N, rounds: ROUNDS, exchangeMsMedian: Math.round(ms[ms.length >> 1] * 100) / 100, exchangeMsP90: Math.round(ms[Math.floor(ms.length * 0.9)] * 100) / 100 }));
} else {
  const { id, sab, flags } = workerData;
  const slots = [new Float32Array(sab, 0, N), new Float32Array(sab, N * 4, N)];
  const f = new Int32Array(flags);
  const grad = new Float32Array(N).map((_, i) => (i % 7) * 0.001 * (id + 1));
  const avg = new Float32Array(N);
  const times = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    slots[id].set(grad); // publish (in the trainer: the gradient read out of the wasm heap)
    // Barrier: increment the round counter, wait until both arrived.
    Atomics.add(f, 0, 1);
    while (Atomics.load(f, 0) < 2 * (r + 1)) Atomics.wait(f, 0, Atomics.load(f, 0), 5);
    Atomics.notify(f, 0);
    const a = slots[0], b = slots[1];
    for (let i = 0; i < N; i++) avg[i] = 0.5 * (a[i] + b[i]);
    // Second barrier before the slots are overwritten next round.
    Atomics.add(f, 1, 1);
    while (Atomics.load(f, 1) < 2 * (r + 1)) Atomics.wait(f, 1, Atomics.load(f, 1), 5);
    Atomics.notify(f, 1);
    times.push(performance.now() - t0);
  }
  parentPort.postMessage(times);
}
