/**
 * Reads a sweep file from disk and checks it whole: its own structure (`shared/sweep.ts`), its base
 * experiment (found, valid, data files present), and every cell against that experiment. Every
 * issue is located in the sweep file's text, so the CLI prints `file:line:col  json.path  message`
 * and the Problems panel underlines the axis value at fault. Used by `fmtl sweep`, `fmtl validate`,
 * the queue workers and the extension.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseTree } from 'jsonc-parser';
import { tooDeep } from '../shared/jsonDepth';
import { formatIssue, formatPath, locate, type ExperimentIssue } from '../shared/experiment';
import { applyOverrides, checkSweepAgainst, parseSweep, type Sweep } from '../shared/sweep';
import type { DataAccess } from '../shared/trainerProtocol';
import { outsideReads } from '../data/dataPaths';
import type { Experiment } from '../shared/experimentTypes';
import { formatIssues, loadExperimentFile, whyUnreadable, type LoadedExperiment } from '../data/experimentFile';

/** A loaded sweep file. */
export interface LoadedSweep {
  /** Absolute path of the sweep file. */
  path: string;
  text: string;
  /** Set only when there is no error anywhere (sweep, experiment, cells). */
  sweep?: Sweep;
  /** Absolute path of the base experiment (when the sweep names one). */
  experimentPath?: string;
  experiment?: Experiment;
  /** Issues located in the sweep file (an experiment's own errors are summarised at `experiment`). */
  issues: ExperimentIssue[];
  /** The base experiment as loaded, when it has errors of its own (listed after the sweep's). */
  brokenExperiment?: LoadedExperiment;
}

/** The sweep's name: `name`, else the file name without `.sweep.json`. */
export function sweepName(file: string, sweep?: Pick<Sweep, 'name'>): string {
  return sweep?.name || path.basename(file).replace(/\.sweep\.json$|\.json$/, '');
}

/** Read, parse, validate, and check against the base experiment. Never throws. `text` overrides the file (unsaved editor). */
export function loadSweepFile(file: string, text?: string): LoadedSweep {
  const abs = path.resolve(file);
  if (text === undefined) {
    try {
      text = fs.readFileSync(abs, 'utf8');
    } catch (e) {
      return { path: abs, text: '', issues: [{ path: [], pathText: '', severity: 'error', message: `cannot read sweep file: ${whyUnreadable(e)}` }] };
    }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const parsed = parseSweep(text);
  const out: LoadedSweep = { path: abs, text, issues: parsed.errors };
  if (!parsed.sweep) return out;
  const sweep = parsed.sweep;
  out.experimentPath = path.resolve(path.dirname(abs), sweep.experiment);
  const loaded = loadExperimentFile(out.experimentPath);
  const errors = loaded.issues.filter((i) => i.severity === 'error');
  if (errors.length) {
    if (loaded.text !== '') out.brokenExperiment = loaded;
    const first = errors[0];
    const msg = loaded.text === '' && first.path.length === 0
      ? `${sweep.experiment}: ${first.message.replace(/^cannot read experiment file: /, '')}`
      : `the base experiment has ${errors.length} error${errors.length === 1 ? '' : 's'}; first: ${formatIssue(first, sweep.experiment, loaded.text)}`;
    out.issues = [atExperimentKey(text, msg)];
    return out;
  }
  out.experiment = loaded.experiment;
  out.issues = checkSweepAgainst(sweep, loaded.experiment, text);
  if (!out.issues.some((i) => i.severity === 'error')) out.sweep = sweep;
  return out;
}

/** An error about the base experiment, placed on the sweep file's `experiment` value. */
function atExperimentKey(text: string, message: string): ExperimentIssue {
  const issue: ExperimentIssue = { path: ['experiment'], pathText: 'experiment', severity: 'error', message };
  const root = tooDeep(text) ? undefined : parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  return root ? locate(root, issue, false) : issue;
}

/** `file:line:col  path  message` lines for a loaded sweep's issues, then the experiment's own lines. */
export function formatSweepIssues(loaded: LoadedSweep, cwd = process.cwd()): string[] {
  const rel = path.relative(cwd, loaded.path);
  const label = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : loaded.path;
  return [...loaded.issues.map((i) => formatIssue(i, label, loaded.text)), ...(loaded.brokenExperiment ? formatIssues(loaded.brokenExperiment, cwd) : [])];
}

/** The experiment of each cell of a valid sweep (the base experiment with the cell's overrides), in cell order. */
export function cellExperiments(loaded: LoadedSweep): Experiment[] {
  if (!loaded.sweep || !loaded.experiment) return [];
  return loaded.sweep.cells.map((c) => applyOverrides(loaded.experiment!, c.overrides));
}

/**
 * Data files the sweep's runs would read outside the folders they may read without asking (the base
 * experiment with each cell's overrides, which may set data paths): one line per file, naming the
 * cells that read it. Empty when `access.allowOutside`.
 */
export function sweepOutsideReads(loaded: LoadedSweep, access: DataAccess | undefined): { file: string; jsonPath: string; cells: string[] }[] {
  if (!loaded.sweep || !loaded.experimentPath) return [];
  const out = new Map<string, { file: string; jsonPath: string; cells: string[] }>();
  const exps = cellExperiments(loaded);
  for (const [k, cell] of loaded.sweep.cells.entries()) {
    for (const r of outsideReads(exps[k], loaded.experimentPath, access)) {
      const seen = out.get(r.real) ?? { file: r.real === r.file ? r.file : `${r.file} (${r.real})`, jsonPath: formatPath(r.jsonPath), cells: [] };
      seen.cells.push(cell.label || cell.id);
      out.set(r.real, seen);
    }
  }
  return [...out.values()];
}
