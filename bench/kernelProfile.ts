/**
 * Where a training step's time goes, by tfjs kernel: runs the SNIPS training step (forward,
 * objective, gradients, FusedAdam update — the same calls train() makes) under `tf.profile` and
 * sums each kernel's wall time over steps 10..29 (after warm-up). Prints one JSON line with the top
 * kernels, their share and call counts per step. Kernel times are measured with the engine's
 * timer (wall), so run it on a quiet box; the shares are what matters.
 *
 *   node bench/out/kernelProfile.js [--exp samples/snips.fmtl.json] [--static | --iterations K]
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/trainer/backend';
import { makeBatches } from '../src/data/batches';
import { prepareData } from '../src/data/prepare';
import { loadExperimentFile, requireExperiment } from '../src/data/experimentFile';
import { buildModel } from '../src/trainer/model/feedbackModel';
import { objective } from '../src/trainer/model/objective';
import { makeOptimizer } from '../src/trainer/model/optimizer';
import { KernelTally } from './kernelTally';

async function main() {
  const i = process.argv.indexOf('--exp');
  const loaded = loadExperimentFile(i >= 0 ? process.argv[i + 1] : 'samples/snips.fmtl.json');
  let exp = requireExperiment(loaded);
  // --static: every arrow off; --iterations K: another K (how the kernel mix grows per iteration)
  if (process.argv.includes('--static')) exp = { ...exp, feedback: exp.feedback.map((f) => ({ ...f, enabled: false })) };
  const k = process.argv.indexOf('--iterations');
  if (k >= 0) exp = { ...exp, iterations: Number(process.argv[k + 1]) };
  await initBackend('wasm');
  const data = await prepareData(exp, path.dirname(loaded.path));
  const model = buildModel(exp, data, exp.training.seed);
  const opt = makeOptimizer(exp.training);
  const batches = makeBatches(data.train, data, exp, { batchSize: exp.training.batchSize, shuffle: true, seed: 1 });
  const tally = new KernelTally();
  let total = 0, measured = 0;
  for (let s = 0; s < 30; s++) {
    const b = batches[s];
    const step = () => tf.tidy(() => {
      const { grads } = tf.variableGrads(() => objective(model, model.forward(b, { training: true, tau: 1, step: s }), b).total, model.variables);
      opt.applyGradients(model.variables.map((v) => ({ name: v.name, tensor: grads[v.name] ?? tf.zerosLike(v) })));
    });
    if (s < 10) { step(); continue; }
    const t0 = performance.now();
    const info = await tf.profile(step);
    total += performance.now() - t0;
    measured++;
    tally.add(info.kernels);
  }
  const { steps, ...rest } = tally.summary(process.argv.includes('--all') ? Infinity : 20);
  console.log(JSON.stringify({ steps, wallMsPerStep: Math.round(total / measured), ...rest }));
}

main().catch((e) => { console.error(e); process.exit(1); });
