/**
 * `fmtl` — headless entry of the trainer:
 *
 *   fmtl train <file.fmtl.json> [--json] [--epochs N] [--seed N] [--backend auto|tensorflow|wasm|cpu]
 *                               [--runs-dir DIR] [--variant static|fixed|gumbel|asWritten] [--tag T] [--resume RUN_DIR] [--allow-outside]
 *   fmtl eval <runDir> [--split valid|test] [--checkpoint best|last] [--backend ...] [--json] [--allow-outside]
 *             (also writes <runDir>/predictions/<split>.jsonl, or <split>-last.jsonl for last)
 *   fmtl validate <file.fmtl.json|file.sweep.json> [--json] [--allow-outside]
 *   fmtl sweep <file.sweep.json> [--workers N] [--backend ...] [--out DIR] [--queue redis://HOST:PORT] [--allow-outside]
 *   (--allow-outside: data files outside the experiment's folder, the current directory and the
 *   shipped samples' data are refused without it; data/dataPaths.ts)
 *   fmtl worker --queue redis://HOST:PORT [--workers N] [--stalled-ms MS]
 *   fmtl export <runDir> --out DIR [--checkpoint best|last]      (a model folder: savedModel.ts)
 *   fmtl predict <modelDir|runDir> ["sentence" ...] [--input file.txt|file.csv] [--iterations] [--json]
 *   fmtl <command> --help   (options and usage come from the one table `COMMANDS` below)
 *
 * Exit codes: 0 done, 1 invalid input or failed run, 2 usage error, 130 / 143 / 129 stopped by
 * Ctrl-C / SIGTERM / SIGHUP (the run is kept, summary 'stopped').
 * Errors are one clear message; stack traces only with FMTL_DEBUG=1.
 */
import * as path from 'node:path';
import type { Experiment } from '../shared/experimentTypes';
import { backendLabel, type DataAccess, type TaskMetrics, type TrainerEvent, type TrainRequestOptions } from '../shared/trainerProtocol';
import { initBackend, type BackendPreference } from './backend';
import { loadCheckpoint, resolveCheckpointDir } from './checkpointStore';
import { DataError } from '../data/dataError';
import { prepareData } from '../data/prepare';
import { evaluate, type SplitName } from './evaluate';
import { formatIssues, loadExperimentFile, withOutsideIssues } from '../data/experimentFile';
import { defaultAccess, isUnder, outsideIssues, outsideReads, realPath } from '../data/dataPaths';
import { buildModel } from './model/feedbackModel';
import { formatDuration } from '../shared/duration';
import { formatMetric } from '../shared/metrics/catalogue';
import { ProgressView } from './cliProgress';
import { gatesTable, summaryTable, table } from './cliTables';
import { predictionsFileName, RUN_FILES, type RunMeta } from '../runFolder/runFiles';
import { readRunJson } from '../runFolder/runFolderReader';
import { buildPredictions, writePredictions } from './predictionsFile';
import { exportModel, loadModel, loadRunModel, MODEL_FILES } from './savedModel';
import type { ModelInput } from '../data/preprocessing';
import { parseCsv } from '../data/csv';
import { predictionLines } from '../shared/predictions/answerText';
import { runTraining } from './runTraining';
import { withDefaults } from '../shared/experiment';
import { formatSweepIssues, loadSweepFile, sweepOutsideReads } from '../sweeps/sweepFile';
import { runSweepCommand, runWorkerCommand, SweepError } from '../sweeps/sweepCommand';
import { connectionOf } from '../sweeps/sweepQueue';
import * as fs from 'node:fs';
import { parseArgs as nodeParseArgs } from 'node:util';
import { isExperimentPath, isSweepPath } from '../shared/fileKinds';
import pkg from '../../package.json';

/** A usage error: printed with the usage text, exit code 2. */
class UsageError extends Error {}

const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;

/** One option of a command: what `--help` says and how its value is checked. */
interface OptionSpec {
  /** Placeholder of the value in the usage line (`N`, `DIR`); none for a boolean flag. */
  value?: string;
  /** Allowed values (the usage line lists them). */
  choices?: readonly string[];
  /** An integer at least this. */
  minInt?: number;
  /** The command cannot go without it. */
  required?: boolean;
  help: string;
}

