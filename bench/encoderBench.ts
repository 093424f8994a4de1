/**
 * Step time of each text encoder and token-level tower block alone, beside a PyTorch module of the
 * same architecture and parameter count (`bench/pytorch_encoders.py`), at SNIPS's shape: batch 32,
 * the first training batches of SNIPS as train() builds them (real sentences, padded to each
 * batch's longest: SNIPS's own length distribution). One step = forward, a loss, backward and an
 * Adam update of the layer's parameters (embeddings included for encoders); the loss is
 * (Σ token states² + Σ sentence vector²) / 2B, dense in every output, the same on both sides.
 *
 * Two modes:
 *   node bench/out/encoderBench.js --worker [--dump FILE] [--steps N --warmup W] [--only a,b]
 *       one process, one backend: every layer measured in turn, one JSON line; `--dump` also
 *       writes the batches, each layer's initial weights and its eval-mode outputs, loss and
 *       gradient norm on batch 0 for the twin (which checks it computes the same function);
 *       `--profile`: the measured steps run under tf.profile, and each layer gets its kernels
 *       (`kernelTally.ts`; wall times then include the profiler's overhead)
 *   node bench/out/encoderBench.js [--python PY] [--repeats R] [--steps N --warmup W] [--only a,b]
 *       the comparison: per repeat, ours (wasm + native kernels when built), the PyTorch twin
 *       (1 thread), ours on plain wasm (FMTL_NATIVE=0), each in its own process, interleaved so a
 *       load change hits all three; one JSON line with the table (`encoderTable.ts`). Without
 *       `--python` the PyTorch columns are skipped with a message. A layer more than 3x behind
 *       PyTorch is profiled afterwards (one more process, `--profile`): its row gets the kernels.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/trainer/backend';
import { makeBatches } from '../src/data/batches';
import { prepareData } from '../src/data/prepare';
import type { Batch, PreparedData } from '../src/data/types';
import { loadExperimentFile, requireExperiment } from '../src/data/experimentFile';
import { SelfAttention } from '../src/trainer/model/attention';
import { blocks } from '../src/trainer/model/block';
import { Dropout, type BatchTensors, type ForwardCtx } from '../src/trainer/model/context';
import { encoders } from '../src/trainer/model/encoder';
import { batchTensors } from '../src/trainer/model/feedbackModel';
import { makeOptimizer } from '../src/trainer/model/optimizer';
import { ParamScope, type NamedVariable } from '../src/trainer/model/params';
import type { AttentionSpec, BlockSpec, EncoderSpec, Experiment } from '../src/shared/experimentTypes';
import { Rng } from '../src/shared/rng';
import { encoderRows, type TimingRun } from './encoderTable';
import { KernelTally } from './kernelTally';
import { median, spread } from './stats';
import { writeDump } from './twinDump';

const { values: args } = parseArgs({
  options: {
    worker: { type: 'boolean', default: false },
    dump: { type: 'string' },
    python: { type: 'string' },
    repeats: { type: 'string', default: '3' },
    steps: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    top: { type: 'string', default: '8' },
  },
});
const STEPS = Number(args.steps);
const WARMUP = Number(args.warmup);
const BATCH = 32;
const SEED = 1;

/** Width of the token states the tower blocks and the attention layer read: the base encoder's 2 x 64. */
const STATES = 128;

/** What a layer gives for a batch: token states, and a sentence vector for encoders. */
interface LayerOut { tokens: tf.Tensor3D; sentence?: tf.Tensor2D }

/** A layer as built for the bench. */
interface Built {
  variables: readonly NamedVariable[];
  apply(ctx: ForwardCtx, states: tf.Tensor3D | undefined): LayerOut;
}

/** One row of the bench: which sample's data and widths, and how to build the layer. */
interface LayerCase {
  id: string;
  title: string;
  /** The sample whose data (vocabulary, batches) and encoder widths the layer takes. */
  exp: string;
  /** What the twin builds: `encoder` (the sample's spec, maybe retyped), `attention` or `block`. */
  twin(exp: Experiment, data: PreparedData): Record<string, unknown>;
  build(exp: Experiment, data: PreparedData, scope: ParamScope): Built;
}

const encoderCase = (id: string, title: string, exp: string, retype?: 'bilstm'): LayerCase => {
  const spec = (e: Experiment): EncoderSpec => (retype ? { ...e.encoder, type: retype } as EncoderSpec : e.encoder);
  return {
    id, title, exp,
    twin: (e, data) => ({ kind: 'encoder', spec: spec(e), vocab: data.vocab!.tokens.length, charVocab: data.charVocab?.tokens.length ?? 0 }),
    build(e, data, scope) {
      const enc = encoders.get(spec(e).type)(spec(e), data, scope.scope('encoder'));
      return { variables: enc.variables, apply: (ctx) => { const o = enc.apply(ctx); return { tokens: o.tokens!, sentence: o.sentence }; } };
    },
  };
};

