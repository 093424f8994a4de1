/**
 * Which files a run reads, and whether each lies inside the folders it may read without asking.
 *
 * A data file is **inside** when its real path (every symbolic link resolved, so a link in the
 * workspace to `/etc` is outside) is in or under one of:
 * - the folder holding the experiment file;
 * - the caller's folders: the current directory for `fmtl`, the workspace folders in VS Code;
 * - the data the shipped samples read: what each `samples/*.fmtl.json` of fmtl itself names as its
 *   data (`samples/penguins.csv`, and `../shared/data/snips` beside the repository), so the
 *   samples train as shipped.
 * Anything else is **outside**: `fmtl` refuses it unless `--allow-outside`, the extension asks.
 * Sweeps and queue workers carry the decision of the command that started them (`DataAccess`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readsLabels, type Experiment } from '../shared/experimentTypes';
import { formatPath, type ExperimentIssue } from '../shared/experiment';
import type { DataAccess } from '../shared/trainerProtocol';
import pkg from '../../package.json';
import { resolveDataPath } from './dataPath';

/** One file (or folder) a run reads. */
export interface DataRead {
  /** JSON path of the setting that names it (`data.path`, `tasks[1].label`). */
  jsonPath: (string | number)[];
  /** Absolute, as the trainer resolves it (relative to the experiment's folder, `~` = home: `dataPath.ts`). */
  file: string;
  /** With every symbolic link resolved (the part that exists; the rest appended). */
  real: string;
}

/** `p` with symbolic links resolved as far as it exists; the missing rest is appended as written. */
export function realPath(p: string): string {
  const abs = path.resolve(p);
  const rest: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      return path.join(fs.realpathSync.native(cur), ...rest.reverse());
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return abs;
      rest.push(path.basename(cur));
      cur = parent;
    }
  }
}

/** True when `p` is `root` or under it (both real paths). */
export function isUnder(p: string, root: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/**
 * Every data file a run of `exp` reads: the CSV; the JSONL / CoNLL file, or each split's file; or per
 * SLU split `seq.in` and each task's label file.
 */
export function dataReads(exp: Experiment, baseDir: string): DataRead[] {
  const d = exp.data;
  const out: DataRead[] = [];
  const add = (jsonPath: (string | number)[], file: string) => {
    const abs = resolveDataPath(baseDir, file);
    if (!out.some((r) => r.file === abs)) out.push({ jsonPath, file: abs, real: realPath(abs) });
  };
  if (d.format === 'csv' || ((d.format === 'jsonl' || d.format === 'conll') && !d.splits)) {
    add(['data', 'path'], d.path);
    return out;
  }
  if (d.format === 'jsonl' || d.format === 'conll') {
    for (const [name, file] of Object.entries(d.splits!)) if (typeof file === 'string') add(['data', 'splits', name], path.join(d.path, file));
    return out;
  }
  const splits = d.splits ?? { train: 'train', valid: 'valid', test: 'test' };
  for (const [name, dir] of Object.entries(splits)) {
    if (typeof dir !== 'string') continue;
    add(d.splits ? ['data', 'splits', name] : ['data', 'path'], path.join(d.path, dir, 'seq.in'));
    exp.tasks.forEach((t, i) => { if (readsLabels(t)) add(['tasks', i, 'label'], path.join(d.path, dir, t.label)); });
  }
  return out;
}

/** fmtl's own `samples/` folder: beside the package.json of this package, found upwards from this bundle. */
export function shippedSamplesDir(from = __dirname): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    try {
      const p = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (p.name === (pkg as { name: string }).name && fs.statSync(path.join(dir, 'samples')).isDirectory()) return path.join(dir, 'samples');
    } catch { /* not here */ }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * The data each shipped sample reads (the CSV file, or the SLU folder), where it exists. With
 * `sameAs` (the installed extension's own samples folder), only the samples of `samplesDir` (a
 * checkout of this repository opened as the workspace) that are byte for byte the shipped ones: their
 * data paths are then the ones we wrote, resolved from where they are.
 */
export function shippedDataRoots(samplesDir = shippedSamplesDir(), sameAs?: string): string[] {
  if (!samplesDir) return [];
  const roots = new Set<string>();
  let names: string[] = [];
  try { names = fs.readdirSync(samplesDir).filter((n) => n.endsWith('.fmtl.json')); } catch { return []; }
  for (const n of names) {
    try {
      const text = fs.readFileSync(path.join(samplesDir, n), 'utf8');
      if (sameAs !== undefined && fs.readFileSync(path.join(sameAs, n), 'utf8') !== text) continue;
      const exp = JSON.parse(text) as { data?: { path?: unknown } };
      if (typeof exp.data?.path !== 'string') continue;
      const p = path.resolve(samplesDir, exp.data.path);
      if (fs.existsSync(p)) roots.add(realPath(p));
    } catch { /* a sample that does not parse gives no root */ }
  }
  return [...roots];
}

/** The folders a run of the experiment at `experimentPath` may read without asking. */
export function insideRoots(experimentPath: string, access: Pick<DataAccess, 'roots' | 'experimentFolder'> | undefined): string[] {
  const own = access?.experimentFolder === false ? [] : [path.dirname(path.resolve(experimentPath))];
  const roots = [...own, ...(access?.roots ?? defaultAccess().roots)];
  return [...new Set(roots.map(realPath))];
}

/** What `fmtl` allows without `--allow-outside`: the current directory and the shipped samples' data. */
export function defaultAccess(cwd = process.cwd()): DataAccess {
  return { roots: [cwd, ...shippedDataRoots()] };
}

/** The data files of `exp` outside every root (none when `access.allowOutside`). */
export function outsideReads(exp: Experiment, experimentPath: string, access: DataAccess | undefined): DataRead[] {
  if (access?.allowOutside) return [];
  const roots = insideRoots(experimentPath, access);
  return dataReads(exp, path.dirname(path.resolve(experimentPath))).filter((r) => !roots.some((root) => isUnder(r.real, root)));
}

/** How the user allows it, by front end: appended to the message. */
export type AllowHint = 'cli' | 'none';

/** One issue per setting whose files lie outside (the first file it names), at that setting's JSON path. */
export function outsideIssues(reads: readonly DataRead[], experimentPath: string, access: DataAccess | undefined, hint: AllowHint = 'cli'): ExperimentIssue[] {
  const seen = new Set<string>();
  const issues: ExperimentIssue[] = [];
  const roots = insideRoots(experimentPath, access);
  for (const r of reads) {
    const key = formatPath(r.jsonPath);
    if (seen.has(key)) continue;
    seen.add(key);
    const shown = r.real === r.file ? r.file : `${r.file} (${r.real})`;
    issues.push({
      path: r.jsonPath, pathText: key, severity: 'error',
      message: `reads ${shown}, outside the folders a run may read without asking (${roots.join(', ')})`
        + (hint === 'cli' ? '; pass --allow-outside to read it' : ''),
    });
  }
  return issues;
}

/**
 * Whether validation may read the file at `abs` to check its content: inside the folders a run of
 * the experiment at `experimentPath` may read (or `access.allowOutside`). Files outside are only
 * checked for existence, so a message never quotes a file the user did not mean as data.
 */
export function mayReadFor(experimentPath: string, access: DataAccess | undefined): (abs: string) => boolean {
  if (access?.allowOutside) return () => true;
  const roots = insideRoots(experimentPath, access);
  return (abs) => { const real = realPath(abs); return roots.some((root) => isUnder(real, root)); };
}
