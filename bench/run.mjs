// `npm run bench`: the trainer's speed against PyTorch on this machine, from one run.
//
// Measures (each in its own process, so peak RSS and backend state are per measurement):
//  - ms per training step of samples/snips.fmtl.json (feedback, K = 3, batch 32) with our train()
//    on wasm (repeats) and cpu (fewer steps), and the same model with feedback off (static)
//  - the PyTorch reference (bench/pytorch_ref.py) on the exact same batches, 1 and 2 threads
//  - time from `fmtl train ... --json` to its first run/step line (process start, backend, data)
//  - the BiGRU layer alone (bench/gruBench.ts)
//  - the quality configuration samples/snips-quality.fmtl.json (char CNN, CRF, word dropout, lr
//    schedule, clipping): ours with the native kernels, plain wasm, static, against its PyTorch
//    twin bench/pytorch_quality.py on the same batches, interleaved (`results.quality`)
//  - each text encoder and token-level block alone (BiGRU, BiLSTM, CNN, Transformer, BiGRU + char
//    CNN, self-attention, Transformer block) against a PyTorch module of the same architecture and
//    parameter count (bench/encoderBench.ts, bench/pytorch_encoders.py; `results.encoders`)
// Prints a table and writes bench/results/latest.json.
//
// Options: --quick (fewer steps/repeats), --no-cpu, --no-torch, --exp FILE, --no-quality,
// --only-quality (just the quality section), --no-encoders, --only-encoders (just the encoders).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync, mkdtempSync } from 'node:fs';
import { cpus, totalmem, platform, release, arch, tmpdir, loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBench } from './build.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const argv = process.argv.slice(2);
const has = (f) => argv.includes(f);
const opt = (name, fallback) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : fallback; };
const quick = has('--quick');
const expFile = opt('--exp', 'samples/snips.fmtl.json');
const QUALITY_EXP = 'samples/snips-quality.fmtl.json';
const onlyQuality = has('--only-quality');
if (onlyQuality && has('--no-quality')) { console.error('--only-quality and --no-quality exclude each other'); process.exit(2); }
const onlyEncoders = has('--only-encoders');
if (onlyEncoders && (has('--no-encoders') || onlyQuality)) { console.error('--only-encoders excludes --no-encoders and --only-quality'); process.exit(2); }
const REPEATS = quick ? 1 : 3;
const WARMUP = 5;
const STEPS = quick ? 20 : 45; // warm-up + steps = 50 losses for the curve comparison
const tmp = join(here, 'results', 'tmp');
mkdirSync(tmp, { recursive: true });

const log = (s) => process.stderr.write(s + '\n');

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length ? (s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2) : NaN;
}
function quantile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(p * (s.length - 1))))];
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const r1 = (x) => (Number.isFinite(x) ? Math.round(x * 10) / 10 : null);
function summary(xs) {
  return { median: r1(median(xs)), p25: r1(quantile(xs, 0.25)), p75: r1(quantile(xs, 0.75)), min: r1(Math.min(...xs)), max: r1(Math.max(...xs)), mean: r1(mean(xs)), n: xs.length };
}