interface CommandSpec {
  /** Positional argument, e.g. `<file.fmtl.json>`. */
  arg: string;
  /** What the argument is, for the error when it is missing or doubled. */
  argWords: string;
  /** More than one positional argument (the first is `arg`, all are in `args`). */
  manyArgs?: boolean;
  /** No positional argument at all (`arg` is empty). */
  noArgs?: boolean;
  help: string;
  options: Readonly<Record<string, OptionSpec>>;
}

const JSON_OPT: OptionSpec = { help: 'machine-readable output (one JSON object per line)' };
const ALLOW_OUTSIDE_OPT: OptionSpec = { help: "read data files outside the experiment's folder, the current directory and the shipped samples' data (README: Data outside the workspace)" };
const BACKEND_OPT: OptionSpec = { value: 'NAME', choices: BACKENDS, help: 'tfjs backend (default auto: tfjs-node-gpu, tfjs-node, wasm, cpu — the first that loads)' };

/** Every command and option of `fmtl`: the one table that the parser and `--help` read. */
export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  train: {
    arg: '<file.fmtl.json>', argWords: 'experiment file', help: 'train an experiment: live progress, the final tables, the run folder',
    options: {
      json: JSON_OPT,
      epochs: { value: 'N', minInt: 1, help: 'train this many epochs instead of training.epochs' },
      seed: { value: 'N', minInt: 0, help: 'seed instead of training.seed' },
      backend: BACKEND_OPT,
      'runs-dir': { value: 'DIR', help: 'parent of the run folder (default .fmtl/runs beside the experiment)' },
      variant: { value: 'NAME', choices: ['static', 'fixed', 'gumbel', 'asWritten'], help: 'ablation variant of the feedback arrows' },
      tag: { value: 'TAG', help: 'tag appended to the run folder name' },
      resume: { value: 'RUN_DIR', help: "continue a stopped or killed run in its folder, from its newest complete checkpoint (last, else best; none: from the start)" },
      'allow-outside': ALLOW_OUTSIDE_OPT,
    },
  },
  eval: {
    arg: '<runDir>', argWords: 'run folder', help: "re-score a run's checkpoint on a split",
    options: {
      split: { value: 'NAME', choices: ['valid', 'test'], help: 'split to score (default test)' },
      checkpoint: { value: 'NAME', choices: ['best', 'last'], help: 'checkpoint to load (default best, else last)' },
      backend: BACKEND_OPT,
      json: JSON_OPT,
      'allow-outside': ALLOW_OUTSIDE_OPT,
    },
  },
  validate: {
    arg: '<file.fmtl.json|file.sweep.json>', argWords: 'experiment or sweep file', help: 'check an experiment or sweep file; prints file:line:col  path  message',
    options: { json: JSON_OPT, 'allow-outside': { help: 'do not report data files outside the experiment\'s folder, the current directory and the shipped samples\' data (as train --allow-outside reads them)' } },
  },
  export: {
    arg: '<runDir>', argWords: 'run folder', help: "a run's checkpoint as a self-contained model folder (savedModel.ts)",
    options: {
      out: { value: 'DIR', required: true, help: 'the model folder to write' },
      checkpoint: { value: 'NAME', choices: ['best', 'last'], help: 'checkpoint to export (default best, else last)' },
    },
  },
  predict: {
    arg: '<modelDir|runDir> ["a sentence" ...]', argWords: 'model folder, then the inputs (or --input FILE)', manyArgs: true,
    help: 'a model folder (or a run folder) answers sentences or CSV rows',
    options: {
      input: { value: 'FILE', help: 'inputs from a text file (one sentence a line) or a CSV file (one row each)' },
      iterations: { help: "every feedback pass's answer, not only the last" },
      checkpoint: { value: 'NAME', choices: ['best', 'last'], help: 'for a run folder: the checkpoint to load' },
      backend: BACKEND_OPT,
      json: JSON_OPT,
    },
  },
  sweep: {
    arg: '<file.sweep.json>', argWords: 'sweep file (*.sweep.json)', help: 'run every cell of a sweep on a local pool of trainer processes, then its table',
    options: {
      workers: { value: 'N', minInt: 1, help: 'trainer processes at once (default 1; not with --queue)' },
      backend: BACKEND_OPT,
      out: { value: 'DIR', help: 'where the sweep folder goes (default .fmtl/sweeps/<name> beside the sweep file; with --queue a folder every worker sees at the same path)' },
      queue: { value: 'redis://HOST:PORT', help: 'enqueue the runs on this Redis (BullMQ) for `fmtl worker`s and follow them, instead of training here' },
      'allow-outside': { help: 'let every run (local or on a queue worker) read data files outside the experiment\'s folder, the current directory and the shipped samples\' data' },
    },
  },
  worker: {
    arg: '', argWords: 'nothing (the jobs say what to train)', noArgs: true, help: 'train sweep jobs from a Redis queue (fmtl sweep --queue) until Ctrl-C',
    options: {
      queue: { value: 'redis://HOST:PORT', required: true, help: 'the Redis the coordinator enqueues on' },
      workers: { value: 'N', minInt: 1, help: 'jobs trained at once on this box (default 1)' },
      'stalled-ms': { value: 'MS', minInt: 1000, help: "a dead worker's job returns to the queue after this long (default 30000)" },
    },
  },
};