/** The README's attention option (Stack-Propagation's): 4 heads, 128 wide, concatenated to the states. */
const ATTENTION: AttentionSpec = { heads: 4, dim: 128, dropout: 0.1, combine: 'concat' };
/** The README's Transformer block example, over the encoder's 128-wide states. */
const BLOCK: BlockSpec = { type: 'transformer', units: 64, heads: 4, ffn: 256, dropout: 0.1 };

const CASES: LayerCase[] = [
  encoderCase('bigru', 'BiGRU encoder (emb 64, hidden 64)', 'samples/snips.fmtl.json'),
  encoderCase('bilstm', 'BiLSTM encoder (emb 64, hidden 64)', 'samples/snips.fmtl.json', 'bilstm'),
  encoderCase('cnn', 'CNN encoder (emb 64, 64 filters × widths 3, 5, 2 layers)', 'samples/snips-cnn.fmtl.json'),
  encoderCase('transformer', 'Transformer encoder (emb 64 → 128, 4 heads, 2 layers, ffn 256)', 'samples/snips-transformer.fmtl.json'),
  encoderCase('bigru-chars', 'BiGRU + char CNN encoder (emb 128 + chars 64, hidden 128; quality)', 'samples/snips-quality.fmtl.json'),
  {
    id: 'attention', title: 'self-attention layer (4 heads, dim 128, concat) on 128-wide states', exp: 'samples/snips.fmtl.json',
    twin: () => ({ kind: 'attention', spec: ATTENTION, inDim: STATES }),
    build(_e, _d, scope) {
      const att = new SelfAttention(ATTENTION, STATES, scope.scope('attention'), 'bench/attention');
      return { variables: scope.variables, apply: (ctx, x) => ({ tokens: att.apply(x!, ctx.batch.mask!, ctx) }) };
    },
  },
  {
    id: 'transformer-block', title: 'Transformer block (units 64, 4 heads, ffn 256) on 128-wide states', exp: 'samples/snips.fmtl.json',
    twin: () => ({ kind: 'block', spec: BLOCK, inDim: STATES }),
    build(_e, _d, scope) {
      const block = blocks.get('transformer')(BLOCK, { level: 'token', inDim: STATES, extraDim: 0, site: 'bench/block' }, scope.scope('block'));
      return { variables: block.variables, apply: (ctx, x) => ({ tokens: block.apply(x!, null, ctx) as tf.Tensor3D }) };
    },
  },
];

/** (Σ tokens² + Σ sentence²) / 2B: every output gets a gradient; padded token states are zero in every layer. */
function benchLoss(out: LayerOut, batchSize: number): tf.Scalar {
  const sq = tf.sum(tf.square(out.tokens));
  return tf.div(out.sentence ? tf.add(sq, tf.sum(tf.square(out.sentence))) : sq, 2 * batchSize) as tf.Scalar;
}

/** The first `n` training batches of the sample's data (epoch 0's shuffle and length bucketing). */
async function samples(file: string, n: number, cache: Map<string, { exp: Experiment; data: PreparedData; batches: Batch[] }>) {
  const loaded = loadExperimentFile(file);
  const exp = requireExperiment(loaded);
  const key = JSON.stringify([exp.data, exp.encoder.type === 'mlp' ? null : (exp.encoder as { chars?: unknown }).chars ?? null]);
  let hit = cache.get(key);
  if (!hit) {
    const data = await prepareData(exp, path.dirname(loaded.path));
    const batches = makeBatches(data.train, data, exp, { batchSize: BATCH, shuffle: true, seed: SEED }).slice(0, n);
    hit = { exp, data, batches };
    cache.set(key, hit);
  }
  return { ...hit, exp };
}

