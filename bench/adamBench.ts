/**
 * Optimizer microbenchmark: ms per `applyGradients` of tfjs's Adam and the project's FusedAdam on
 * the SNIPS model's variable shapes (the 720k-parameter embedding dominates), alternating the two
 * so load changes hit both. One JSON line per backend.
 *
 *   node bench/out/adamBench.js wasm cpu
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendPreference } from '../src/trainer/backend';
import { FusedAdam } from '../src/trainer/model/optimizer';
import { Rng } from '../src/shared/rng';
import { median } from './stats';

// The SNIPS sample's parameters: embedding, encoder GRU, intent/slot blocks, heads, amplifiers, gates.
const SHAPES = [[11250, 64], [64, 384], [384], [2, 64, 192], [2, 1, 192], [256, 64], [32, 64], [64], [64, 64], [32, 64], [64],
  [64, 7], [7], [160, 384], [384], [2, 64, 192], [2, 1, 192], [128, 64], [32, 64], [64], [64, 72], [72], [72, 32], [7, 32], [32], [2], [2]];

async function measure(backend: string, steps: number) {
  await initBackend(backend as BackendPreference);
  // Both sets start from the same values (a fresh Rng each), so the final difference is meaningful.
  const mk = (tag: string) => { const rng = new Rng(5); return SHAPES.map((s, i) => tf.variable(tf.tensor(new Float32Array(s.reduce((a, b) => a * b, 1)).map(() => rng.normal() * 0.1), s), true, `${backend}-${tag}-${i}`)); };
  const rng = new Rng(6);
  const va = mk('tfjs'), vb = mk('fused');
  const grads = SHAPES.map((s) => tf.tensor(new Float32Array(s.reduce((a, b) => a * b, 1)).map(() => rng.normal() * 0.01), s));
  const opts = { tfjs: tf.train.adam(1e-3), fused: new FusedAdam(1e-3) };
  const cpu: Record<string, number[]> = { tfjs: [], fused: [] };
  for (let i = 0; i < steps + 3; i++) {
    for (const [k, vars] of [['tfjs', va], ['fused', vb]] as const) {
      const c0 = process.cpuUsage();
      opts[k].applyGradients(vars.map((v, j) => ({ name: v.name, tensor: grads[j] })));
      vars[0].dataSync(); // completion
      const c = process.cpuUsage(c0);
      if (i >= 3) cpu[k].push((c.user + c.system) / 1000);
    }
  }
  let maxDiff = 0;
  va.forEach((v, j) => { const a = v.dataSync(), b = vb[j].dataSync(); for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i])); });
  const params = SHAPES.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
  tf.dispose([...va, ...vb, ...grads]);
  opts.tfjs.dispose(); opts.fused.dispose();
  return { backend, params, steps, tfjsCpuMs: median(cpu.tfjs), fusedCpuMs: median(cpu.fused), ratio: median(cpu.fused) / median(cpu.tfjs), maxAbsDiff: maxDiff };
}

async function main() {
  const backends = process.argv.slice(2);
  for (const b of backends.length ? backends : ['wasm']) console.log(JSON.stringify(await measure(b, b === 'cpu' ? 10 : 30)));
}

main().catch((e) => { console.error(e); process.exit(1); });
