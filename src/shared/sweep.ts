/**
 * The sweep document (`*.sweep.json`): one base experiment, axes over JSON paths of it, seeds,
 * ablation variants and a baseline, expanded into cells (one configuration each) and runs (a cell
 * at one seed).
 *
 * Pure: no node, DOM or vscode imports, so the CLI, the queue workers, the extension's Problems
 * panel and the tests all see the same cells and the same errors. Like the experiment file,
 * validation never throws and every problem carries its JSON path (and its text range when parsed
 * from text).
 *
 * ```jsonc
 * {
 *   "experiment": "penguins.fmtl.json",           // relative to the sweep file
 *   "seeds": [1, 2, 3],                           // or { "count": 3, "start": 1 }
 *   "variants": ["static", "fixed", "gumbel"],    // optional; crossed with the axes
 *   "axes": [
 *     { "path": "training.learningRate", "values": [0.01, 0.003] },
 *     { "path": "tasks[1].blocks[0].units", "range": { "min": 8, "max": 32, "steps": 3, "integer": true } }
 *   ],
 *   "search": { "type": "grid" },                 // or { "type": "random", "budget": 8, "seed": 0 }
 *   "baseline": { "variant": "static" }           // compare every cell against this one
 * }
 * ```
 */
import { getNodeValue, parseTree } from 'jsonc-parser';
import { tooDeep } from './jsonDepth';
import { formatPath, locate, parseJsonc, validateExperiment, type ExperimentIssue } from './experiment';
import { Rng } from './rng';

/** The ablation variants a sweep may cross (as `TrainRequestOptions.variant`). */
export const SWEEP_VARIANTS = ['static', 'fixed', 'gumbel', 'asWritten'] as const;
export type SweepVariant = (typeof SWEEP_VARIANTS)[number];

/** A JSON path into the experiment: `training.learningRate`, `tasks[1].blocks[0].units`, or the array form. */
export type JsonPath = (string | number)[];

/** A numeric range, sampled on a grid (`steps` values) or at random (random search). */
export interface AxisRange {
  min: number;
  max: number;
  /** Grid search: how many evenly spaced values, ends included (>= 2). Random search: unused. */
  steps?: number;
  /** `log`: evenly spaced (or uniformly drawn) in log space; needs min > 0. Default `linear`. */
  scale?: 'linear' | 'log';
  /** Round every value to an integer (layer sizes, K). */
  integer?: boolean;
}

/** One axis of the sweep: a JSON path of the experiment and the values it takes. */
export interface SweepAxis {
  path: string | JsonPath;
  /** Short name for tables and folder names (default: the path's last key). */
  name?: string;
  values?: unknown[];
  range?: AxisRange;
}

/** The sweep file as written. */
export interface SweepFile {
  $schema?: string;
  name?: string;
  description?: string;
  /** The base experiment, relative to the sweep file. */
  experiment: string;
  seeds: number[] | { count: number; start?: number };
  variants?: SweepVariant[];
  axes?: SweepAxis[];
  search?: { type: 'grid' } | { type: 'random'; budget: number; seed?: number };
  /** Axis name (or `variant`) -> value; see {@link baselineOf}. */
  baseline?: Record<string, unknown>;
  /** Override every run's epochs (quick sweeps). */
  epochs?: number;
}

/** One value a path is set to in a cell. */
export interface Override {
  path: JsonPath;
  value: unknown;
}

/** One configuration of the sweep (trained at every seed). */
export interface SweepCell {
  /** Stable, folder-safe id made of the cell's values: `static_learningRate-0.01`, `base`. */
  id: string;
  /** The same for people: `variant=static, learningRate=0.01`. */
  label: string;
  variant?: SweepVariant;
  /** Axis name -> value (and `variant` when the sweep has variants), in axis order. */
  values: Record<string, unknown>;
  overrides: Override[];
}

/** One training run: a cell at one seed. */
export interface SweepRun {
  cellId: string;
  seed: number;
  /** `<cellId>/seed-<seed>`: unique in the sweep, used as the queue's job id and the run's place on disk. */
  key: string;
}