function optionUsage(name: string, o: OptionSpec): string {
  const text = `--${name}${o.value ? ` ${o.choices ? o.choices.join('|') : o.value}` : ''}`;
  return o.required ? text : `[${text}]`;
}

/** The usage lines of every command (after an error, and for `fmtl help`). */
export function usage(): string {
  return ['usage:', ...Object.entries(COMMANDS).map(([name, c]) => `  fmtl ${[name, c.arg].filter(Boolean).join(' ')} ${Object.entries(c.options).map(([n, o]) => optionUsage(n, o)).join(' ')}`),
    '  fmtl <command> --help    the options of one command', '  fmtl --version'].join('\n');
}

/** `fmtl <command> --help`: the command, then one line per option. */
export function commandHelp(name: string): string {
  const c = COMMANDS[name];
  const rows = Object.entries(c.options).map(([n, o]) => [`  --${n}${o.value ? ` ${o.value}` : ''}`, `${o.help}${o.choices ? ` (${o.choices.join(', ')})` : ''}`]);
  const w = Math.max(...rows.map((r) => r[0].length));
  return [`usage: fmtl ${[name, c.arg].filter(Boolean).join(' ')} [options]`, '', c.help, '', 'options:', ...rows.map(([a, h]) => `${a.padEnd(w)}  ${h}`)].join('\n');
}

/** Parsed arguments of one command: its positional arguments and the checked option values. */
export interface ParsedCommand {
  /** The first positional argument. */
  arg: string;
  /** All positional arguments (one unless the command takes many). */
  args: string[];
  /** Option values as given (checked against the table); `true` for flags. */
  values: Record<string, string | boolean | undefined>;
  /** `--help` was asked: print {@link commandHelp} instead. */
  help: boolean;
}