/** Runs a command, returns parsed last JSON line of stdout (throws with stderr on failure). */
function runJson(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20, env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${(r.stderr || '').slice(-2000)}`);
  const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('{'));
  return JSON.parse(lines[lines.length - 1]);
}

function trainBench(backend, { exp = expFile, staticModel = false, steps = STEPS, warmup = WARMUP, dump, plain = false, iterations } = {}) {
  const args = ['bench/out/trainBench.js', '--exp', exp, '--backend', backend, '--steps', String(steps), '--warmup', String(warmup)];
  if (staticModel) args.push('--static');
  if (iterations !== undefined) args.push('--iterations', String(iterations));
  if (dump) args.push('--dump-batches', dump, '--dump-count', String(warmup + steps));
  // plain: wasm without the native kernels (src/trainer/native), for the figure they buy
  return runJson(process.execPath, args, plain ? { ...process.env, FMTL_NATIVE: '0' } : process.env);
}

/** The first of $PYTHON, python3 on PATH, /usr/bin/python3 (Debian's python3-torch) that imports torch. */
function findPython() {
  for (const py of [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean)) {
    const r = spawnSync(py, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { py, version: r.stdout.trim() };
  }
  return null;
}

/** Spawns the CLI and times the first run/step line. */
function firstEvent() {
  return new Promise((resolve, reject) => {
    const runsDir = mkdtempSync(join(tmpdir(), 'fmtl-bench-runs-'));
    const t0 = performance.now();
    const child = spawn(process.execPath, ['dist/cli.js', 'train', expFile, '--json', '--runs-dir', runsDir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '', err = '', done = false;
    const finish = (v, e) => {
      if (done) return; done = true;
      child.kill('SIGKILL');
      rmSync(runsDir, { recursive: true, force: true });
      e ? reject(e) : resolve(v);
    };
    child.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i); buf = buf.slice(i + 1);
        if (line.includes('"run/step"')) finish(performance.now() - t0);
      }
    });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => finish(null, new Error(`fmtl train exited (${code}) before a step event:\n${err.slice(-1500)}`)));
    setTimeout(() => finish(null, new Error('no step event within 60 s')), 60000);
  });
}

/**
 * The quality configuration against its PyTorch twin (bench/pytorch_quality.py), on the batches our
 * first feedback run saw, interleaved: ours (wasm + native kernels when built), PyTorch 1 thread,
 * plain wasm (FMTL_NATIVE=0), ours static, PyTorch static — per repeat, so load changes hit all.
 */
function qualitySection(torch) {
  const file = join(tmp, 'quality-batches.json');
  const runs = { wasm: [], wasmPlain: [], wasmStatic: [] };
  const pt = { 1: [], static1: [] };
  const ptArgs = (extra = []) => ['bench/pytorch_quality.py', '--batches', file, '--threads', '1', '--steps', String(STEPS), '--warmup', String(WARMUP), ...extra];
  for (let i = 0; i < REPEATS; i++) {
    log(`quality: wasm feedback, repeat ${i + 1}/${REPEATS} ...`);
    runs.wasm.push(trainBench('wasm', { exp: QUALITY_EXP, dump: i === 0 ? file : undefined }));
    if (torch) {
      log(`quality: PyTorch twin 1 thread, feedback, repeat ${i + 1}/${REPEATS} ...`);
      pt[1].push(runJson(torch.py, ptArgs()));
    }
    if (runs.wasm[0].native === true) {
      log(`quality: wasm without the native kernels (FMTL_NATIVE=0), repeat ${i + 1}/${REPEATS} ...`);
      runs.wasmPlain.push(trainBench('wasm', { exp: QUALITY_EXP, plain: true }));
    }
    log(`quality: wasm static, repeat ${i + 1}/${REPEATS} ...`);
    runs.wasmStatic.push(trainBench('wasm', { exp: QUALITY_EXP, staticModel: true }));
    if (torch) {
      log(`quality: PyTorch twin 1 thread, static, repeat ${i + 1}/${REPEATS} ...`);
      pt.static1.push(runJson(torch.py, ptArgs(['--static'])));
    }
  }
  const all = (rs) => rs.flatMap((r) => r.stepMs);
  const stats = (rs) => ({ ...summary(all(rs)), cpuMedian: r1(median(rs.flatMap((r) => r.cpuMs))), repeatMedians: rs.map((r) => r1(median(r.stepMs))) });
  const stepStats = {};
  for (const [k, rs] of Object.entries(runs)) if (rs.length) stepStats[{ wasmStatic: 'wasm-static', wasmPlain: 'wasm-plain' }[k] ?? k] = { ...stats(rs), peakRssMb: r1(Math.max(...rs.map((r) => r.peakRssMb))) };
  const ptStats = Object.fromEntries(Object.entries(pt).filter(([, rs]) => rs.length).map(([k, rs]) => [k, stats(rs)]));
  const ratio = (a, b) => (a && b ? Math.round(a / b * 100) / 100 : null);
  const ms = (s) => s?.median ?? null;
  const spe = runs.wasm[0].stepsPerEpoch;
  const epoch = (rs) => (rs.length ? r1(spe * mean(all(rs)) / 1000) : null);
  const r3 = (x) => Math.round(x * 1000) / 1000;
  const curve = (losses) => ({ start: r3(mean(losses.slice(0, 3))), end: r3(mean(losses.slice(-5))), n: losses.length });
  const first = (losses) => losses.slice(0, 3).map((x) => Math.round(x * 1e5) / 1e5);
  return {
    experiment: QUALITY_EXP,
    nativeKernels: runs.wasm[0].native === true,
    msPerStep: Object.fromEntries(Object.entries(stepStats).map(([k, s]) => [k, s.median])),
    stepStats,
    pytorchMsPerStep: torch ? { 1: ms(ptStats[1]) } : null,
    pytorchStaticMsPerStep: torch ? ms(ptStats.static1) : null,
    pytorchStats: torch ? ptStats : null,
    // ours (with the native kernels when built) / PyTorch 1 thread, medians of this run.
    ratioVsPytorch1: torch ? ratio(ms(stepStats.wasm), ms(ptStats[1])) : null,
    ratioPlainWasmVsPytorch1: torch ? ratio(ms(stepStats['wasm-plain']), ms(ptStats[1])) : null,
    ratioStaticVsPytorch1Static: torch ? ratio(ms(stepStats['wasm-static']), ms(ptStats.static1)) : null,
    ratioVsPytorch1Cpu: torch ? ratio(stepStats.wasm.cpuMedian, ptStats[1].cpuMedian) : null,
    feedbackOverStatic: ratio(mean(all(runs.wasm)), mean(all(runs.wasmStatic))),
    pytorchFeedbackOverStatic: torch ? ratio(mean(all(pt[1])), mean(all(pt.static1))) : null,
    // Steps per epoch x mean step: an epoch's training time without the validation pass.
    epochSeconds: { stepsPerEpoch: spe, wasm: epoch(runs.wasm), wasmPlain: epoch(runs.wasmPlain), wasmStatic: epoch(runs.wasmStatic), pytorch1: epoch(pt[1]), pytorch1Static: epoch(pt.static1) },
    parameters: { ours: runs.wasm[0].parameters, pytorch: pt[1][0]?.parameters ?? null, oursStatic: runs.wasmStatic[0].parameters, pytorchStatic: pt.static1[0]?.parameters ?? null },
    // The twin starts from our initial weights: the losses differ only by dropout and Gumbel draws.
    firstLosses: { ours: first(runs.wasm[0].losses), pytorch: pt[1][0] ? first(pt[1][0].losses) : null },
    lossCurves: { ours: curve(runs.wasm[0].losses), pytorch: pt[1][0] ? curve(pt[1][0].losses) : null },
    // Eval-mode objective on batch 0 with the same weights (no dropout, argmax gates): one function or not.
    sameFunction: pt[1][0]?.sameFunction ?? null,
    twinScheduleMaxDiff: pt[1][0]?.scheduleMaxDiff ?? null,
    twinInitialWeights: pt[1][0]?.initialWeights ?? null,
  };
}

/**
 * Each encoder and block alone against its PyTorch twin (bench/encoderBench.ts: ours with the native
 * kernels, the twin on 1 thread, plain wasm, interleaved per repeat). Its progress goes to stderr.
 */
function encoderSection(torch) {
  // Warm-up 10: each layer runs in a fresh process (V8 and XNNPACK warm up per layer).
  const args = ['bench/out/encoderBench.js', '--repeats', String(REPEATS), '--steps', quick ? '10' : '30', '--warmup', '10'];
  if (torch) args.push('--python', torch.py);
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`bench/out/encoderBench.js failed (${r.status})`);
  const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('{'));
  return JSON.parse(lines[lines.length - 1]);
}

function printEncoders(e) {
  const f = (x) => (x === null || x === undefined ? 'n/a' : String(x));
  console.log(`\nEncoders and blocks alone — one training step (forward + backward + Adam), batch ${e.batchSize}, SNIPS batches (padded length median ${e.seqLen.median}, ${e.seqLen.min}–${e.seqLen.max}); medians of ${e.repeats} × ${e.steps} steps`);
  if (e.skipped) console.log(`  ${e.skipped}`);
  const rows = [['layer', 'parameters', `ours${e.nativeKernels ? ' (native)' : ''}`, 'plain wasm', 'PyTorch 1t', 'ratio', 'plain ratio', 'CPU ratio', 'same function (max |diff| tokens)']];
  for (const r of e.rows) {
    rows.push([r.id, String(r.parameters), `${r.ms.ours} ms`, r.ms.plain === null ? 'n/a' : `${r.ms.plain} ms`, r.ms.pytorch === null ? 'n/a' : `${r.ms.pytorch} ms`,
      f(r.ratio), f(r.ratioPlain), f(r.ratioCpu), r.check ? r.check.tokensMaxAbsDiff.toExponential(1) : 'n/a']);
  }
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log('  ' + r.map((c, i) => c.padEnd(w[i])).join('  '));
  console.log(`  load average before ${e.loadAverage.before.join(' ')}, after ${e.loadAverage.after.join(' ')}`);
}

function printQuality(q, loadAverage) {
  const fmt = (s) => (s ? `${s.median} ms  (IQR ${s.p25}–${s.p75}, n=${s.n}; CPU ${s.cpuMedian} ms)` : 'n/a');
  const rows = [[`ours wasm${q.nativeKernels ? ' + native kernels' : ''}, Gumbel K=3`, fmt(q.stepStats.wasm)]];
  if (q.stepStats['wasm-plain']) rows.push(['ours wasm alone (FMTL_NATIVE=0)', fmt(q.stepStats['wasm-plain'])]);
  rows.push(['ours static', fmt(q.stepStats['wasm-static'])]);
  if (q.pytorchStats) {
    rows.push(['PyTorch twin 1 thread, Gumbel K=3', fmt(q.pytorchStats[1])]);
    rows.push(['PyTorch twin 1 thread, static', fmt(q.pytorchStats.static1)]);
  } else rows.push(['PyTorch twin', 'skipped (torch not installed)']);
  const w = Math.max(...rows.map((x) => x[0].length));
  console.log(`\nQuality configuration — ${q.experiment}, batch 32 (ms per training step, median)`);
  for (const [a, b] of rows) console.log(`  ${a.padEnd(w)}  ${b}`);
  console.log(`  ratio ours / PyTorch (1 thread): ${q.ratioVsPytorch1 ?? 'n/a'}   wasm alone: ${q.ratioPlainWasmVsPytorch1 ?? 'n/a'}   static: ${q.ratioStaticVsPytorch1Static ?? 'n/a'}   (CPU time: ${q.ratioVsPytorch1Cpu ?? 'n/a'}; load average ${loadAverage.join(' ')})`);
  console.log(`  feedback / static: ours ${q.feedbackOverStatic}, PyTorch ${q.pytorchFeedbackOverStatic ?? 'n/a'}`);
  const e = q.epochSeconds;
  console.log(`  epoch (${e.stepsPerEpoch} steps, no validation): ours ${e.wasm} s, wasm alone ${e.wasmPlain ?? 'n/a'} s, static ${e.wasmStatic} s; PyTorch ${e.pytorch1 ?? 'n/a'} s`);
  console.log(`  parameters: ours ${q.parameters.ours}, PyTorch ${q.parameters.pytorch ?? 'n/a'} (static: ${q.parameters.oursStatic}, ${q.parameters.pytorchStatic ?? 'n/a'})`);
  if (q.sameFunction) console.log(`  same weights, eval mode, batch 0: ours ${q.sameFunction.ours.total.toFixed(6)}, PyTorch ${q.sameFunction.twin.total.toFixed(6)} (|diff| ${q.sameFunction.absDiff.toExponential(1)})`);
  console.log(`  first training losses, same batches and start: ours ${q.firstLosses.ours.join(', ')}; PyTorch ${q.firstLosses.pytorch?.join(', ') ?? 'n/a'}`);
  console.log(`  loss over ${q.lossCurves.ours.n} steps: ours ${q.lossCurves.ours.start} -> ${q.lossCurves.ours.end}; PyTorch ${q.lossCurves.pytorch ? `${q.lossCurves.pytorch.start} -> ${q.lossCurves.pytorch.end}` : 'n/a'}`);
}

async function main() {
  log('building bench bundles ...');
  await buildBench(onlyQuality ? ['trainBench'] : onlyEncoders ? ['encoderBench'] : ['trainBench', 'gruBench', 'startup', 'adamBench', 'encoderBench']);
  const results = { date: new Date().toISOString(), experiment: expFile, quick };
  const torch = has('--no-torch') ? null : findPython();
  if (!torch) log('PyTorch: SKIPPED — no python3 with torch found (Debian: apt-get install python3-torch libopenblas0-pthread; or set PYTHON=/path/to/python3)');
  if (onlyEncoders) {
    // Its own file, as --only-quality's.
    const encoders = { date: results.date, quick, ...encoderSection(torch), machine: machine(), versions: { node: process.versions.node, torch: torch?.version ?? null } };
    writeFileSync(join(here, 'results', 'latest-encoders.json'), JSON.stringify(encoders, null, 2) + '\n');
    printEncoders(encoders);
    console.log('  written: bench/results/latest-encoders.json');
    return;
  }
  if (onlyQuality) {
    // Its own file: latest.json keeps the last full picture.
    const quality = { date: results.date, quick, ...qualitySection(torch), loadAverage: loadavg().map((x) => Math.round(x * 100) / 100), machine: machine(), versions: { node: process.versions.node, torch: torch?.version ?? null } };
    writeFileSync(join(here, 'results', 'latest-quality.json'), JSON.stringify(quality, null, 2) + '\n');
    printQuality(quality, quality.loadAverage);
    console.log('  written: bench/results/latest-quality.json');
    return;
  }

  // --- ours (wasm: feedback with repeats, the first also dumps the batches for PyTorch; static) and
  // PyTorch on the same batches, interleaved so that a load change on the box hits both alike.
  const batchesFile = join(tmp, 'batches.json');
  const runs = { wasm: [], wasmStatic: [], wasmK1: [], wasmPlain: [], cpu: [] };
  const pt = { 1: [], 2: [], static1: [] };
  const ptArgs = (threads, extra = [], steps = STEPS, warmup = WARMUP) =>
    ['bench/pytorch_ref.py', '--batches', batchesFile, '--threads', String(threads), '--steps', String(steps), '--warmup', String(warmup), ...extra];
  for (let i = 0; i < REPEATS; i++) {
    log(`wasm feedback, repeat ${i + 1}/${REPEATS} ...`);
    runs.wasm.push(trainBench('wasm', { dump: i === 0 ? batchesFile : undefined }));
    if (torch) {
      log(`PyTorch 1 thread, feedback, repeat ${i + 1}/${REPEATS} ...`);
      pt[1].push(runJson(torch.py, ptArgs(1)));
    }
    log(`wasm static, repeat ${i + 1}/${REPEATS} ...`);
    runs.wasmStatic.push(trainBench('wasm', { staticModel: true }));
    log(`wasm feedback with K = 1, repeat ${i + 1}/${REPEATS} ...`);
    runs.wasmK1.push(trainBench('wasm', { iterations: 1 }));
    if (runs.wasm[0]?.native === true) {
      log(`wasm without the native kernels (FMTL_NATIVE=0), feedback, repeat ${i + 1}/${REPEATS} ...`);
      runs.wasmPlain.push(trainBench('wasm', { plain: true }));
    }
    if (torch) {
      log(`PyTorch 1 thread, static, repeat ${i + 1}/${REPEATS} ...`);
      pt.static1.push(runJson(torch.py, ptArgs(1, ['--static'])));
    }
  }
  if (torch) {
    // Known to be several times slower than 1 thread on 2 cores (BLAS + intra-op threads fight).
    log('PyTorch 2 threads (fewer steps) ...');
    pt[2].push(runJson(torch.py, ptArgs(2, [], quick ? 5 : 10, 2)));
  }
  const quality = has('--no-quality') ? null : qualitySection(torch);
  const encoders = has('--no-encoders') ? null : encoderSection(torch);
  if (!has('--no-cpu')) {
    log('cpu feedback (few steps) ...');
    runs.cpu.push(trainBench('cpu', { steps: quick ? 2 : 4, warmup: 1 }));
  }

  // --- time to first event through the real CLI
  const first = [];
  if (existsSync(join(root, 'dist/cli.js'))) {
    for (let i = 0; i < (quick ? 1 : 3); i++) {
      log(`fmtl train -> first run/step, repeat ${i + 1} ...`);
      try { first.push(await firstEvent()); } catch (e) { log(`first event: ${e.message}`); }
    }
  } else log('dist/cli.js missing: run `node esbuild.mjs` first (npm run bench does)');

  // --- the BiGRU layer alone
  log('BiGRU layer microbenchmark ...');
  const gru = spawnSync(process.execPath, ['bench/out/gruBench.js', 'wasm', 'cpu'], { cwd: root, encoding: 'utf8' });
  const gruRows = gru.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

  // --- where the time to the first step goes (in-process phases), and the optimizer alone
  log('start-up phases ...');
  let startup = null;
  try { startup = runJson(process.execPath, ['bench/out/startup.js', '--exp', expFile]); } catch (e) { log(`start-up phases: ${e.message}`); }
  log('Adam: tfjs vs fused ...');
  let adam = [];
  try {
    const a = spawnSync(process.execPath, ['bench/out/adamBench.js', 'wasm', ...(has('--no-cpu') ? [] : ['cpu'])], { cwd: root, encoding: 'utf8' });
    adam = a.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  } catch (e) { log(`adam: ${e.message}`); }

  // --- aggregate
  const all = (rs) => rs.flatMap((r) => r.stepMs);
  const msPerStep = {};
  const stepStats = {};
  for (const [k, rs] of Object.entries(runs)) {
    if (!rs.length) continue;
    const key = { wasmStatic: 'wasm-static', wasmPlain: 'wasm-plain', wasmK1: 'wasm-k1' }[k] ?? k;
    msPerStep[key] = r1(median(all(rs)));
    stepStats[key] = { ...summary(all(rs)), cpuMedian: r1(median(rs.flatMap((r) => r.cpuMs))), repeatMedians: rs.map((r) => r1(median(r.stepMs))), peakRssMb: r1(Math.max(...rs.map((r) => r.peakRssMb))) };
  }
  const ptMs = {};
  const ptStats = {};
  for (const [k, rs] of Object.entries(pt)) {
    if (!rs.length) continue;
    ptMs[k] = r1(median(all(rs)));
    ptStats[k] = { ...summary(all(rs)), cpuMedian: r1(median(rs.flatMap((r) => r.cpuMs))), repeatMedians: rs.map((r) => r1(median(r.stepMs))) };
  }
  // Per epoch = steps per epoch x mean step (the validation pass is the same for both and excluded).
  const feedbackOverStatic = runs.wasm.length && runs.wasmStatic.length ? Math.round(mean(all(runs.wasm)) / mean(all(runs.wasmStatic)) * 100) / 100 : null;
  const curve = (losses) => ({ start: r1(mean(losses.slice(0, 3)) * 100) / 100, end: r1(mean(losses.slice(-5)) * 100) / 100, n: losses.length });
  const stepsPerEpoch = runs.wasm[0]?.stepsPerEpoch;
  Object.assign(results, {
    msPerStep,
    stepStats,
    pytorchMsPerStep: torch ? { 1: ptMs[1], 2: ptMs[2] } : null,
    pytorchStaticMsPerStep: torch ? ptMs.static1 : null,
    pytorchStats: torch ? ptStats : null,
    ratioVsPytorch1: torch && msPerStep.wasm ? Math.round(msPerStep.wasm / ptMs[1] * 100) / 100 : null,
    // Whether msPerStep.wasm ran with the native kernels (src/trainer/native); wasm-plain without.
    nativeKernels: runs.wasm[0]?.native === true,
    ratioPlainWasmVsPytorch1: torch && msPerStep['wasm-plain'] ? Math.round(msPerStep['wasm-plain'] / ptMs[1] * 100) / 100 : null,
    // The same ratio on CPU time per step: meaningful even when other processes load the box.
    ratioVsPytorch1Cpu: torch && stepStats.wasm ? Math.round(stepStats.wasm.cpuMedian / ptStats[1].cpuMedian * 100) / 100 : null,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
    feedbackOverStatic,
    // The same with K = 1 (one feedback pass): how the cost grows with K.
    feedbackK1OverStatic: runs.wasmK1.length && runs.wasmStatic.length ? Math.round(mean(all(runs.wasmK1)) / mean(all(runs.wasmStatic)) * 100) / 100 : null,
    pytorchFeedbackOverStatic: torch ? Math.round(mean(all(pt[1])) / mean(all(pt.static1)) * 100) / 100 : null,
    epochSeconds: stepsPerEpoch ? { stepsPerEpoch, wasm: r1(stepsPerEpoch * mean(all(runs.wasm)) / 1000), wasmStatic: r1(stepsPerEpoch * mean(all(runs.wasmStatic)) / 1000) } : null,
    firstEventMs: first.length ? r1(median(first)) : null,
    firstEventRuns: first.map(r1),
    startupPhasesMs: startup ? { ...startup.phases, firstStepsMs: startup.stepMs } : null,
    adam: adam.map((a) => ({ backend: a.backend, params: a.params, tfjsCpuMs: r1(a.tfjsCpuMs), fusedCpuMs: r1(a.fusedCpuMs), maxAbsDiff: a.maxAbsDiff })),
    lossCurves: {
      ours: runs.wasm[0] ? curve(runs.wasm[0].losses) : null,
      pytorch: pt[1][0] ? curve(pt[1][0].losses) : null,
    },
    peakRssMb: Object.fromEntries(Object.entries(stepStats).map(([k, s]) => [k, s.peakRssMb])),
    numTensors: runs.wasm[0]?.numTensors,
    gru: gruRows.map((g) => ({ backend: g.backend, shape: g.shape, msPerStep: r1(g.msPerStep), cpuMs: r1(g.cpuMsPerStep), p25: r1(g.spread.p25), p75: r1(g.spread.p75), kernels: g.kernels })),
    machine: machine(),
    versions: {
      node: process.versions.node,
      tfjs: JSON.parse(readFileSync(join(root, 'node_modules/@tensorflow/tfjs-core/package.json'), 'utf8')).version,
      backendDetail: runs.wasm[0]?.detail,
      torch: torch?.version ?? null,
      torchParallel: pt[1][0]?.parallel ?? null,
    },
    parameters: { ours: runs.wasm[0]?.parameters, pytorch: pt[1][0]?.parameters ?? null },
    quality,
    encoders,
  });

  const outDir = join(here, 'results');
  writeFileSync(join(outDir, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
  printTable(results);
}

function machine() {
  return { cpu: cpus()[0]?.model, cores: cpus().length, memGb: Math.round(totalmem() / 2 ** 30), os: `${platform()} ${release()} ${arch()}` };
}

function printTable(r) {
  const rows = [];
  const fmt = (s) => (s ? `${s.median} ms  (IQR ${s.p25}–${s.p75}, n=${s.n}; CPU ${s.cpuMedian} ms)` : 'n/a');
  rows.push([`ours wasm${r.nativeKernels ? ' + native kernels' : ''}, feedback K=3`, fmt(r.stepStats.wasm), `RSS ${r.stepStats.wasm?.peakRssMb} MB`]);
  if (r.stepStats['wasm-plain']) rows.push(['ours wasm alone (FMTL_NATIVE=0), feedback', fmt(r.stepStats['wasm-plain']), `RSS ${r.stepStats['wasm-plain'].peakRssMb} MB`]);
  rows.push([`ours wasm${r.nativeKernels ? ' + native kernels' : ''}, static`, fmt(r.stepStats['wasm-static']), `RSS ${r.stepStats['wasm-static']?.peakRssMb} MB`]);
  if (r.stepStats.cpu) rows.push(['ours cpu, feedback K=3', fmt(r.stepStats.cpu), `RSS ${r.stepStats.cpu.peakRssMb} MB`]);
  if (r.pytorchStats) {
    rows.push(['PyTorch 1 thread, feedback', fmt(r.pytorchStats[1]), '']);
    rows.push(['PyTorch 2 threads, feedback', fmt(r.pytorchStats[2]), '']);
    rows.push(['PyTorch 1 thread, static', fmt(r.pytorchStats.static1), '']);
  } else rows.push(['PyTorch', 'skipped (torch not installed)', '']);
  const w = Math.max(...rows.map((x) => x[0].length));
  console.log(`\nFeedback MTL trainer benchmark — ${r.experiment}, batch 32 (ms per training step, median)`);
  for (const [a, b, c] of rows) console.log(`  ${a.padEnd(w)}  ${b}  ${c}`);
  console.log(`  ratio ours(wasm) / PyTorch(1 thread):  ${r.ratioVsPytorch1 ?? 'n/a'}   (on CPU time: ${r.ratioVsPytorch1Cpu ?? 'n/a'}; load average ${r.loadAverage.join(' ')})`);
  if (r.ratioPlainWasmVsPytorch1) console.log(`  ratio ours(wasm alone) / PyTorch(1 thread): ${r.ratioPlainWasmVsPytorch1}`);
  console.log(`  feedback / static per epoch (wasm):     ${r.feedbackOverStatic}   (PyTorch: ${r.pytorchFeedbackOverStatic ?? 'n/a'}); with K = 1: ${r.feedbackK1OverStatic ?? 'n/a'}`);
  if (r.epochSeconds) console.log(`  epoch (${r.epochSeconds.stepsPerEpoch} steps, no validation): feedback ${r.epochSeconds.wasm} s, static ${r.epochSeconds.wasmStatic} s`);
  console.log(`  train -> first step event (CLI):       ${r.firstEventMs ?? 'n/a'} ms  (runs: ${r.firstEventRuns.join(', ')})`);
  if (r.startupPhasesMs) console.log(`  start-up phases (ms): ${Object.entries(r.startupPhasesMs).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  for (const a of r.adam) console.log(`  Adam update (${a.params} params) ${a.backend}: tfjs ${a.tfjsCpuMs} ms, fused ${a.fusedCpuMs} ms CPU (max |diff| ${a.maxAbsDiff.toExponential(1)})`);
  const c = r.lossCurves;
  console.log(`  loss over ${c.ours?.n} steps, same batches: ours ${c.ours?.start} -> ${c.ours?.end}; PyTorch ${c.pytorch ? `${c.pytorch.start} -> ${c.pytorch.end}` : 'n/a'}`);
  console.log(`  parameters: ours ${r.parameters.ours}, PyTorch ${r.parameters.pytorch ?? 'n/a'}; numTensors ${r.numTensors?.first} -> ${r.numTensors?.last}`);
  for (const g of r.gru) console.log(`  BiGRU layer fwd+bwd (B${g.shape.B} T${g.shape.T} D${g.shape.D} H${g.shape.H}) ${g.backend}: ${g.msPerStep} ms (IQR ${g.p25}–${g.p75}; CPU ${g.cpuMs} ms), ${g.kernels} kernel calls`);
  if (r.quality) printQuality(r.quality, r.loadAverage);
  if (r.encoders) printEncoders(r.encoders);
  console.log(`  machine: ${r.machine.cpu}, ${r.machine.cores} cores; node ${r.versions.node}, tfjs ${r.versions.tfjs}, torch ${r.versions.torch ?? 'n/a'}`);
  console.log('  written: bench/results/latest.json');
}

main().catch((e) => { console.error(e.stack || e.message); process.exit(1); });