/** A valid sweep, normalised. */
export interface Sweep {
  name: string;
  experiment: string;
  seeds: number[];
  variants: SweepVariant[];
  axes: { name: string; path: JsonPath; values: unknown[] }[];
  search: 'grid' | 'random';
  baseline: Record<string, unknown>;
  epochs?: number;
  cells: SweepCell[];
  runs: SweepRun[];
}

/** Result of {@link parseSweep}. */
export interface ParsedSweep {
  /** Set only when there is no error. */
  sweep?: Sweep;
  errors: ExperimentIssue[];
  value?: unknown;
}

const ROOT_KEYS = ['$schema', 'name', 'description', 'experiment', 'seeds', 'variants', 'axes', 'search', 'baseline', 'epochs'];
const AXIS_KEYS = ['path', 'name', 'values', 'range'];
const RANGE_KEYS = ['min', 'max', 'steps', 'scale', 'integer'];
/** Keys that reach an object's prototype instead of a setting: never part of an axis path. */
const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
/** Cells in a grid above which the sweep is refused (a typo in `steps` should not queue a million runs). */
export const MAX_CELLS = 10_000;

/**
 * `training.learningRate` -> `['training', 'learningRate']`; `tasks[1].blocks[0]` ->
 * `['tasks', 1, 'blocks', 0]`. Undefined for text that is not such a path.
 */
export function parseJsonPath(text: string): JsonPath | undefined {
  if (!text) return undefined;
  const out: JsonPath = [];
  const re = /([A-Za-z_$][\w$-]*)|\[(\d+)\]|\.|(.)/gy;
  let expectKey = true;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < text.length && (m = re.exec(text))) {
    pos = re.lastIndex;
    if (m[3] !== undefined) return undefined;
    if (m[1] !== undefined) { if (!expectKey) return undefined; out.push(m[1]); expectKey = false; }
    else if (m[2] !== undefined) { if (expectKey && out.length === 0) return undefined; out.push(Number(m[2])); expectKey = false; }
    else { if (expectKey) return undefined; expectKey = true; }
  }
  return pos === text.length && !expectKey ? out : undefined;
}

/** A value as a short, stable string (numbers to 4 significant digits, no exponent noise). */
export function formatValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** Parse a sweep document (JSON with comments), validate and expand it. Never throws. */
export function parseSweep(text: string): ParsedSweep {
  const doc = parseJsonc(text);
  if ('errors' in doc) return doc;
  const { root, value } = doc;
  const r = validateSweep(value);
  return { value, sweep: r.sweep, errors: r.errors.map((e) => locate(root, e, e.message.startsWith('unknown key'))) };
}

/**
 * Validate a parsed sweep value and expand its cells and runs. Every error has a JSON path; the
 * sweep is returned only when there is none.
 */