/** Parses a command's arguments with node:util `parseArgs`, then checks choices and integers; errors are {@link UsageError}s in our words. */
export function parseCommand(name: string, argv: readonly string[]): ParsedCommand {
  const spec = COMMANDS[name];
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const [n, o] of Object.entries(spec.options)) options[n] = { type: o.value ? 'string' : 'boolean' };
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = nodeParseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (e) {
    const err = e as { code?: string; message: string };
    const opt = /'(-{1,2}[^' ]+)/.exec(err.message)?.[1];
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${opt ?? err.message} for '${name}'`);
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(`${opt ?? 'an option'} ${/argument missing|ambiguous/.test(err.message) ? 'needs a value' : 'takes no value'}`);
    throw new UsageError(err.message);
  }
  const { help, ...values } = parsed.values;
  if (help) return { arg: '', args: [], values, help: true };
  for (const [n, v] of Object.entries(values)) {
    const o = spec.options[n];
    if (typeof v !== 'string') continue;
    if (o.choices && !o.choices.includes(v)) throw new UsageError(`--${n} must be one of ${o.choices.join(', ')} (got '${v}')`);
    if (o.minInt !== undefined && !(/^-?\d+$/.test(v.trim()) && Number(v) >= o.minInt)) throw new UsageError(`--${n} must be an integer >= ${o.minInt} (got '${v}')`);
  }
  const n = parsed.positionals.length;
  if (spec.noArgs ? n !== 0 : spec.manyArgs ? n < 1 : n !== 1) throw new UsageError(`${name} takes ${spec.noArgs ? '' : spec.manyArgs ? 'a ' : 'one '}${spec.argWords}`);
  for (const [opt, o] of Object.entries(spec.options)) if (o.required && values[opt] === undefined) throw new UsageError(`${name} needs --${opt}${o.value ? ` ${o.value}` : ''}`);
  return { arg: parsed.positionals[0], args: parsed.positionals, values, help: false };
}

const str = (p: ParsedCommand, n: string): string | undefined => (typeof p.values[n] === 'string' ? p.values[n] as string : undefined);
const int = (p: ParsedCommand, n: string): number | undefined => (str(p, n) === undefined ? undefined : Number(str(p, n)));
/** An option with choices, typed by them (`parseCommand` already checked the value against the table). */
const oneOf = <T extends string>(p: ParsedCommand, n: string, _choices: readonly T[]): T | undefined => str(p, n) as T | undefined;


/** Output sinks (injectable for tests). */
export interface CliIo {
  out: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  err: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  cwd: string;
}

const defaultIo = (): CliIo => ({ out: process.stdout, err: process.stderr, cwd: process.cwd() });

/** `fmtl validate`: prints `file:line:col  path  message` lines; 1 if any error. */
export function cmdValidate(argv: readonly string[], io: CliIo = defaultIo()): number {
  const p = parseCommand('validate', argv);
  if (p.help) { io.out.write(commandHelp('validate') + '\n'); return 0; }
  const access = { ...defaultAccess(io.cwd), allowOutside: p.values['allow-outside'] === true };
  if (isSweepPath(p.arg)) return validateSweepFile(path.resolve(io.cwd, p.arg), p.values.json === true, io, access);
  const loaded = withOutsideIssues(loadExperimentFile(path.resolve(io.cwd, p.arg), access), access);
  const errors = loaded.issues.filter((i) => i.severity === 'error').length;
  if (p.values.json) {
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
function validateSweepFile(file: string, json: boolean, io: CliIo, access: DataAccess): number {
  const loaded = loadSweepFile(file);
  for (const r of sweepOutsideReads(loaded, access)) {
    loaded.issues.push({ path: ['experiment'], pathText: 'experiment', severity: 'error', message: `${r.jsonPath} of cell${r.cells.length === 1 ? '' : 's'} ${r.cells.join('; ')}: reads ${r.file}, outside the experiment's folder, the current directory and the shipped samples' data; pass --allow-outside to read it` });
  }
  if (loaded.issues.some((i) => i.severity === 'error')) loaded.sweep = undefined;
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
  const p = parseCommand('train', argv);
  if (p.help) { io.out.write(commandHelp('train') + '\n'); return 0; }
  if (isSweepPath(p.arg)) throw new CliError(`${p.arg} is a sweep file: run it with fmtl sweep ${p.arg}`);
  const runsDir = str(p, 'runs-dir');
  const resume = str(p, 'resume');
  const options: TrainRequestOptions = {
    experimentPath: path.resolve(io.cwd, p.arg),
    epochs: int(p, 'epochs'),
    seed: int(p, 'seed'),
    backend: oneOf(p, 'backend', BACKENDS),
    runsDir: runsDir !== undefined ? path.resolve(io.cwd, runsDir) : undefined,
    variant: oneOf(p, 'variant', ['static', 'fixed', 'gumbel', 'asWritten'] as const),
    tag: str(p, 'tag'),
    resume: resume !== undefined ? path.resolve(io.cwd, resume) : undefined,
    dataAccess: { ...defaultAccess(io.cwd), allowOutside: p.values['allow-outside'] === true },
  };
  const json = p.values.json === true;
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
  const p = parseCommand('sweep', argv);
  if (p.help) { io.out.write(commandHelp('sweep') + '\n'); return 0; }
  if (isExperimentPath(p.arg)) throw new CliError(`${p.arg} is an experiment file: train it with fmtl train ${p.arg}, or name it in a sweep file's "experiment"`);
  const queue = str(p, 'queue');
  if (queue !== undefined && p.values.workers !== undefined) throw new UsageError('--workers is for a local sweep; with --queue, start `fmtl worker --queue URL --workers N` on each box');
  try {
    return await runSweepCommand({
      file: p.arg,
      workers: int(p, 'workers') ?? 1,
      backend: oneOf(p, 'backend', BACKENDS),
      out: str(p, 'out'),
      queue: queue === undefined ? undefined : checkQueueUrl(queue),
      trainerPath: path.join(__dirname, 'trainer.js'),
      dataAccess: { ...defaultAccess(io.cwd), allowOutside: p.values['allow-outside'] === true },
    }, io, signal);
  } catch (e) {
    if (e instanceof SweepError) throw new CliError(e.message);
    throw e;
  }
}

