/**
 * `fmtl` — headless entry of the trainer:
 *
 *   fmtl train <file.fmtl.json> [--json] [--epochs N] [--seed N] [--backend auto|tensorflow|wasm|cpu]
 *                               [--runs-dir DIR] [--variant static|fixed|gumbel|asWritten] [--tag T] [--resume RUN_DIR]
 *   fmtl eval <runDir> [--split valid|test] [--checkpoint best|last] [--backend ...] [--json]
 *             (also writes <runDir>/predictions/<split>.jsonl, or <split>-last.jsonl for last)
 *   fmtl validate <file.fmtl.json|file.sweep.json> [--json]
 *   fmtl sweep <file.sweep.json> [--workers N] [--backend ...] [--out DIR]
 *   fmtl export <runDir> --out DIR [--checkpoint best|last]      (a model folder: savedModel.ts)
 *   fmtl predict <modelDir|runDir> ["sentence" ...] [--input file.txt|file.csv] [--iterations] [--json]
 *
 * Exit codes: 0 done, 1 invalid input or failed run, 2 usage error, 130 stopped with Ctrl-C.
 * Errors are one clear message; stack traces only with FMTL_DEBUG=1.
 */
import * as path from 'node:path';
import type { Experiment } from '../shared/experimentTypes';
import { backendLabel, type TaskMetrics, type TrainerEvent, type TrainRequestOptions } from '../shared/trainerProtocol';
import { initBackend, type BackendPreference } from './backend';
import { loadCheckpoint, resolveCheckpointDir } from './checkpointStore';
import { DataError } from './data/dataError';
import { prepareData } from './data/prepare';
import { evaluate, type SplitName } from './evaluate';
import { formatIssues, loadExperimentFile } from './experimentFile';
import { buildModel } from './model/feedbackModel';
import { formatDuration } from '../shared/duration';
import { formatMetric } from '../shared/metrics/catalogue';
import { ProgressView } from './cliProgress';
import { gatesTable, summaryTable, table } from './cliTables';
import { predictionsFileName, RUN_FILES, type RunMeta } from '../runFolder/runFiles';
import { readRunJson } from '../runFolder/runFolderReader';
import { buildPredictions, writePredictions } from './predictionsFile';
import { exportModel, loadModel, loadRunModel, MODEL_FILES } from './savedModel';
import type { ModelInput } from './data/preprocessing';
import { parseCsv } from './data/csv';
import { predictionLines } from '../shared/predictions/answerText';
import { runTraining } from './runTraining';
import { withDefaults } from '../shared/experiment';
import { formatSweepIssues, loadSweepFile } from '../sweeps/sweepFile';
import { runSweepCommand, SweepError } from '../sweeps/sweepCommand';
import * as fs from 'node:fs';
import pkg from '../../package.json';

/** A usage error: printed with the usage text, exit code 2. */
class UsageError extends Error {}

const USAGE = `usage:
  fmtl train <file.fmtl.json> [--json] [--epochs N] [--seed N] [--backend auto|tensorflow|wasm|cpu]
                              [--runs-dir DIR] [--variant static|fixed|gumbel|asWritten] [--tag TAG] [--resume RUN_DIR]
  fmtl eval <runDir> [--split valid|test] [--checkpoint best|last] [--backend auto|tensorflow|wasm|cpu] [--json]
  fmtl validate <file.fmtl.json|file.sweep.json> [--json]
  fmtl sweep <file.sweep.json> [--workers N] [--backend auto|tensorflow|wasm|cpu] [--out DIR]
  fmtl export <runDir> --out DIR [--checkpoint best|last]
  fmtl predict <modelDir|runDir> ["a sentence" ...] [--input file.txt|file.csv] [--iterations] [--json] [--backend ...]`;

interface Parsed { positional: string[]; flags: Map<string, string | true> }

/** `--name value`, `--name=value` and boolean `--flag`s; `booleans` never take a value. */
export function parseArgs(argv: readonly string[], booleans: readonly string[], valued: readonly string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) { positional.push(a); continue; }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (booleans.includes(name)) { flags.set(name, true); continue; }
    if (!valued.includes(name)) throw new UsageError(`unknown option --${name}`);
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
    flags.set(name, value);
  }
  return { positional, flags };
}