export function validateSweep(value: unknown): { sweep?: Sweep; errors: ExperimentIssue[] } {
  const errors: ExperimentIssue[] = [];
  const err = (path: JsonPath, message: string, severity: 'error' | 'warning' = 'error') =>
    errors.push({ path, pathText: formatPath(path), message, severity });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    err([], `a sweep must be a JSON object, not ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
    return { errors };
  }
  const s = value as Record<string, unknown>;
  for (const k of Object.keys(s)) if (!ROOT_KEYS.includes(k)) err([k], `unknown key '${k}' (known: ${ROOT_KEYS.filter((x) => x !== '$schema').join(', ')})`);
  if (s.name !== undefined && (typeof s.name !== 'string' || !s.name.trim())) err(['name'], 'must be a non-empty string');
  if (s.description !== undefined && typeof s.description !== 'string') err(['description'], 'must be a string');

  if (s.experiment === undefined) err([], "missing 'experiment': the path of the base *.fmtl.json, relative to this file");
  else if (typeof s.experiment !== 'string' || !s.experiment.trim()) err(['experiment'], 'must be the path of a *.fmtl.json file, relative to this file');

  // Seeds.
  let seeds: number[] = [];
  const isSeed = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
  if (s.seeds === undefined) err([], "missing 'seeds': a list like [1, 2, 3] or { \"count\": 3 }");
  else if (Array.isArray(s.seeds)) {
    if (s.seeds.length === 0) err(['seeds'], 'needs at least one seed');
    s.seeds.forEach((x, i) => { if (!isSeed(x)) err(['seeds', i], `a seed is an integer >= 0 (got ${JSON.stringify(x)})`); });
    const seen = new Set<unknown>();
    s.seeds.forEach((x, i) => { if (seen.has(x)) err(['seeds', i], `seed ${x} is listed twice`); seen.add(x); });
    seeds = s.seeds.filter(isSeed);
  } else if (typeof s.seeds === 'object' && s.seeds !== null) {
    const o = s.seeds as Record<string, unknown>;
    for (const k of Object.keys(o)) if (k !== 'count' && k !== 'start') err(['seeds', k], `unknown key '${k}' (known: count, start)`);
    const count = o.count, start = o.start ?? 1;
    if (!(typeof count === 'number' && Number.isInteger(count) && count >= 1)) err(['seeds', 'count'], `must be an integer >= 1 (got ${JSON.stringify(count)})`);
    else if (!isSeed(start)) err(['seeds', 'start'], `must be an integer >= 0 (got ${JSON.stringify(start)})`);
    else seeds = Array.from({ length: count }, (_, i) => start + i);
  } else err(['seeds'], 'must be a list of seeds or { "count": N, "start": S }');

  // Variants.
  let variants: SweepVariant[] = [];
  if (s.variants !== undefined) {
    if (!Array.isArray(s.variants) || s.variants.length === 0) err(['variants'], `must be a non-empty list of ${SWEEP_VARIANTS.join(', ')}`);
    else {
      s.variants.forEach((v, i) => {
        if (!(SWEEP_VARIANTS as readonly unknown[]).includes(v)) err(['variants', i], `unknown variant ${JSON.stringify(v)} (known: ${SWEEP_VARIANTS.join(', ')})`);
        else if (variants.includes(v as SweepVariant)) err(['variants', i], `variant '${v}' is listed twice`);
        else variants.push(v as SweepVariant);
      });
    }
  }

  // Search.
  let search: 'grid' | 'random' = 'grid';
  let budget = 0;
  let searchSeed = 0;
  if (s.search !== undefined) {
    const o = s.search as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || Array.isArray(o)) err(['search'], 'must be { "type": "grid" } or { "type": "random", "budget": N }');
    else if (o.type === 'grid') {
      for (const k of Object.keys(o)) if (k !== 'type') err(['search', k], `unknown key '${k}' (a grid takes only 'type')`);
    } else if (o.type === 'random') {
      search = 'random';
      for (const k of Object.keys(o)) if (!['type', 'budget', 'seed'].includes(k)) err(['search', k], `unknown key '${k}' (known: type, budget, seed)`);
      if (!(typeof o.budget === 'number' && Number.isInteger(o.budget) && o.budget >= 1)) err(['search', 'budget'], `random search needs 'budget': how many configurations to draw, an integer >= 1 (got ${JSON.stringify(o.budget)})`);
      else budget = o.budget;
      if (o.seed !== undefined && !isSeed(o.seed)) err(['search', 'seed'], 'must be an integer >= 0');
      else searchSeed = (o.seed as number | undefined) ?? 0;
    } else err(['search', 'type'], `must be 'grid' or 'random' (got ${JSON.stringify(o.type)})`);
  }

  // Axes.
  const axes: { name: string; path: JsonPath; values: unknown[]; range?: AxisRange }[] = [];
  if (s.axes !== undefined) {
    if (!Array.isArray(s.axes)) err(['axes'], 'must be a list of { "path": ..., "values": [...] } or { "path": ..., "range": {...} }');
    else s.axes.forEach((a, i) => {
      const at: JsonPath = ['axes', i];
      if (typeof a !== 'object' || a === null || Array.isArray(a)) { err(at, 'an axis is an object with a path and values or a range'); return; }
      const ax = a as Record<string, unknown>;
      for (const k of Object.keys(ax)) if (!AXIS_KEYS.includes(k)) err([...at, k], `unknown key '${k}' (known: ${AXIS_KEYS.join(', ')})`);
      let path: JsonPath | undefined;
      if (typeof ax.path === 'string') {
        path = parseJsonPath(ax.path);
        if (!path) err([...at, 'path'], `'${ax.path}' is not a JSON path (write it like training.learningRate or tasks[1].blocks[0].units)`);
      } else if (Array.isArray(ax.path) && ax.path.length > 0 && ax.path.every((p) => typeof p === 'string' || (typeof p === 'number' && Number.isInteger(p) && p >= 0))) {
        path = ax.path as JsonPath;
      } else err([...at, 'path'], ax.path === undefined ? "missing 'path': the JSON path in the experiment this axis sets" : 'must be a JSON path: text like training.learningRate, or a list of keys and indices');
      if (path && (path[0] === 'name' || path[0] === '$schema')) err([...at, 'path'], `'${formatPath(path)}' names the run, not the model; sweep something that changes training`);
      const name = typeof ax.name === 'string' && ax.name.trim() ? ax.name.trim() : path ? String([...path].reverse().find((p) => typeof p === 'string') ?? formatPath(path)) : `axis${i}`;
      if (ax.name !== undefined && (typeof ax.name !== 'string' || !ax.name.trim())) err([...at, 'name'], 'must be a non-empty string');
      if (name === 'variant') err([...at, ax.name !== undefined ? 'name' : 'path'], "'variant' is the name of the variants axis; give this axis another 'name'");
      const dup = axes.find((x) => x.name === name);
      if (dup) err([...at, ax.name !== undefined ? 'name' : 'path'], `two axes are named '${name}'; give one a 'name'`);
      if (path && axes.some((x) => formatPath(x.path) === formatPath(path!))) err([...at, 'path'], `'${formatPath(path)}' is already swept by another axis`);
      let values: unknown[] = [];
      let range: AxisRange | undefined;
      if ((ax.values === undefined) === (ax.range === undefined)) err(at, "an axis has either 'values' (a list) or 'range' ({ min, max, steps })");
      else if (ax.values !== undefined) {
        if (!Array.isArray(ax.values) || ax.values.length === 0) err([...at, 'values'], 'must be a non-empty list');
        else {
          values = ax.values;
          const keys = values.map((v) => JSON.stringify(v));
          keys.forEach((k, j) => { if (keys.indexOf(k) !== j) err([...at, 'values', j], `value ${k} is listed twice`); });
        }
      } else {
        range = checkRange(ax.range, [...at, 'range'], search, err);
        if (range && search === 'grid') values = gridValues(range);
      }
      axes.push({ name, path: path ?? [], values, range });
    });
  }
  if (search === 'random' && !axes.some((a) => a.range || a.values.length > 1)) err(['search'], 'random search needs at least one axis with a range or several values');

  if (s.epochs !== undefined && !(typeof s.epochs === 'number' && Number.isInteger(s.epochs) && s.epochs >= 1)) err(['epochs'], `must be an integer >= 1 (got ${JSON.stringify(s.epochs)})`);

  if (errors.some((e) => e.severity === 'error')) return { errors };

  // Cells.
  const points = search === 'grid' ? gridPoints(axes) : randomPoints(axes, budget, searchSeed);
  const nCells = points.length * Math.max(1, variants.length);
  if (nCells > MAX_CELLS) { err(search === 'grid' ? ['axes'] : ['search', 'budget'], `${nCells} cells is more than ${MAX_CELLS}; sweep fewer values`); return { errors }; }
  const cells: SweepCell[] = [];
  for (const v of variants.length ? variants : [undefined]) {
    for (const point of points) {
      const values: Record<string, unknown> = {};
      if (v) values.variant = v;
      axes.forEach((a, i) => { values[a.name] = point[i]; });
      cells.push({
        id: cellId(values),
        label: Object.entries(values).map(([k, x]) => `${k}=${formatValue(x)}`).join(', ') || 'base',
        ...(v ? { variant: v } : {}),
        values,
        overrides: axes.map((a, i) => ({ path: a.path, value: point[i] })),
      });
    }
  }
  // Ids are made of values; two cells can only share one if slugging merged them (e.g. 'a b' and 'a-b').
  const seen = new Map<string, number>();
  for (const c of cells) {
    const n = (seen.get(c.id) ?? 0) + 1;
    seen.set(c.id, n);
    if (n > 1) c.id = `${c.id}~${n}`;
  }

  // Baseline.
  const baseline = s.baseline ?? (variants.includes('static') ? { variant: 'static' } : { ...cells[0].values });
  if (s.baseline !== undefined) {
    if (typeof s.baseline !== 'object' || s.baseline === null || Array.isArray(s.baseline)) err(['baseline'], 'must be an object: axis name (or "variant") -> value, e.g. { "variant": "static" }');
    else {
      const names = [...(variants.length ? ['variant'] : []), ...axes.map((a) => a.name)];
      for (const [k, v] of Object.entries(s.baseline)) {
        if (!names.includes(k)) { err(['baseline', k], `'${k}' is not an axis of this sweep (axes: ${names.join(', ') || 'none'})`); continue; }
        if (!cells.some((c) => sameValue(c.values[k], v))) err(['baseline', k], `no cell has ${k}=${formatValue(v)} (values: ${[...new Set(cells.map((c) => formatValue(c.values[k])))].join(', ')})`);
      }
    }
  }
  if (errors.some((e) => e.severity === 'error')) return { errors };

  // Seed-major: every cell's seed 1 before any cell's seed 2, so a sweep stopped half-way (or a
  // queue whose workers take runs in this order) holds complete paired seeds to compare.
  const runs: SweepRun[] = seeds.flatMap((seed) => cells.map((c) => ({ cellId: c.id, seed, key: `${c.id}/seed-${seed}` })));
  const sweep: Sweep = {
    name: typeof s.name === 'string' ? s.name.trim() : '',
    experiment: (s.experiment as string).trim(),
    seeds, variants, search,
    axes: axes.map((a) => ({ name: a.name, path: a.path, values: search === 'grid' ? a.values : [...new Set(cells.map((c) => c.values[a.name]))] })),
    baseline: baseline as Record<string, unknown>,
    ...(s.epochs !== undefined ? { epochs: s.epochs as number } : {}),
    cells, runs,
  };
  return { sweep, errors };
}

function checkRange(r: unknown, at: JsonPath, search: 'grid' | 'random', err: (p: JsonPath, m: string) => void): AxisRange | undefined {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) { err(at, 'must be { "min": a, "max": b, "steps": n }'); return undefined; }
  const o = r as Record<string, unknown>;
  let ok = true;
  for (const k of Object.keys(o)) if (!RANGE_KEYS.includes(k)) { err([...at, k], `unknown key '${k}' (known: ${RANGE_KEYS.join(', ')})`); ok = false; }
  const num = (k: string) => typeof o[k] === 'number' && Number.isFinite(o[k]);
  if (!num('min')) { err([...at, 'min'], 'must be a number'); ok = false; }
  if (!num('max')) { err([...at, 'max'], 'must be a number'); ok = false; }
  if (ok && (o.min as number) >= (o.max as number)) { err([...at, 'max'], `must be greater than min (${o.min})`); ok = false; }
  if (o.scale !== undefined && o.scale !== 'linear' && o.scale !== 'log') { err([...at, 'scale'], "must be 'linear' or 'log'"); ok = false; }
  if (o.scale === 'log' && num('min') && (o.min as number) <= 0) { err([...at, 'min'], 'a log range needs min > 0'); ok = false; }
  if (o.integer !== undefined && typeof o.integer !== 'boolean') { err([...at, 'integer'], 'must be true or false'); ok = false; }
  if (search === 'grid') {
    if (o.steps === undefined) { err(at, "a range in a grid search needs 'steps': how many values, ends included"); ok = false; }
    else if (!(typeof o.steps === 'number' && Number.isInteger(o.steps) && o.steps >= 2)) { err([...at, 'steps'], `must be an integer >= 2 (got ${JSON.stringify(o.steps)})`); ok = false; }
  } else if (o.steps !== undefined && !(typeof o.steps === 'number' && Number.isInteger(o.steps) && o.steps >= 2)) { err([...at, 'steps'], 'must be an integer >= 2'); ok = false; }
  if (ok && o.integer === true && search === 'grid' && new Set(gridValues(o as unknown as AxisRange)).size < (o.steps as number)) {
    err([...at, 'steps'], `${o.steps} integer steps between ${o.min} and ${o.max} repeat values; use fewer steps`);
    ok = false;
  }
  return ok ? (o as unknown as AxisRange) : undefined;
}

/** Rounds to 4 significant digits (integers stay exact) so the folder name and the value trained agree. */
function tidy(x: number, integer?: boolean): number {
  return integer ? Math.round(x) : Number(x.toPrecision(4));
}

/** `steps` evenly spaced values from min to max (log-spaced for `scale: 'log'`). */
export function gridValues(r: AxisRange): number[] {
  const n = r.steps ?? 2;
  const log = r.scale === 'log';
  const a = log ? Math.log(r.min) : r.min, b = log ? Math.log(r.max) : r.max;
  return Array.from({ length: n }, (_, i) => {
    const t = i === n - 1 ? b : a + ((b - a) * i) / (n - 1);
    return tidy(log ? Math.exp(t) : t, r.integer);
  });
}

/** The cartesian product of the axes' values, first axis slowest. */
function gridPoints(axes: { values: unknown[] }[]): unknown[][] {
  let out: unknown[][] = [[]];
  for (const a of axes) out = out.flatMap((p) => a.values.map((v) => [...p, v]));
  return out;
}

/**
 * `budget` distinct points drawn at random: a value list picks uniformly, a range uniformly (in
 * log space for `log`). Seeded: the same file always expands to the same cells.
 */
function randomPoints(axes: { values: unknown[]; range?: AxisRange }[], budget: number, seed: number): unknown[][] {
  const rng = new Rng(seed).fork('sweep/random');
  const out: unknown[][] = [];
  const seen = new Set<string>();
  for (let tries = 0; out.length < budget && tries < budget * 50; tries++) {
    const p = axes.map((a) => {
      if (!a.range) return a.values[rng.int(a.values.length)];
      const r = a.range, u = rng.next();
      const x = r.scale === 'log' ? Math.exp(Math.log(r.min) + u * (Math.log(r.max) - Math.log(r.min))) : r.min + u * (r.max - r.min);
      return tidy(x, r.integer);
    });
    const k = JSON.stringify(p);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(p);
  }
  return out;
}

/** Folder-safe id of a cell's values: `static_learningRate-0.01`; `base` with no axes and no variants. */
function cellId(values: Record<string, unknown>): string {
  const parts = Object.entries(values).map(([k, v]) => (k === 'variant' ? String(v) : `${k}-${formatValue(v)}`));
  const id = parts.join('_').replace(/[^\w.-]+/g, '-').replace(/^[-.]+|-+$/g, '').slice(0, 100);
  return id || 'base';
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The cell each cell is compared against: the baseline's values on the baseline's axes, the cell's
 * own values on the others. `{ "variant": "static" }` pairs (fixed, lr=0.01) with (static, lr=0.01).
 * Undefined for a baseline cell itself, or when no such cell exists.
 */
export function baselineOf(sweep: Pick<Sweep, 'cells' | 'baseline'>, cell: SweepCell): SweepCell | undefined {
  const want: Record<string, unknown> = { ...cell.values, ...sweep.baseline };
  const match = sweep.cells.find((c) => Object.keys(want).every((k) => sameValue(c.values[k], want[k])));
  return match && match.id !== cell.id ? match : undefined;
}

/** True when the cell is (one of) the sweep's baseline cells. */
export function isBaseline(sweep: Pick<Sweep, 'baseline'>, cell: SweepCell): boolean {
  return Object.entries(sweep.baseline).every(([k, v]) => sameValue(cell.values[k], v));
}

/** A deep copy of `value` with each override set at its path (missing objects on the way are refused by the checks, not created). */
export function applyOverrides<T>(value: T, overrides: readonly Override[]): T {
  const out = JSON.parse(JSON.stringify(value)) as T;
  for (const o of overrides) {
    // Refused by checkSweepAgainst; never set on a prototype, whoever calls.
    if (o.path.some((k) => typeof k === 'string' && UNSAFE_KEYS.has(k))) throw new Error(`'${formatPath(o.path)}' is not a setting of the experiment`);
    let node: unknown = out;
    for (let i = 0; i < o.path.length - 1; i++) node = (node as Record<string | number, unknown>)[o.path[i]];
    (node as Record<string | number, unknown>)[o.path[o.path.length - 1]] = JSON.parse(JSON.stringify(o.value));
  }
  return out;
}

/**
 * Checks a valid sweep against its base experiment (with defaults): every axis path must land in
 * the experiment (its parent must exist), and every value must leave a valid experiment. Errors
 * point at the axis value in the sweep file: `axes[0].values[1]: training.learningRate: must be > 0`.
 */
export function checkSweepAgainst(sweep: Sweep, experiment: unknown, text?: string): ExperimentIssue[] {
  const out: ExperimentIssue[] = [];
  const root = text !== undefined && !tooDeep(text) ? parseTree(text, [], { allowTrailingComma: true, disallowComments: false }) : undefined;
  const add = (path: JsonPath, message: string) => {
    const issue: ExperimentIssue = { path, pathText: formatPath(path), message, severity: 'error' };
    out.push(root ? locate(root, issue, false) : issue);
  };
  const raw = root ? (getNodeValue(root) as Record<string, unknown>) : undefined;
  sweep.axes.forEach((a, i) => {
    const unsafe = a.path.find((k) => typeof k === 'string' && UNSAFE_KEYS.has(k));
    if (unsafe !== undefined) {
      add(['axes', i, 'path'], `'${unsafe}' is not a setting of the experiment (an axis path names settings such as training.learningRate)`);
      return;
    }
    let node: unknown = experiment;
    for (let d = 0; d < a.path.length - 1; d++) {
      const k = a.path[d];
      const next = typeof node === 'object' && node !== null && Object.prototype.hasOwnProperty.call(node, k) ? (node as Record<string | number, unknown>)[k] : undefined;
      if (next === undefined || next === null || typeof next !== 'object') {
        add(['axes', i, 'path'], `the experiment has nothing at '${formatPath(a.path.slice(0, d + 1))}'${Array.isArray(node) ? ` (it has ${node.length} entr${node.length === 1 ? 'y' : 'ies'})` : ''}`);
        return;
      }
      node = next;
    }
    const last = a.path[a.path.length - 1];
    if (Array.isArray(node) ? typeof last !== 'number' || last > node.length : typeof last !== 'string') {
      add(['axes', i, 'path'], `'${formatPath(a.path)}' does not fit the experiment (${Array.isArray(node) ? 'a list there' : 'an object there'})`);
      return;
    }
    // A key the experiment does not know would be set and ignored: every cell would train the same.
    const unknown = validateExperiment(applyOverrides(experiment, [{ path: a.path, value: a.values[0] }]))
      .find((e) => e.severity === 'warning' && formatPath(e.path) === formatPath(a.path) && e.message.startsWith('unknown property'));
    if (unknown) {
      add(['axes', i, 'path'], `'${formatPath(a.path)}' is not a setting of the experiment: ${unknown.message.replace(/; it is ignored$/, '')}, so every cell would train the same`);
      return;
    }
    // Each value alone on the base experiment: the error then names the value that breaks it.
    const rawAxis = raw && Array.isArray(raw.axes) ? (raw.axes[i] as Record<string, unknown>) : undefined;
    const listed = rawAxis?.values !== undefined;
    a.values.forEach((v, j) => {
      const errs = validateExperiment(applyOverrides(experiment, [{ path: a.path, value: v }])).filter((e) => e.severity === 'error');
      if (errs.length) add(listed ? ['axes', i, 'values', j] : ['axes', i, 'range'], `${formatPath(a.path)}=${formatValue(v)} makes the experiment invalid: ${errs[0].pathText || '(root)'}: ${errs[0].message}`);
    });
  });
  if (out.length) return out;
  // Combinations (values that are fine alone but not together).
  for (const c of sweep.cells) {
    const errs = validateExperiment(applyOverrides(experiment, c.overrides)).filter((e) => e.severity === 'error');
    if (errs.length) { add(['axes'], `cell ${c.label} makes the experiment invalid: ${errs[0].pathText || '(root)'}: ${errs[0].message}`); break; }
  }
  return out;
}
