/**
 * Reads an experiment file from disk and validates it, checking data files relative to the file.
 * Issues format as `file:line:col  json.path  message`, the shape editors and terminals link.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatIssue, locate, parseExperiment, parseJsonc, type ExperimentIssue } from '../shared/experiment';
import type { DataAccess } from '../shared/trainerProtocol';
import { mayReadFor, outsideIssues, outsideReads } from './dataPaths';
import type { Experiment } from '../shared/experimentTypes';
import { dataPathOptions } from './dataPath';
import { dataReader } from './dataFacts';

/** Why a file the user named could not be read, in words (experiment and sweep files). */
export function whyUnreadable(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a folder, not a file' : String((e as Error).message);
}

/** A loaded experiment file. */
export interface LoadedExperiment {
  /** Absolute path of the file. */
  path: string;
  /** With defaults; absent when there is any error. */
  experiment?: Experiment;
  /** Errors and warnings (see `ExperimentIssue`). */
  issues: ExperimentIssue[];
  /** The file's text ('' when it could not be read). */
  text: string;
}

/** Thrown by {@link requireExperiment}: the message lists every error, one per line. */
export class ExperimentFileError extends Error {
  override readonly name = 'ExperimentFileError';
  constructor(message: string, readonly where: string, readonly issues: ExperimentIssue[]) {
    super(message);
  }
}

/**
 * Read, parse, validate (data files included: their existence and, read cheaply, their content:
 * `shared/dataChecks.ts`). Only data files inside the folders `access` allows are read (default:
 * the experiment's folder, the current directory, the shipped samples' data). Never throws.
 */
export function loadExperimentFile(file: string, access?: DataAccess): LoadedExperiment {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (e) {
    return { path: abs, text: '', issues: [{ path: [], pathText: '', severity: 'error', message: `cannot read experiment file: ${whyUnreadable(e)}` }] };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // BOM
  const r = parseExperiment(text, { ...dataPathOptions(path.dirname(abs)), readData: dataReader(path.dirname(abs), { mayRead: mayReadFor(abs, access) }) });
  return { path: abs, experiment: r.experiment, issues: r.errors, text };
}

/**
 * `loaded` with an error at each setting that names a data file outside the folders a run may read
 * without asking (data/dataPaths.ts), located in the file's text; unchanged when the
 * experiment has errors already or `access.allowOutside`.
 */
export function withOutsideIssues(loaded: LoadedExperiment, access: DataAccess): LoadedExperiment {
  if (!loaded.experiment) return loaded;
  const reads = outsideReads(loaded.experiment, loaded.path, access);
  if (!reads.length) return loaded;
  const doc = parseJsonc(loaded.text);
  const issues = outsideIssues(reads, loaded.path, access).map((i) => ('root' in doc ? locate(doc.root, i, false) : i));
  return { ...loaded, experiment: undefined, issues: [...loaded.issues, ...issues] };
}

/** Lines `file:line:col  path  message` for each issue; `file` shown relative to `cwd` when inside it. */
export function formatIssues(loaded: LoadedExperiment, cwd = process.cwd()): string[] {
  const rel = path.relative(cwd, loaded.path);
  const label = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : loaded.path;
  return loaded.issues.map((i) => formatIssue(i, label, loaded.text));
}

/** The experiment, or an {@link ExperimentFileError} listing every error (warnings are not fatal). */
export function requireExperiment(loaded: LoadedExperiment, cwd = process.cwd()): Experiment {
  if (loaded.experiment) return loaded.experiment;
  const errors = loaded.issues.filter((i) => i.severity === 'error');
  const lines = formatIssues({ ...loaded, issues: errors }, cwd);
  const n = errors.length;
  throw new ExperimentFileError(`${n} error${n === 1 ? '' : 's'} in the experiment file:\n${lines.join('\n')}`, lines[0]?.split('  ')[0] ?? loaded.path, errors);
}