function intFlag(p: Parsed, name: string, min: number): number | undefined {
  const v = p.flags.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min} (got '${v}')`);
  return n;
}

function oneOfFlag<T extends string>(p: Parsed, name: string, values: readonly T[]): T | undefined {
  const v = p.flags.get(name);
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${values.join(', ')} (got '${v}')`);
  return v as T;
}

const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;

/** Output sinks (injectable for tests). */
export interface CliIo {
  out: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  err: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  cwd: string;
}

const defaultIo = (): CliIo => ({ out: process.stdout, err: process.stderr, cwd: process.cwd() });

/** `fmtl validate`: prints `file:line:col  path  message` lines; 1 if any error. */
export function cmdValidate(argv: readonly string[], io: CliIo = defaultIo()): number {
  const p = parseArgs(argv, ['json'], []);
  if (p.positional.length !== 1) throw new UsageError('validate takes one experiment or sweep file');
  if (p.positional[0].endsWith('.sweep.json')) return validateSweepFile(path.resolve(io.cwd, p.positional[0]), p.flags.has('json'), io);
  const loaded = loadExperimentFile(path.resolve(io.cwd, p.positional[0]));
  const errors = loaded.issues.filter((i) => i.severity === 'error').length;
  if (p.flags.has('json')) {
    io.out.write(JSON.stringify({ file: loaded.path, valid: errors === 0, issues: loaded.issues }) + '\n');
    return errors ? 1 : 0;
  }
  const lines = formatIssues(loaded, io.cwd);
  for (const l of lines) io.err.write(l + '\n');
  const warnings = loaded.issues.length - errors;
  if (errors) io.err.write(`${errors} error${errors === 1 ? '' : 's'}${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}\n`);
  else io.out.write(`${displayPath(loaded.path, io.cwd)}: valid${warnings ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}\n`);
  return errors ? 1 : 0;
}

/** `fmtl validate x.sweep.json`: the sweep, its base experiment and every cell. */
function validateSweepFile(file: string, json: boolean, io: CliIo): number {
  const loaded = loadSweepFile(file);
  const errors = loaded.issues.filter((i) => i.severity === 'error').length + (loaded.brokenExperiment ? 1 : 0);
  if (json) {
    io.out.write(JSON.stringify({ file: loaded.path, valid: errors === 0, issues: loaded.issues, cells: loaded.sweep?.cells.length, runs: loaded.sweep?.runs.length }) + '\n');
    return errors ? 1 : 0;
  }
  for (const l of formatSweepIssues(loaded, io.cwd)) io.err.write(l + '\n');
  if (!loaded.sweep) return 1;
  const s = loaded.sweep;
  io.out.write(`${displayPath(loaded.path, io.cwd)}: valid (${s.cells.length} cell${s.cells.length === 1 ? '' : 's'} x ${s.seeds.length} seed${s.seeds.length === 1 ? '' : 's'} = ${s.runs.length} runs)\n`);
  return 0;
}