/** `fmtl worker --queue URL`: trains sweep jobs from the queue until Ctrl-C. */
export async function cmdWorker(argv: readonly string[], io: CliIo = defaultIo(), signal?: AbortSignal): Promise<number> {
  const p = parseCommand('worker', argv);
  if (p.help) { io.out.write(commandHelp('worker') + '\n'); return 0; }
  return runWorkerCommand({
    queue: checkQueueUrl(str(p, 'queue')!),
    workers: int(p, 'workers') ?? 1,
    stalledMs: int(p, 'stalled-ms'),
    trainerPath: path.join(__dirname, 'trainer.js'),
  }, io, signal);
}

function checkQueueUrl(url: string): string {
  try { connectionOf(url); } catch (e) { throw new UsageError((e as Error).message); }
  return url;
}

/** `fmtl eval`: re-scores a run's checkpoint on a split. */
export async function cmdEval(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  const p = parseCommand('eval', argv);
  if (p.help) { io.out.write(commandHelp('eval') + '\n'); return 0; }
  const runDir = path.resolve(io.cwd, p.arg);
  const split: SplitName = oneOf(p, 'split', ['valid', 'test'] as const) ?? 'test';
  const config = readRunJson<Experiment>(runDir, RUN_FILES.config);
  const meta = readRunJson<RunMeta>(runDir, RUN_FILES.meta);
  if (!config || !meta) throw new CliError(`${runDir} is not a run folder (no ${RUN_FILES.config} / ${RUN_FILES.meta})`);
  const which = oneOf(p, 'checkpoint', ['best', 'last'] as const)
    ?? (fs.existsSync(path.join(runDir, RUN_FILES.checkpoints, 'best')) ? 'best' : 'last');
  const ckptDir = resolveCheckpointDir(path.join(runDir, RUN_FILES.checkpoints, which));
  const exp = withDefaults(config);
  // The data the run names, checked as train does; the experiment's folder counts only when the run
  // folder lies in it (a run folder from elsewhere names any experiment path it likes).
  const access: DataAccess = {
    ...defaultAccess(io.cwd), allowOutside: p.values['allow-outside'] === true,
    experimentFolder: isUnder(realPath(runDir), realPath(path.dirname(meta.experimentPath))),
  };
  const outside = outsideReads(exp, meta.experimentPath, access);
  if (outside.length) throw new CliError(outsideIssues(outside, meta.experimentPath, access).map((i) => `${i.pathText}: ${i.message}`).join('\n'));
  const backend = await initBackend(oneOf(p, 'backend', BACKENDS) ?? 'auto');
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
    if (p.values.json) {
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
  const p = parseCommand('export', argv);
  if (p.help) { io.out.write(commandHelp('export') + '\n'); return 0; }
  const runDir = path.resolve(io.cwd, p.arg);
  await initBackend('cpu'); // only to encode the weights
  const r = await exportModel(runDir, path.resolve(io.cwd, str(p, 'out')!), oneOf(p, 'checkpoint', ['best', 'last'] as const));
  const s = r.manifest.source;
  io.out.write(`${displayPath(r.dir, io.cwd)}: ${s.runId}, checkpoint ${s.checkpoint} (epoch ${s.epoch}, step ${s.step}), ${(r.bytes / 1e6).toFixed(1)} MB\n`);
  io.out.write(`use it: fmtl predict ${displayPath(r.dir, io.cwd)} "your input"   or   loadModel('${displayPath(r.dir, io.cwd)}') in code\n`);
  return 0;
}

/** `fmtl predict`: a model folder (or a run folder) answers sentences or CSV rows. */
export async function cmdPredict(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  const p = parseCommand('predict', argv);
  if (p.help) { io.out.write(commandHelp('predict') + '\n'); return 0; }
  const dir = path.resolve(io.cwd, p.arg);
  const inputs: ModelInput[] = p.args.slice(1);
  const file = str(p, 'input');
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
  const backend = oneOf(p, 'backend', BACKENDS) ?? 'auto';
  const isModel = fs.existsSync(path.join(dir, MODEL_FILES.manifest));
  const model = isModel ? await loadModel(dir, { backend }) : await loadRunModel(dir, oneOf(p, 'checkpoint', ['best', 'last'] as const), { backend });
  try {
    const preds = model.predict(inputs);
    const iterations = p.values.iterations === true;
    preds.forEach((r, i) => {
      if (p.values.json) {
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

/** Signals that stop a run cleanly (the first) or at once (the second). */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** Exit code of a run stopped by a signal: 128 + the signal number, as shells report it. */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/** A user-facing failure: one line, exit 1. */
class CliError extends Error {}

/** Runs the CLI; resolves to the exit code. Ctrl-C: first stops cleanly, second exits at once. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  const [cmd, ...rest] = argv;
  const io = defaultIo();
  try {
    switch (cmd) {
      case 'sweep':
      case 'worker':
      case 'train': {
        // Ctrl-C, SIGTERM (kill, timeout, a container stop) and SIGHUP (the terminal closed) all stop
        // the same way: after this step, with the last checkpoint and a 'stopped' summary; a second
        // signal exits at once. After SIGHUP the terminal is gone, so nothing more is written to it.
        const ac = new AbortController();
        let first: NodeJS.Signals | undefined;
        let hungUp = false;
        const quiet = (w: CliIo['out']): CliIo['out'] => ({
          get isTTY() { return w.isTTY; }, get columns() { return w.columns; },
          write: (t: string) => { if (hungUp) return true; try { return w.write(t); } catch { return true; } },
        });
        const sio: CliIo = { ...io, out: quiet(io.out), err: quiet(io.err) };
        const onSignal = (sig: NodeJS.Signals) => {
          if (first) process.exit(SIGNAL_EXIT[sig]);
          first = sig;
          if (sig === 'SIGHUP') hungUp = true;
          ac.abort();
          sio.err.write(`\n${sig === 'SIGINT' ? 'Ctrl-C' : sig}: stopping after this step (the run and its last checkpoint are kept); ${sig === 'SIGINT' ? 'Ctrl-C' : 'a second signal'} again to quit now\n`);
        };
        for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
        try {
          const code = await (cmd === 'sweep' ? cmdSweep : cmd === 'worker' ? cmdWorker : cmdTrain)(rest, sio, ac.signal);
          return code === 130 && first ? SIGNAL_EXIT[first] : code;
        } finally {
          for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
        }
      }
      case 'eval': return await cmdEval(rest, io);
      case 'export': return await cmdExport(rest, io);
      case 'predict': return await cmdPredict(rest, io);
      case 'validate': return cmdValidate(rest, io);
      case '--version': case '-v': io.out.write(`fmtl ${(pkg as { version: string }).version}\n`); return 0;
      case undefined: case 'help': case '--help': case '-h': io.out.write(usage() + '\n'); return cmd === undefined ? 2 : 0;
      default: throw new UsageError(`unknown command '${cmd}'`);
    }
  } catch (e) {
    if (e instanceof UsageError) { io.err.write(`fmtl: ${e.message}\n${usage()}\n`); return 2; }
    const err = e as Error;
    const where = e instanceof DataError && e.where && !err.message.includes(e.where) ? ` (at ${e.where})` : '';
    io.err.write(`fmtl: ${err?.message ?? String(e)}${where}\n`);
    if (process.env.FMTL_DEBUG === '1' && err?.stack) io.err.write(err.stack + '\n');
    return 1;
  }
}
