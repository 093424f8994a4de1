/**
 * One benchmark process: trains an experiment with the project's own `train()` (the code path a
 * user runs) on one backend, stops it after warm-up + measured steps, and prints one JSON line with
 * the per-step times (`run/step` ms), the loss curve, peak RSS and tensor counts.
 *
 *   node bench/out/trainBench.js --exp samples/snips.fmtl.json --backend wasm --steps 40 --warmup 5
 *     [--static]                 feedback arrows off (K = 0): the static MTL model
 *     [--dump-batches FILE --dump-count N]  also write the first N training batches (the exact
 *                                ones train() sees), the initial weights and the per-step learning
 *                                rate and Gumbel temperature, for the PyTorch twins
 *                                (bench/pytorch_ref.py, bench/pytorch_quality.py)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendPreference } from '../src/trainer/backend';
import { gruThreadStatus } from '../src/trainer/model/gruThreads';
import { makeBatches } from '../src/data/batches';
import { prepareData } from '../src/data/prepare';
import { loadExperimentFile, requireExperiment } from '../src/data/experimentFile';
import { buildModel, trainingTokenIds } from '../src/trainer/model/feedbackModel';
import { objective } from '../src/trainer/model/objective';
import type { PreparedData } from '../src/data/types';
import { Rng } from '../src/shared/rng';
import { train } from '../src/trainer/train';
import type { Experiment } from '../src/shared/experimentTypes';
import type { TrainerEvent } from '../src/shared/trainerProtocol';
import { writeDump } from './twinDump';

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** The same shuffle seed train() uses for epoch 0 (kept in step with src/trainer/train.ts). */
function shuffleSeed(seed: number, epoch: number): number {
  return Math.floor(new Rng(seed).fork(`shuffle:${epoch}`).next() * 2 ** 31);
}

/** What the PyTorch twins (bench/pytorch_ref.py, bench/pytorch_quality.py) read: the batches and the model's start. */
interface TwinDump {
  json: Record<string, unknown>;
  /** The model's initial weights, concatenated (float32), in `json.weights` order. */
  weights: Float32Array[];
}

/**
 * The first `n` training batches exactly as train() sees them in epoch 0 (shuffle seed, and for
 * word dropout the ids after the draw of that step), the experiment as run, the initial weights by
 * name, and the model's eval-mode objective on batch 0 with those weights: a twin that loads the
 * weights must give the same number (no dropout, no noise: the same function or not).
 */
function dumpForTwin(exp: Experiment, data: PreparedData, n: number): TwinDump {
  const seed = exp.training.seed;
  const batches = makeBatches(data.train, data, exp, { batchSize: exp.training.batchSize, shuffle: true, seed: shuffleSeed(seed, 0) }).slice(0, n);
  const model = buildModel(exp, data, seed);
  try {
    const sizes = Object.fromEntries(model.tasks.map((t) => [t.id, t.outDim]));
    const rate = model.encoder.wordDropout ?? 0;
    const evalObjective = tf.tidy(() => {
      const o = objective(model, model.forward(batches[0], { training: false }), batches[0]);
      return { total: o.total.dataSync()[0], tasks: o.taskLosses.map((l) => l.dataSync()[0]), convergence: o.convergence.map((c) => c.dataSync()[0]) };
    });
    const weights = model.getWeights().map((w) => Float32Array.from(w.tensor.dataSync() as Float32Array));
    return {
      json: {
        config: exp,
        vocab: data.vocab?.tokens.length ?? 0,
        charVocab: data.charVocab?.tokens.length ?? 0,
        labels: sizes,
        parameters: model.parameterCount,
        weights: model.getWeights().map((w) => ({ name: w.name, shape: w.tensor.shape })),
        evalObjective,
        batches: batches.map((b, step) => ({
          size: b.size, seqLen: b.seqLen, tokens: Array.from(b.tokens!), lengths: Array.from(b.lengths!),
          // Word dropout: the ids the encoder got at this step (step = index: a fresh run's epoch 0).
          ...(rate > 0 ? { trainTokens: Array.from(trainingTokenIds(b, rate, seed, step)) } : {}),
          ...(b.chars ? { chars: Array.from(b.chars), charLengths: Array.from(b.charLengths!), wordLen: b.wordLen } : {}),
          targets: Object.fromEntries(Object.entries(b.targets).map(([k, v]) => [k, Array.from(v)])),
        })),
      },
      weights,
    };
  } finally {
    model.dispose();
  }
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
  const dump = dumpFile ? dumpForTwin(exp, data, Number(arg('dump-count', '60'))) : undefined;

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
  const schedule = { lr: [] as number[], tau: [] as number[] };
  await train(exp, data, {
    runId: 'bench', signal: controller.signal, backend, experimentPath: loaded.path, runDir,
    onEvent: (e) => { if (e.type === 'run/step') { schedule.lr.push(e.lr); schedule.tau.push(e.tau); } onEvent(e); },
  });
  fs.rmSync(runDir, { recursive: true, force: true });
  if (dumpFile && dump) writeDump(dumpFile, { ...dump.json, stepsPerEpoch, schedule }, dump.weights);

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