/** `fmtl train`. Resolves to the exit code. */
export async function cmdTrain(argv: readonly string[], io: CliIo = defaultIo(), signal?: AbortSignal): Promise<number> {
  const p = parseArgs(argv, ['json'], ['epochs', 'seed', 'backend', 'runs-dir', 'variant', 'tag', 'resume']);
  if (p.positional.length !== 1) throw new UsageError('train takes one experiment file');
  const options: TrainRequestOptions = {
    experimentPath: path.resolve(io.cwd, p.positional[0]),
    epochs: intFlag(p, 'epochs', 1),
    seed: intFlag(p, 'seed', 0),
    backend: oneOfFlag(p, 'backend', BACKENDS),
    runsDir: typeof p.flags.get('runs-dir') === 'string' ? path.resolve(io.cwd, p.flags.get('runs-dir') as string) : undefined,
    variant: oneOfFlag(p, 'variant', ['static', 'fixed', 'gumbel', 'asWritten'] as const),
    tag: typeof p.flags.get('tag') === 'string' ? (p.flags.get('tag') as string) : undefined,
    resume: typeof p.flags.get('resume') === 'string' ? path.resolve(io.cwd, p.flags.get('resume') as string) : undefined,
  };
  const json = p.flags.has('json');
  const view = json ? undefined : new ProgressView(io.err);
  const onEvent = (e: TrainerEvent) => {
    if (json) io.out.write(JSON.stringify(e) + '\n');
    else view!.onEvent(e);
    if (!json && e.type === 'run/error' && e.stack && process.env.FMTL_DEBUG === '1') io.err.write(e.stack + '\n');
  };
  const outcome = await runTraining(options, onEvent, signal);
  if (!json) {
    if (outcome.error && !outcome.runDir) {
      // Nothing ran: the error line was printed by the view.
      return 1;
    }
    const s = outcome.summary;
    if (s) {
      io.out.write('\n' + summaryTable(s) + '\n');
      const gates = gatesTable(s);
      if (gates) io.out.write('\n' + gates + '\n');
      io.out.write(`\n${s.status} after ${s.epochs} epoch${s.epochs === 1 ? '' : 's'} (${s.steps} steps) in ${formatDuration(s.durationMs)} on ${s.backend}\n`);
      io.out.write(`run folder: ${displayPath(outcome.runDir!, io.cwd)}\n`);
      const report = path.join(outcome.runDir!, RUN_FILES.report);
      if (fs.existsSync(report)) io.out.write(`report:     ${displayPath(report, io.cwd)}  (convergence curves, gate heatmaps, losses; open in a browser)\n`);
    }
  }
  if (outcome.error) return 1;
  return outcome.summary?.status === 'stopped' ? 130 : 0;
}

/** `fmtl sweep`: every run of a sweep file on a local pool of trainer processes, then its table. */
export async function cmdSweep(argv: readonly string[], io: CliIo = defaultIo(), signal?: AbortSignal): Promise<number> {
  const p = parseArgs(argv, [], ['workers', 'backend', 'out']);
  if (p.positional.length !== 1) throw new UsageError('sweep takes one sweep file (*.sweep.json)');
  const out = p.flags.get('out');
  try {
    return await runSweepCommand({
      file: p.positional[0],
      workers: intFlag(p, 'workers', 1) ?? 1,
      backend: oneOfFlag(p, 'backend', BACKENDS),
      out: typeof out === 'string' ? out : undefined,
      trainerPath: path.join(__dirname, 'trainer.js'),
    }, io, signal);
  } catch (e) {
    if (e instanceof SweepError) throw new CliError(e.message);
    throw e;
  }
}

