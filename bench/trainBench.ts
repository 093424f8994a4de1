/**
 * One benchmark process: trains an experiment with the project's own `train()` (the code path a
 * user runs) on one backend, stops it after warm-up + measured steps, and prints one JSON line with
 * the per-step times (`run/step` ms), the loss curve, peak RSS and tensor counts.
 *
 *   node bench/out/trainBench.js --exp samples/snips.fmtl.json --backend wasm --steps 40 --warmup 5
 *     [--static]                 feedback arrows off (K = 0): the static MTL model
 *     [--dump-batches FILE --dump-count N]  also write the first N training batches (the exact
 *                                ones train() sees) for bench/pytorch_ref.py
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendPreference } from '../src/trainer/backend';
import { gruThreadStatus } from '../src/trainer/model/gruThreads';
import { makeBatches } from '../src/trainer/data/batches';
import { prepareData } from '../src/trainer/data/prepare';
import { loadExperimentFile, requireExperiment } from '../src/trainer/experimentFile';
import { buildModel } from '../src/trainer/model/feedbackModel';
import { Rng } from '../src/shared/rng';
import { train } from '../src/trainer/train';
import type { Experiment } from '../src/shared/experimentTypes';
import type { TrainerEvent } from '../src/shared/trainerProtocol';

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** The same shuffle seed train() uses for epoch 0 (kept in step with src/trainer/train.ts). */
function shuffleSeed(seed: number, epoch: number): number {
  return Math.floor(new Rng(seed).fork(`shuffle:${epoch}`).next() * 2 ** 31);
}

async function main() {
  const expPath = arg('exp', 'samples/snips.fmtl.json')!;
  const backendPref = arg('backend', 'wasm') as BackendPreference;
  const steps = Number(arg('steps', '40'));
  const warmup = Number(arg('warmup', '5'));
  const isStatic = process.argv.includes('--static');
  const t0 = performance.now();

  const loaded = loadExperimentFile(expPath);
  let exp: Experiment = requireExperiment(loaded);
  if (isStatic) exp = { ...exp, feedback: exp.feedback.map((f) => ({ ...f, enabled: false })) };
  const iterations = arg('iterations');
  if (iterations !== undefined) exp = { ...exp, iterations: Number(iterations) }; // K, e.g. 1 to see the cost per iteration
  // One epoch is enough: the run is stopped after warm-up + measured steps.
  exp = { ...exp, training: { ...exp.training, epochs: 1, earlyStopping: undefined } };
  const backend = await initBackend(backendPref);
  const data = await prepareData(exp, path.dirname(loaded.path));
  const prepMs = performance.now() - t0;

  const dumpFile = arg('dump-batches');
  if (dumpFile) {
    const n = Number(arg('dump-count', '60'));
    const batches = makeBatches(data.train, data, exp, { batchSize: exp.training.batchSize, shuffle: true, seed: shuffleSeed(exp.training.seed, 0) }).slice(0, n);
    const model = buildModel(exp, data, exp.training.seed);
    const sizes = Object.fromEntries(model.tasks.map((t) => [t.id, t.outDim]));
    model.dispose();
    fs.writeFileSync(dumpFile, JSON.stringify({
      vocab: data.vocab?.tokens.length ?? 0,
      labels: sizes,
      batches: batches.map((b) => ({
        size: b.size, seqLen: b.seqLen, tokens: Array.from(b.tokens!), lengths: Array.from(b.lengths!),
        targets: Object.fromEntries(Object.entries(b.targets).map(([k, v]) => [k, Array.from(v)])),
      })),
    }));
  }

  const controller = new AbortController();
  const stepMs: number[] = [];
  const wallMs: number[] = [];
  const losses: number[] = [];
  const numTensors: number[] = [];
  // CPU time per step (user + system of this process): robust to other load on the box, where wall
  // time is not. The trainer is single-threaded on wasm/cpu, so unloaded CPU time ~ wall time.
  const cpuMs: number[] = [];
  let lastCpu = process.cpuUsage();
  let firstStepAt = 0;
  let last = performance.now();
  let parameters = 0;
  let stepsPerEpoch = 0;
  const onEvent = (e: TrainerEvent) => {
    if (e.type === 'run/start') { parameters = e.sizes.parameters; stepsPerEpoch = e.sizes.stepsPerEpoch; last = performance.now(); lastCpu = process.cpuUsage(); }
    if (e.type !== 'run/step') return;
    const now = performance.now();
    if (!firstStepAt) firstStepAt = now - t0;
    stepMs.push(e.ms);
    wallMs.push(now - last); // includes event delivery and the between-step yield
    last = now;
    const cpu = process.cpuUsage(lastCpu);
    cpuMs.push((cpu.user + cpu.system) / 1000);
    lastCpu = process.cpuUsage();
    losses.push(e.total);
    numTensors.push(tf.memory().numTensors);
    if (stepMs.length >= warmup + steps) controller.abort();
  };
  const runDir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'fmtl-bench-'));
  await train(exp, data, { runId: 'bench', onEvent, signal: controller.signal, backend, experimentPath: loaded.path, runDir });
  fs.rmSync(runDir, { recursive: true, force: true });

  console.log(JSON.stringify({
    backend: backend.name, detail: backend.detail, native: backend.native === true, static: isStatic, iterations: isStatic ? 0 : exp.iterations,
    warmup, steps: stepMs.length - warmup, stepsPerEpoch, parameters,
    stepMs: stepMs.slice(warmup), wallMs: wallMs.slice(warmup), cpuMs: cpuMs.slice(warmup), losses,
    prepMs, firstStepMs: firstStepAt,
    numTensors: { first: numTensors[warmup] ?? null, last: numTensors[numTensors.length - 1] ?? null },
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    secondThread: gruThreadStatus(),
  }));
}

main().catch((e) => { console.error(e instanceof Error ? e.stack ?? e.message : e); process.exit(1); });
