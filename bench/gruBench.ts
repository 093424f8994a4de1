/**
 * GRU-level microbenchmark: ms per forward+backward of `BiGru` (loss = weighted sum of the
 * outputs, gradients for every variable and the input), on each backend and shape B,T,D,H given
 * on the command line (default: 32,24,64,64 and 32,12,160,64). One JSON line per measurement.
 *
 *   node bench/out/gruBench.js wasm cpu 32,24,64,64
 */
import * as tf from '@tensorflow/tfjs-core';
import { BiGru } from '../src/trainer/model/gru';
import { Rng } from '../src/shared/rng';
import { initBackend, type BackendPreference } from '../src/trainer/backend';
import '../src/trainer/model/gradients';
import { median, spread } from './stats';

async function measure(backend: string, steps: number, warmup: number, [B, T, D, H]: number[]) {
  await initBackend(backend as BackendPreference);
  const rng = new Rng(1);
  const gru = new BiGru('bench', D, H, rng);
  const xv = new Float32Array(B * T * D).map(() => rng.normal());
  const x = tf.tensor3d(xv, [B, T, D]);
  const lengths = Array.from({ length: B }, () => 6 + rng.int(T - 5));
  const mask = tf.tensor2d(lengths.flatMap((L) => Array.from({ length: T }, (_, t) => (t < L ? 1 : 0))), [B, T]);
  const w = tf.randomNormal([B, T, 2 * H], 0, 1, 'float32', 3);
  const vars = [...gru.variables];
  const times: number[] = [];
  let kernels = 0;
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    const info = await tf.profile(async () => {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => {
          const y = gru.apply(tf.mul(x, 1) as tf.Tensor3D, mask);
          return tf.sum(tf.mul(y, w)) as tf.Scalar;
        }, vars);
        // Force completion as a train step would (the optimizer reads every gradient).
        for (const g of Object.values(grads)) g.dataSync();
      });
    }).catch(() => undefined);
    const dt = performance.now() - t0;
    if (i === warmup) kernels = info?.kernels.length ?? 0;
    if (i >= warmup) times.push(dt);
  }
  // Profiling adds overhead; time separately without it.
  const plain: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(gru.apply(x, mask), w)) as tf.Scalar, vars);
      for (const g of Object.values(grads)) g.dataSync();
    });
    plain.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  tf.dispose([x, mask, w, ...vars]);
  return { backend, shape: { B, T, D, H }, msPerStep: median(plain), cpuMsPerStep: median(cpu), cpuMin: Math.min(...cpu), wallMin: Math.min(...plain), spread: spread(plain), kernels, steps };
}

async function main() {
  const args = process.argv.slice(2);
  const backends = args.filter((a) => !a.includes(','));
  // Default: the brief's B32 T24 D64 H64, and the SNIPS slot block (bucketed length ~12, input 128 + 32).
  const shapes = args.filter((a) => a.includes(',')).map((a) => a.split(',').map(Number));
  for (const shape of shapes.length ? shapes : [[32, 24, 64, 64], [32, 12, 160, 64]]) {
    for (const b of backends.length ? backends : ['wasm', 'cpu']) {
      const steps = b === 'cpu' ? 5 : 30;
      console.log(JSON.stringify(await measure(b, steps, b === 'cpu' ? 1 : 5, shape)));
    }
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