/** `fmtl eval`: re-scores a run's checkpoint on a split. */
export async function cmdEval(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  const p = parseArgs(argv, ['json'], ['split', 'checkpoint', 'backend']);
  if (p.positional.length !== 1) throw new UsageError('eval takes one run folder');
  const runDir = path.resolve(io.cwd, p.positional[0]);
  const split: SplitName = oneOfFlag(p, 'split', ['valid', 'test'] as const) ?? 'test';
  const config = readRunJson<Experiment>(runDir, RUN_FILES.config);
  const meta = readRunJson<RunMeta>(runDir, RUN_FILES.meta);
  if (!config || !meta) throw new CliError(`${runDir} is not a run folder (no ${RUN_FILES.config} / ${RUN_FILES.meta})`);
  const which = oneOfFlag(p, 'checkpoint', ['best', 'last'] as const)
    ?? (fs.existsSync(path.join(runDir, RUN_FILES.checkpoints, 'best')) ? 'best' : 'last');
  const ckptDir = resolveCheckpointDir(path.join(runDir, RUN_FILES.checkpoints, which));
  const exp = withDefaults(config);
  const backend = await initBackend(oneOfFlag(p, 'backend', BACKENDS) ?? 'auto');
  const data = await prepareData(exp, path.dirname(meta.experimentPath));
  if (split === 'test' && !data.test) throw new CliError('this experiment has no test split; use --split valid');
  const model = buildModel(exp, data, meta.seed);
  const state = await loadCheckpoint(ckptDir);
  try {
    model.setWeights(state.weights);
    const r = evaluate(model, data, exp, split, { iterations: true });
    const file = buildPredictions(r, model.tasks, data, data[split]!, {
      runId: meta.runId ?? path.basename(runDir), checkpoint: { kind: which, epoch: state.epoch, step: state.step }, iterations: model.iterations,
    });
    const written = writePredictions(path.join(runDir, RUN_FILES.predictions), predictionsFileName(split, which), file);
    delete r.answers;
    if (p.flags.has('json')) {
      io.out.write(JSON.stringify({ runDir, checkpoint: which, epoch: state.epoch, step: state.step, backend: backendLabel(backend), ...r, predictions: written.path }) + '\n');
    } else {
      io.out.write(`${path.basename(runDir)}  checkpoint ${which} (epoch ${state.epoch}, step ${state.step})  split ${split} (${r.examples} examples)  backend ${backendLabel(backend)}\n\n`);
      io.out.write(metricsTable(r.metrics, r.losses) + '\n');
      const gates = Object.entries(r.gates);
      if (gates.length) io.out.write('\n' + table([['gate', 'block', 'p'], ...gates.map(([id, g]) => [id, String(g.block), g.prob.toFixed(2)])]) + '\n');
      io.out.write(`\npredictions: ${displayPath(written.path, io.cwd)}  (every example, passes 0..${model.iterations})\n`);
    }
  } finally {
    for (const w of [...state.weights, ...state.optimizer]) w.tensor.dispose();
    model.dispose();
  }
  return 0;
}

/** `fmtl export`: a run's checkpoint as a self-contained model folder. */
export async function cmdExport(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  const p = parseArgs(argv, [], ['out', 'checkpoint']);
  if (p.positional.length !== 1) throw new UsageError('export takes one run folder');
  const out = p.flags.get('out');
  if (typeof out !== 'string') throw new UsageError('export needs --out DIR');
  const runDir = path.resolve(io.cwd, p.positional[0]);
  await initBackend('cpu'); // only to encode the weights
  const r = await exportModel(runDir, path.resolve(io.cwd, out), oneOfFlag(p, 'checkpoint', ['best', 'last'] as const));
  const s = r.manifest.source;
  io.out.write(`${displayPath(r.dir, io.cwd)}: ${s.runId}, checkpoint ${s.checkpoint} (epoch ${s.epoch}, step ${s.step}), ${(r.bytes / 1e6).toFixed(1)} MB\n`);
  io.out.write(`use it: fmtl predict ${displayPath(r.dir, io.cwd)} "your input"   or   loadModel('${displayPath(r.dir, io.cwd)}') in code\n`);
  return 0;
}

/** `fmtl predict`: a model folder (or a run folder) answers sentences or CSV rows. */
export async function cmdPredict(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  const p = parseArgs(argv, ['json', 'iterations'], ['input', 'backend', 'checkpoint']);
  if (p.positional.length < 1) throw new UsageError('predict takes a model folder, then the inputs (or --input FILE)');
  const dir = path.resolve(io.cwd, p.positional[0]);
  const inputs: ModelInput[] = p.positional.slice(1);
  const file = p.flags.get('input');
  const labels: string[] = inputs.map((_, i) => `input ${i + 1}`);
  if (typeof file === 'string') {
    const f = path.resolve(io.cwd, file);
    let text: string;
    try { text = fs.readFileSync(f, 'utf8'); } catch { throw new CliError(`cannot read ${f}`); }
    if (/\.csv$/i.test(f)) {
      const table = parseCsv(text, f);
      table.rows.forEach((row, i) => { inputs.push(Object.fromEntries(table.header.map((h, j) => [h, row[j]]))); labels.push(`${path.basename(f)}:${table.lines[i]}`); });
    } else {
      text.split('\n').forEach((l, i) => { if (l.trim()) { inputs.push(l); labels.push(`${path.basename(f)}:${i + 1}`); } });
    }
  }
  if (!inputs.length) throw new UsageError('nothing to predict: give sentences after the model folder or --input FILE');
  const backend = oneOfFlag(p, 'backend', BACKENDS) ?? 'auto';
  const isModel = fs.existsSync(path.join(dir, MODEL_FILES.manifest));
  const model = isModel ? await loadModel(dir, { backend }) : await loadRunModel(dir, oneOfFlag(p, 'checkpoint', ['best', 'last'] as const), { backend });
  try {
    const preds = model.predict(inputs);
    const iterations = p.flags.has('iterations');
    preds.forEach((r, i) => {
      if (p.flags.has('json')) {
        const answer = Object.fromEntries(Object.entries(r.pred).map(([id, a]) => [id, a[a.length - 1]]));
        io.out.write(JSON.stringify({ input: inputs[i], ...(r.tokens ? { tokens: r.tokens } : {}), answer, ...(iterations ? { passes: r.pred } : {}) }) + '\n');
        return;
      }
      const head = r.tokens ? r.tokens.join(' ') : labels[i];
      io.out.write(`${i ? '\n' : ''}${head}\n`);
      for (const l of predictionLines(model.tasks, r.pred, r.tokens, iterations)) io.out.write(`  ${l}\n`);
    });
  } finally {
    model.dispose();
  }
  return 0;
}