async function worker() {
  const backend = await initBackend('wasm');
  const only = args.only?.split(',');
  const cases = CASES.filter((c) => !only || only.includes(c.id));
  const n = WARMUP + STEPS;
  const cache = new Map<string, { exp: Experiment; data: PreparedData; batches: Batch[] }>();
  const layers = [];
  const dump: { layers: Record<string, unknown>[]; batchSets: Record<string, unknown>; arrays: Float32Array[]; names: { name: string; shape: number[] }[] } = { layers: [], batchSets: {}, arrays: [], names: [] };
  const put = (name: string, t: tf.Tensor) => { dump.names.push({ name, shape: t.shape }); dump.arrays.push(Float32Array.from(t.dataSync() as Float32Array)); };
  for (const c of cases) {
    const { exp, data, batches } = await samples(c.exp, n, cache);
    const scope = ParamScope.root(SEED);
    const layer = c.build(exp, data, scope);
    const vars = layer.variables.map((v) => v.variable);
    const parameters = vars.reduce((s, v) => s + v.size, 0);
    const opt = makeOptimizer({ ...exp.training, optimizer: 'adam', learningRate: 1e-3 });
    // Batches on the device and random 128-wide input states before the clock starts, as PyTorch's are.
    const rng = new Rng(SEED).fork(c.id);
    const prepared = batches.map((b) => ({
      b, bt: batchTensors(b, null) as BatchTensors,
      states: c.twin(exp, data).kind === 'encoder' ? undefined : tf.tensor3d(Float32Array.from({ length: b.size * b.seqLen * STATES }, () => rng.normal()), [b.size, b.seqLen, STATES]),
    }));
    const ctxOf = (bt: BatchTensors, training: boolean, step: number): ForwardCtx =>
      ({ training, batch: bt, dropout: new Dropout(training ? new Rng(SEED).fork(`dropout:${step}`) : null, 'shared'), iteration: 0 });

    if (args.dump) {
      // Same function check for the twin: weights before training, eval-mode outputs, loss and gradient norm on batch 0.
      const p0 = prepared[0];
      const setKey = c.exp;
      if (!dump.batchSets[setKey]) {
        dump.batchSets[setKey] = batches.map((b) => ({
          size: b.size, seqLen: b.seqLen, tokens: Array.from(b.tokens!), lengths: Array.from(b.lengths!),
          ...(b.chars ? { chars: Array.from(b.chars), charLengths: Array.from(b.charLengths!), wordLen: b.wordLen } : {}),
        }));
      }
      for (const v of layer.variables) put(`${c.id}/${v.name}`, v.variable);
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => {
          const out = layer.apply(ctxOf(p0.bt, false, 0), p0.states);
          put(`${c.id}/@tokens`, out.tokens);
          if (out.sentence) put(`${c.id}/@sentence`, out.sentence);
          return benchLoss(out, p0.b.size);
        }, vars);
        if (p0.states) put(`${c.id}/@states`, p0.states);
        const gradNorm = Math.sqrt(Object.values(grads).reduce((s, g) => s + (tf.sum(tf.square(g)).dataSync()[0]), 0));
        dump.layers.push({ id: c.id, title: c.title, batches: setKey, parameters, ...c.twin(exp, data), evalLoss: value.dataSync()[0], gradNorm });
      });
    }

    const stepMs: number[] = [];
    const cpuMs: number[] = [];
    const tally = new KernelTally();
    for (let s = 0; s < n; s++) {
      const { b, bt, states } = prepared[s % prepared.length];
      const step = () => tf.tidy(() => {
        const { grads } = tf.variableGrads(() => benchLoss(layer.apply(ctxOf(bt, true, s), states), b.size), vars);
        opt.applyGradients(layer.variables.map((v) => ({ name: v.variable.name, tensor: grads[v.variable.name] })));
      });
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      if (args.profile && s >= WARMUP) tally.add((await tf.profile(step)).kernels);
      else step();
      const c1 = process.cpuUsage(c0);
      if (s >= WARMUP) { stepMs.push(performance.now() - t0); cpuMs.push((c1.user + c1.system) / 1000); }
    }
    layers.push({
      id: c.id, title: c.title, parameters, stepMs, cpuMs, seqLens: batches.slice(WARMUP, n).map((b) => b.seqLen),
      ...(args.profile ? { kernels: tally.summary(Number(args.top)) } : {}),
    });
    for (const p of prepared) tf.dispose([p.bt.tokens!, p.bt.mask!, ...(p.bt.chars ? [p.bt.chars, p.bt.charMask!] : []), ...(p.states ? [p.states] : [])]);
    tf.dispose(vars);
    opt.dispose();
  }
  if (args.dump) writeDump(args.dump, { batchSize: BATCH, layers: dump.layers, batchSets: dump.batchSets, tensors: dump.names, steps: STEPS, warmup: WARMUP }, dump.arrays);
  console.log(JSON.stringify({ backend: backend.name, detail: backend.detail, native: backend.native === true, layers, numTensors: tf.memory().numTensors }));
}

