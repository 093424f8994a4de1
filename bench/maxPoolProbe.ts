/**
 * Masked max-pooling of the encoder, alone: tfjs's formulation (shift padding, tf.max, its Equal
 * gradient) against layers.ts's maskedMax (host pass keeping the argmax), forward + backward on the
 * SNIPS shape [32, T, 128], alternating A/B within one process on wasm. Prints ms per call.
 *
 *   node bench/build.mjs maxPoolProbe && node bench/out/maxPoolProbe.js [--T 20]
 */
import * as tf from '@tensorflow/tfjs-core';
import '../node_modules/@tensorflow/tfjs-core/dist/register_all_gradients';
import { initBackend } from '../src/trainer/backend';
import { lengthMask, maskedMax } from '../src/trainer/model/layers';

async function main() {
  const ti = process.argv.indexOf('--T');
  const T = ti >= 0 ? Number(process.argv[ti + 1]) : 20;
  const [B, D] = [32, 128];
  await initBackend('wasm');
  const x = tf.randomNormal([B, T, D]);
  const lengths = Array.from({ length: B }, (_, i) => Math.max(1, T - (i % T)));
  const mask = tf.tensor2d(lengthMask(lengths, T), [B, T]);
  const w = tf.randomNormal([B, D]);
  const old = (v: tf.Tensor) => tf.max(tf.add(v, tf.mul(tf.sub(tf.expandDims(mask, 2), 1), 1e9)), 1);
  const ours = (v: tf.Tensor) => maskedMax(v, mask);
  const run = (f: (v: tf.Tensor) => tf.Tensor) => tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(f(v), w)))(x).dataSync());
  const time = (f: (v: tf.Tensor) => tf.Tensor, n: number) => { const t0 = performance.now(); for (let i = 0; i < n; i++) run(f); return (performance.now() - t0) / n; };
  for (let i = 0; i < 20; i++) { run(old); run(ours); }
  const a: number[] = [], b: number[] = [];
  for (let r = 0; r < 10; r++) { a.push(time(old, 20)); b.push(time(ours, 20)); }
  const med = (xs: number[]) => [...xs].sort((p, q) => p - q)[xs.length >> 1];
  console.log(JSON.stringify({ T, B, D, tfjsMs: +med(a).toFixed(3), oursMs: +med(b).toFixed(3), ratio: +(med(b) / med(a)).toFixed(3) }));
}
void main();