function metricsTable(m: TaskMetrics, losses: Record<string, number>): string {
  const rows = [['task', 'metric', 'value']];
  for (const [task, ms] of Object.entries(m)) {
    for (const [name, v] of Object.entries(ms)) rows.push([task === '_overall' ? 'overall' : task, name, formatMetric(name, v)]);
    if (losses[task] !== undefined) rows.push([task, 'loss', losses[task].toFixed(4)]);
  }
  return table(rows, 2);
}

/** Relative to `cwd` when inside it, else absolute. */
function displayPath(p: string, cwd: string): string {
  const rel = path.relative(cwd, p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

/** A user-facing failure: one line, exit 1. */
class CliError extends Error {}

/** Runs the CLI; resolves to the exit code. Ctrl-C: first stops cleanly, second exits at once. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  const [cmd, ...rest] = argv;
  const io = defaultIo();
  try {
    switch (cmd) {
      case 'sweep':
      case 'train': {
        const ac = new AbortController();
        let presses = 0;
        const onSigint = () => {
          presses++;
          if (presses === 1) {
            ac.abort();
            io.err.write('\nstopping after this step (the run and its last checkpoint are kept); Ctrl-C again to quit now\n');
          } else {
            process.exit(130);
          }
        };
        process.on('SIGINT', onSigint);
        try {
          return await (cmd === 'sweep' ? cmdSweep : cmdTrain)(rest, io, ac.signal);
        } finally {
          process.off('SIGINT', onSigint);
        }
      }
      case 'eval': return await cmdEval(rest, io);
      case 'export': return await cmdExport(rest, io);
      case 'predict': return await cmdPredict(rest, io);
      case 'validate': return cmdValidate(rest, io);
      case '--version': case '-v': io.out.write(`fmtl ${(pkg as { version: string }).version}\n`); return 0;
      case undefined: case 'help': case '--help': case '-h': io.out.write(USAGE + '\n'); return cmd === undefined ? 2 : 0;
      default: throw new UsageError(`unknown command '${cmd}'`);
    }
  } catch (e) {
    if (e instanceof UsageError) { io.err.write(`fmtl: ${e.message}\n${USAGE}\n`); return 2; }
    const err = e as Error;
    const where = e instanceof DataError && e.where && !err.message.includes(e.where) ? ` (at ${e.where})` : '';
    io.err.write(`fmtl: ${err?.message ?? String(e)}${where}\n`);
    if (process.env.FMTL_DEBUG === '1' && err?.stack) io.err.write(err.stack + '\n');
    return 1;
  }
}

// Run only as the bundled bin (dist/cli.js), not when a test bundle that imports this file is main.
if (require.main === module && path.basename(__filename) === 'cli.js') {
  main().then((code) => {
    process.exitCode = code;
    // Exit even if a backend left a handle open; output is flushed (sync pipes/files/TTYs on Linux).
    setTimeout(() => process.exit(code), 1000).unref();
  });
}