/** Runs a process and parses the last JSON line of its stdout; throws with its stderr otherwise. */
function runJson(cmd: string, argv: string[], env: NodeJS.ProcessEnv = process.env): Record<string, unknown> & TimingRun {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 << 20, env });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}):\n${(r.stderr || '').slice(-2000)}`);
  const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('{'));
  if (!lines.length) throw new Error(`${cmd} ${argv.join(' ')} printed no JSON line:\n${(r.stderr || '').slice(-2000)}`);
  return JSON.parse(lines[lines.length - 1]);
}

function compare() {
  const repeats = Number(args.repeats);
  const self = process.argv[1];
  const common = ['--steps', String(STEPS), '--warmup', String(WARMUP)];
  const dumpOf = (id: string) => path.join(path.dirname(self), '..', 'results', 'tmp', `encoder-dump-${id}.json`);
  fs.mkdirSync(path.dirname(dumpOf('x')), { recursive: true });
  const log = (s: string) => process.stderr.write(s + '\n');
  const loadBefore = loadavg();
  const ids = CASES.map((c) => c.id).filter((id) => !args.only || args.only.split(',').includes(id));
  // One TimingRun per repeat and side, its layers measured each in its own process: per layer, ours,
  // the twin and plain wasm run back to back, so the ratio of a row compares measurements seconds apart.
  const ours: TimingRun[] = [], plain: TimingRun[] = [], pytorch: TimingRun[] = [];
  let native = false;
  let twin: Record<string, unknown> | null = null;
  const twinLayers: Record<string, unknown>[] = [];
  let skipped: string | null = args.python ? null : 'PyTorch side skipped: no python3 with torch (Debian: apt-get install python3-torch; or set PYTHON)';
  if (skipped) log(skipped);
  for (let i = 0; i < repeats; i++) {
    const o: TimingRun = { layers: [] }, p: TimingRun = { layers: [] }, t: TimingRun = { layers: [] };
    for (const id of ids) {
      log(`encoders: repeat ${i + 1}/${repeats}, ${id}: ours, PyTorch, plain wasm ...`);
      const r = runJson(process.execPath, [self, '--worker', ...common, '--only', id, ...(i === 0 ? ['--dump', dumpOf(id)] : [])]);
      o.layers.push(...r.layers);
      native = r.native === true;
      if (args.python && !skipped) {
        const tw = runJson(args.python, [path.join(path.dirname(self), '..', 'pytorch_encoders.py'), '--dump', dumpOf(id), '--threads', '1', ...common]);
        if (typeof tw.error === 'string') { skipped = `PyTorch side skipped: ${tw.error}`; log(skipped); } else {
          t.layers.push(...tw.layers);
          twin ??= tw;
          if (i === 0) twinLayers.push(...(tw.layers as unknown as Record<string, unknown>[]));
        }
      }
      if (native) p.layers.push(...runJson(process.execPath, [self, '--worker', ...common, '--only', id], { ...process.env, FMTL_NATIVE: '0' }).layers);
    }
    ours.push(o);
    if (p.layers.length) plain.push(p);
    if (t.layers.length) pytorch.push(t);
  }
  const rows = encoderRows(ours, plain, pytorch);
  // Where the time goes in a layer far behind PyTorch (ours with the native kernels, 10 profiled steps).
  const behind = rows.filter((r) => (r.ratio ?? 0) > 3 || (r.ratioCpu ?? 0) > 3).map((r) => r.id);
  let profiles: { id: string; kernels: unknown }[] = [];
  if (behind.length) {
    log(`encoders: kernel profile of ${behind.join(', ')} (more than 3x behind PyTorch, wall or CPU) ...`);
    const p = runJson(process.execPath, [self, '--worker', '--profile', '--steps', '10', '--warmup', String(WARMUP), '--only', behind.join(',')]);
    profiles = p.layers as unknown as { id: string; kernels: unknown }[];
  }
  const first = ours[0] as unknown as { layers: { id: string; title: string; seqLens: number[] }[] };
  const seqLens = first.layers[0].seqLens;
  console.log(JSON.stringify({
    batchSize: BATCH, steps: STEPS, warmup: WARMUP, repeats, nativeKernels: native,
    // The padded length T of the measured batches (each padded to its longest sentence).
    seqLen: { median: median(seqLens), ...spread(seqLens) },
    rows: rows.map((r) => ({ ...r, title: first.layers.find((l) => l.id === r.id)!.title, check: twinLayers.find((l) => l.id === r.id)?.check ?? null, twin: twinLayers.find((l) => l.id === r.id)?.twin ?? null,
      kernels: profiles.find((p) => p.id === r.id)?.kernels ?? null })),
    pytorch: twin ? { torch: twin.torch, threads: 1 } : null,
    skipped,
    loadAverage: { before: loadBefore.map((x) => Math.round(x * 100) / 100), after: loadavg().map((x) => Math.round(x * 100) / 100) },
  }));
}

if (args.worker) worker().catch((e) => { console.error(e instanceof Error ? e.stack ?? e.message : e); process.exit(1); });
else {
  try { compare(); } catch (e) { console.error(e instanceof Error ? e.message : e); process.exit(1); }
}
