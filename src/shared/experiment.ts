/**
 * The experiment document (`*.fmtl.json`): parse (JSONC), validate, fill defaults.
 *
 * Pure: no node, DOM or vscode imports, so the host (diagnostics, CodeLens), the graph webview, the
 * trainer and the CLI all see exactly the same errors. Validation never throws; it returns every
 * problem it finds with its JSON path, and — when the document was parsed from text — the offset and
 * length of the offending node (or of its nearest existing parent's key, for a missing property).
 */
import { findNodeAtLocation, getNodeValue, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { CNN_DEFAULTS, isTextEncoder, LOSS_WEIGHTING_TYPES, TASK_KINDS, taskLevel, TEXT_ENCODER_TYPES, TRANSFORMER_DEFAULTS, type CharFeaturesSpec, type ConllDataSpec, type DataSpec, type EncoderSpec, type TextEncoderSpec, type Experiment, type JsonlDataSpec, type LossWeightingType, type TaskKind } from './experimentTypes';
import { betterMode, METRICS_BY_KIND } from './metrics/catalogue';
import { tooDeep, tooDeepMessage } from './jsonDepth';
import { estimateParameters, formatCount, LIMITS, type Limit } from './limits';
import { csvProblems, examplesProblems, sluSplitProblems, type CsvAsk, type CsvCheck, type DataProblem, type DataReader, type ExamplesAsk, type ExamplesCheck, type ExamplesFile, type LabelTask, type SluSplitCheck } from './dataChecks';

/** One problem in an experiment file. */
export interface ExperimentIssue {
  /** JSON path of the offending value, e.g. `['feedback', 0, 'to']`. */
  path: (string | number)[];
  /** The same path as text: `feedback[0].to` (empty for the root). */
  pathText: string;
  message: string;
  severity: 'error' | 'warning';
  /** Range of the offending node in the text (only when parsed from text). */
  offset?: number;
  length?: number;
}

/** Options of {@link validateExperiment}. */
export interface ValidateOptions {
  /**
   * Existence check for data files, given a path relative to the experiment file's folder (always
   * with `/` separators). Without it, data files are not checked.
   */
  fileExists?: (relPath: string) => boolean;
  /**
   * The absolute path a data path stands for (relative to the experiment file's folder, `~` = the
   * home folder), shown beside the path as written when a file is missing.
   */
  resolvePath?: (relPath: string) => string;
  /**
   * Reads the data files that exist (cheaply: see `data/dataFacts.ts`) so their content is
   * checked too: encoding, CSV header, columns, numbers and split sizes, SLU line and token counts.
   */
  readData?: DataReader;
}

/** Result of {@link parseExperiment}. */
export interface ParsedExperiment {
  /** The experiment with defaults filled in; absent when there is any error (warnings are fine). */
  experiment?: Experiment;
  /** Every error and warning, syntax errors first. */
  errors: ExperimentIssue[];
  /** The raw parsed value (even when invalid), for views that draw what they can. */
  value?: unknown;
}

/** Ids of tasks and arrows: a letter or `_`, then letters, digits, `_` or `-`. */
export const ID_PATTERN = /^[A-Za-z_][\w-]*$/;
/** Ids a task may not take: `encoder` is a graph node id, `_overall`/`overall` name the SLU sentence metric. */
export const RESERVED_TASK_IDS: readonly string[] = ['encoder', 'overall', '_overall'];

const ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'gelu', 'linear'] as const;

/** `['feedback', 0, 'to']` -> `feedback[0].to`. */
export function formatPath(path: readonly (string | number)[]): string {
  let s = '';
  for (const p of path) {
    if (typeof p === 'number') s += `[${p}]`;
    else s += s ? `.${p}` : p;
  }
  return s;
}

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.max(0, Math.min(offset, text.length));
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) { line++; lineStart = i + 1; }
  }
  return { line, column: end - lineStart + 1 };
}

/**
 * `file:line:col  json.path  message` (warnings say so). `file` is whatever label the caller wants
 * (usually a path relative to the working folder).
 */
export function formatIssue(issue: ExperimentIssue, file: string, text?: string): string {
  const where = text !== undefined && issue.offset !== undefined
    ? (() => { const lc = lineColumn(text, issue.offset); return `${file}:${lc.line}:${lc.column}`; })()
    : file;
  const sev = issue.severity === 'warning' ? 'warning: ' : '';
  return `${where}  ${issue.pathText || '(root)'}  ${sev}${issue.message}`;
}

/**
 * Parse an experiment document (JSON with comments and trailing commas), validate it and fill
 * defaults. Never throws. `experiment` is set only when there is no error.
 */
export function parseExperiment(text: string, opts: ValidateOptions = {}): ParsedExperiment {
  const doc = parseJsonc(text);
  if ('errors' in doc) return doc;
  const { root, value } = doc;
  const issues = collect(value, opts);
  const errors = issues.map(({ issue, atKey }) => locate(root, issue, atKey));
  const ok = !errors.some((e) => e.severity === 'error');
  return { errors, value, experiment: ok ? withDefaults(value as Experiment) : undefined };
}

/**
 * A JSONC document (comments and trailing commas allowed) as a parse tree and its value, or the
 * located errors that stop it: nesting too deep for the parser, syntax errors, an empty file. Shared
 * by the experiment and the sweep file.
 */
export function parseJsonc(text: string): { root: Node; value: unknown } | { errors: ExperimentIssue[] } {
  const deep = tooDeep(text);
  if (deep) return { errors: [{ path: [], pathText: '', severity: 'error', offset: deep.offset, length: 1, message: tooDeepMessage(deep.max) }] };
  const syntax: ParseError[] = [];
  const root = parseTree(text, syntax, { allowTrailingComma: true, disallowComments: false });
  if (syntax.length || !root) {
    const errors = syntax.map((e): ExperimentIssue => ({
      path: [], pathText: '', severity: 'error', offset: e.offset, length: Math.max(1, e.length),
      message: `JSON syntax error: ${syntaxMessage(e)}`,
    }));
    if (!errors.length) errors.push({ path: [], pathText: '', severity: 'error', offset: 0, length: 0, message: 'the file is empty' });
    return { errors };
  }
  return { root, value: getNodeValue(root) };
}

/** Validate a parsed experiment value. Returns every error and warning; never throws. */
export function validateExperiment(exp: unknown, opts: ValidateOptions = {}): ExperimentIssue[] {
  return collect(exp, opts).map((c) => c.issue);
}

/**
 * A deep copy with every optional field set to its default. Assumes a valid experiment (call after
 * validation); never changes what the user wrote.
 */
export function withDefaults(input: Experiment): Experiment {
  const exp = JSON.parse(JSON.stringify(input)) as Experiment;
  exp.feedback ??= [];
  const d = exp.data;
  if (d.format === 'slu') {
    d.splits ??= { train: 'train', valid: 'valid', test: 'test' };
    d.lowercase ??= true;
    d.minFreq ??= 1;
    d.maxLength ??= 64;
  } else if (d.format === 'csv') {
    d.categorical ??= [];
    d.split ??= { valid: 0.15, test: 0.15 };
    d.split.seed ??= exp.training.seed;
    d.missing ??= ['NA', ''];
  } else {
    if (d.splits === undefined) {
      d.split ??= { valid: 0.15, test: 0.15 };
      d.split.seed ??= exp.training.seed;
    }
    if (d.format === 'jsonl' && d.text === undefined) d.categorical ??= [];
    else { d.lowercase ??= true; d.minFreq ??= 1; d.maxLength ??= 64; }
    if (d.format === 'conll') { d.token ??= 0; d.commentPrefix ??= '#'; }
  }
  const e = exp.encoder;
  if (e.type === 'bigru' || e.type === 'bilstm') { e.layers ??= 1; e.dropout ??= 0; }
  else if (e.type === 'cnn') { e.widths ??= [...CNN_DEFAULTS.widths]; e.layers ??= CNN_DEFAULTS.layers; e.activation ??= CNN_DEFAULTS.activation; e.dropout ??= 0; }
  else if (e.type === 'transformer') {
    e.layers ??= TRANSFORMER_DEFAULTS.layers; e.ffn ??= TRANSFORMER_DEFAULTS.ffnPerWidth * e.width;
    e.positions ??= TRANSFORMER_DEFAULTS.positions; e.dropout ??= 0;
  }
  else if (e.type === 'mlp') { e.activation ??= 'relu'; e.dropout ??= 0; }
  for (const t of exp.tasks) {
    t.lossWeight ??= 1;
    for (const b of t.blocks) {
      if (b.type === 'dense') b.activation ??= 'relu';
      if (b.type === 'transformer') { b.heads ??= TRANSFORMER_DEFAULTS.blockHeads; b.ffn ??= TRANSFORMER_DEFAULTS.ffnPerWidth * b.units; }
      b.dropout ??= 0;
    }
  }
  const byId = new Map(exp.tasks.map((t) => [t.id, t]));
  for (const f of exp.feedback) {
    f.combine ??= 'concat';
    f.enabled ??= true;
    if (f.injection === 'gumbel' && f.candidates === undefined) {
      const n = byId.get(f.to)?.blocks.length ?? 0;
      f.candidates = Array.from({ length: n }, (_, i) => i + 1);
    }
    if (f.amplifier.type === 'mlp') {
      f.amplifier.hidden ??= f.amplifier.units;
      f.amplifier.activation ??= 'relu';
    }
  }
  exp.convergence.startK ??= 1;
  exp.convergence.dropoutMasks ??= 'shared';
  exp.gumbel.anneal ??= 'exp';
  exp.gumbel.hard ??= false;
  const tr = exp.training;
  tr.stopGradient ??= false;
  tr.logEvery ??= 10;
  if (tr.earlyStopping) tr.earlyStopping.mode ??= betterMode(tr.earlyStopping.metric);
  return exp;
}

/** The encoder's character features with defaults applied, or undefined when it has none. */
export function charFeatures(exp: Pick<Experiment, 'encoder'>): Required<CharFeaturesSpec> | undefined {
  const e = exp.encoder;
  if (!isTextEncoder(e) || !e.chars) return undefined;
  const c = e.chars;
  return { embeddingDim: c.embeddingDim ?? 32, filters: c.filters ?? 100, widths: c.widths ?? [3], maxWordLength: c.maxWordLength ?? 20 };
}


// ---------------------------------------------------------------------------------------------
// Validation

type Path = (string | number)[];
type Obj = Record<string, unknown>;
interface Collected { issue: ExperimentIssue; atKey: boolean }

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 30 ? v.slice(0, 30) + '…' : v)})`;
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Collects issues and offers small typed readers that report what is wrong and return undefined. */
class Checker {
  readonly out: Collected[] = [];

  error(path: Path, message: string, atKey = false): void {
    this.out.push({ issue: { path, pathText: formatPath(path), message, severity: 'error' }, atKey });
  }

  warn(path: Path, message: string, atKey = false): void {
    this.out.push({ issue: { path, pathText: formatPath(path), message, severity: 'warning' }, atKey });
  }

  /** The widest layer seen (where a too-large parameter count is reported). */
  widest: { path: Path; value: number } | undefined;

  /**
   * Checks `value` (already known to be a valid number) against a {@link Limit}: above `hard` an
   * error, above `soft` a warning, both naming the limit and why it exists. False above `hard`.
   */
  limit(path: Path, what: string, value: number | undefined, limit: Limit, width = false): boolean {
    if (value === undefined) return true;
    if (width && (!this.widest || value > this.widest.value)) this.widest = { path, value };
    if (value > limit.hard) {
      this.error(path, `${what} ${value} is above the limit of ${limit.hard}: ${limit.why}`);
      return false;
    }
    if (value > limit.soft) this.warn(path, `${what} ${value} is above ${limit.soft} (allowed up to ${limit.hard}, but slow and large): ${limit.why}`);
    return true;
  }

  /** Warn about keys not in `allowed` (typos would otherwise be silently ignored). */
  keys(o: Obj, path: Path, allowed: readonly string[]): void {
    for (const k of Object.keys(o)) {
      if (allowed.includes(k)) continue;
      const near = closest(k, allowed);
      this.warn([...path, k], `unknown property '${k}'${near ? ` (did you mean '${near}'?)` : ''}; it is ignored`, true);
    }
  }

  obj(o: Obj, key: string, path: Path, required: boolean): Obj | undefined {
    const v = o[key];
    if (v === undefined) { if (required) this.error([...path, key], `missing required property '${key}'`); return undefined; }
    if (!isObj(v)) { this.error([...path, key], `'${key}' must be an object, not ${typeName(v)}`); return undefined; }
    return v;
  }

  arr(o: Obj, key: string, path: Path, required: boolean): unknown[] | undefined {
    const v = o[key];
    if (v === undefined) { if (required) this.error([...path, key], `missing required property '${key}'`); return undefined; }
    if (!Array.isArray(v)) { this.error([...path, key], `'${key}' must be an array, not ${typeName(v)}`); return undefined; }
    return v;
  }

  str(o: Obj, key: string, path: Path, required: boolean, nonEmpty = true): string | undefined {
    const v = o[key];
    if (v === undefined) { if (required) this.error([...path, key], `missing required property '${key}'`); return undefined; }
    if (typeof v !== 'string') { this.error([...path, key], `'${key}' must be a string, not ${typeName(v)}`); return undefined; }
    if (nonEmpty && !v.trim()) { this.error([...path, key], `'${key}' must not be empty`); return undefined; }
    return v;
  }

  bool(o: Obj, key: string, path: Path): boolean | undefined {
    const v = o[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') { this.error([...path, key], `'${key}' must be true or false, not ${typeName(v)}`); return undefined; }
    return v;
  }

  oneOf<T extends string>(o: Obj, key: string, path: Path, values: readonly T[], required: boolean): T | undefined {
    const v = o[key];
    if (v === undefined) { if (required) this.error([...path, key], `missing required property '${key}' (one of ${values.map((x) => `'${x}'`).join(', ')})`); return undefined; }
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      const near = typeof v === 'string' ? closest(v, values) : undefined;
      this.error([...path, key], `'${key}' must be one of ${values.map((x) => `'${x}'`).join(', ')}, not ${typeName(v)}${near ? ` (did you mean '${near}'?)` : ''}`);
      return undefined;
    }
    return v as T;
  }

  /**
   * A finite number within bounds. `int` requires an integer; `gt/ge/lt/le` are exclusive/inclusive
   * bounds. The message names the rule, e.g. "must be an integer >= 1".
   */
  num(o: Obj, key: string, path: Path, required: boolean, rule: { int?: boolean; gt?: number; ge?: number; lt?: number; le?: number; why?: string }): number | undefined {
    const v = o[key];
    if (v === undefined) { if (required) this.error([...path, key], `missing required property '${key}'`); return undefined; }
    return this.numValue(v, [...path, key], `'${key}'`, rule);
  }

  numValue(v: unknown, path: Path, label: string, rule: { int?: boolean; gt?: number; ge?: number; lt?: number; le?: number; why?: string }): number | undefined {
    const parts: string[] = [];
    if (rule.gt !== undefined) parts.push(`> ${rule.gt}`);
    if (rule.ge !== undefined) parts.push(`>= ${rule.ge}`);
    if (rule.lt !== undefined) parts.push(`< ${rule.lt}`);
    if (rule.le !== undefined) parts.push(`<= ${rule.le}`);
    const want = `${rule.int ? 'an integer' : 'a number'}${parts.length ? ' ' + parts.join(' and ') : ''}`;
    const why = rule.why ? ` (${rule.why})` : '';
    if (typeof v !== 'number' || !Number.isFinite(v)) { this.error(path, `${label} must be ${want}, not ${typeName(v)}`); return undefined; }
    const bad = (rule.int && !Number.isInteger(v))
      || (rule.gt !== undefined && !(v > rule.gt)) || (rule.ge !== undefined && !(v >= rule.ge))
      || (rule.lt !== undefined && !(v < rule.lt)) || (rule.le !== undefined && !(v <= rule.le));
    if (bad) { this.error(path, `${label} must be ${want}, got ${v}${why}`); return undefined; }
    return v;
  }

  strList(o: Obj, key: string, path: Path, required: boolean): string[] | undefined {
    const a = this.arr(o, key, path, required);
    if (!a) return undefined;
    const out: string[] = [];
    const seen = new Set<string>();
    a.forEach((v, i) => {
      if (typeof v !== 'string') { this.error([...path, key, i], `'${key}' entries must be strings, not ${typeName(v)}`); return; }
      if (seen.has(v)) this.error([...path, key, i], `'${v}' is listed twice in '${key}'`);
      seen.add(v);
      out.push(v);
    });
    return out;
  }
}

/** Levenshtein-closest candidate within distance 2 (or a case-insensitive match), for "did you mean". */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    if (c.toLowerCase() === word.toLowerCase()) return c;
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) { bestD = d; best = c; }
  }
  return best;
}

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

const ROOT_KEYS = ['$schema', 'name', 'description', 'data', 'encoder', 'tasks', 'feedback', 'iterations', 'convergence', 'gumbel', 'training', 'lossWeighting', 'sharing', 'layout'];

/** What validation learned about one task, for the cross checks. */
interface TaskInfo { id: string; index: number; kind?: TaskKind; label?: string; blocks?: { type?: string; units?: number }[]; tokenTower?: boolean; causalTower?: boolean }

function collect(exp: unknown, opts: ValidateOptions): Collected[] {
  const c = new Checker();
  if (!isObj(exp)) { c.error([], `an experiment must be a JSON object, not ${typeName(exp)}`); return c.out; }
  c.keys(exp, [], ROOT_KEYS);
  if (exp.$schema !== undefined) c.str(exp, '$schema', [], false);
  c.str(exp, 'name', [], true);
  if (exp.description !== undefined) c.str(exp, 'description', [], false, false);

  const data = checkData(c, exp);
  const encoderType = checkEncoder(c, exp, data);
  const tasks = checkTasks(c, exp, data, encoderType);
  const known = tasks !== undefined;
  const training = c.obj(exp, 'training', [], true);
  if (training) checkTraining(c, training, tasks ?? new Map(), known, data?.input);
  const enabledArrows = checkFeedback(c, exp, tasks ?? new Map(), known, encoderType, exp.encoder);
  checkIterations(c, exp, enabledArrows);
  checkLossWeighting(c, exp, tasks ?? new Map());
  checkSharing(c, exp, tasks ?? new Map(), known);
  checkLayout(c, exp);
  checkParameters(c, exp);
  if (data && opts.fileExists) {
    const seed = training && Number.isInteger(training.seed) ? (training.seed as number) : undefined;
    checkFiles(c, data, tasks ?? new Map(), seed, opts.fileExists, opts.resolvePath, opts.readData);
  }
  return c.out;
}

/** What validation learned about the data section, for the checks of the encoder and the tasks. */
interface DataInfo {
  format: DataSpec['format'];
  /** Token sequences or feature rows (undefined when the JSONL input is itself in error). */
  input?: 'text' | 'tabular';
  obj: Obj;
  /** CoNLL: the column names, when given. */
  columns?: string[];
  /** CoNLL: the token column's index, when known. */
  tokenColumn?: number;
}

const DATA_FORMATS = ['slu', 'csv', 'jsonl', 'conll'] as const;
const TEXT_OPTIONS = ['lowercase', 'minFreq', 'maxLength', 'limitTrain'];
/** Printable name of a data format in messages. */
const FORMAT_NAMES: Record<DataSpec['format'], string> = { slu: 'SLU', csv: 'CSV', jsonl: 'JSONL', conll: 'CoNLL' };

function checkData(c: Checker, exp: Obj): DataInfo | undefined {
  const d = c.obj(exp, 'data', [], true);
  if (!d) return undefined;
  const P: Path = ['data'];
  const format = c.oneOf(d, 'format', P, DATA_FORMATS, true);
  c.str(d, 'path', P, true);
  if (format === 'slu') {
    c.keys(d, P, ['format', 'path', 'splits', ...TEXT_OPTIONS]);
    const s = c.obj(d, 'splits', P, false);
    if (s) {
      c.keys(s, [...P, 'splits'], ['train', 'valid', 'test']);
      c.str(s, 'train', [...P, 'splits'], true);
      c.str(s, 'valid', [...P, 'splits'], true);
      c.str(s, 'test', [...P, 'splits'], false);
    }
    checkTextOptions(c, d, P);
    return { format, input: 'text', obj: d };
  }
  if (format === 'csv') {
    c.keys(d, P, ['format', 'path', 'features', 'categorical', 'split', 'missing']);
    const features = c.strList(d, 'features', P, true) ?? [];
    const categorical = c.strList(d, 'categorical', P, false) ?? [];
    categorical.forEach((col, i) => {
      if (features.includes(col)) c.error([...P, 'categorical', i], `column '${col}' is both a numeric feature and a categorical one`);
    });
    if (Array.isArray(d.features) && features.length + categorical.length === 0) {
      c.error([...P, 'features'], 'no input columns: list at least one column in features or categorical');
    }
    checkSplitFractions(c, d, P);
    c.strList(d, 'missing', P, false);
    return { format, input: 'tabular', obj: d };
  }
  if (format === 'jsonl') {
    c.keys(d, P, ['format', 'path', 'splits', 'split', 'text', 'features', 'categorical', ...TEXT_OPTIONS]);
    checkSplitSource(c, d, P);
    const text = c.str(d, 'text', P, false);
    const features = c.strList(d, 'features', P, false);
    const categorical = c.strList(d, 'categorical', P, false);
    const tabular = features !== undefined || categorical !== undefined;
    let input: DataInfo['input'];
    if (d.text !== undefined && tabular) {
      c.error([...P, 'text'], "'text' (a text field) and 'features' / 'categorical' (tabular fields) are two kinds of input and a model reads one: keep 'text' for a text model, or the fields for a tabular one");
    } else if (d.text === undefined && !tabular) {
      c.error([...P, 'text'], "JSONL data needs its input: 'text' (the field holding the sentence: a string or an array of tokens) or 'features' (numeric fields, for a tabular model)");
    } else if (tabular) {
      (categorical ?? []).forEach((f, i) => {
        if (features?.includes(f)) c.error([...P, 'categorical', i], `field '${f}' is both a numeric feature and a categorical one`);
      });
      if ((features?.length ?? 0) + (categorical?.length ?? 0) === 0) c.error([...P, features ? 'features' : 'categorical'], 'no input fields: list at least one field in features or categorical');
      for (const k of TEXT_OPTIONS) if (d[k] !== undefined) c.warn([...P, k], `'${k}' is only used with text input ('text'); this data is tabular`);
      input = 'tabular';
    } else if (text !== undefined) input = 'text';
    checkTextOptions(c, d, P);
    return { format, input, obj: d };
  }
  if (format === 'conll') {
    c.keys(d, P, ['format', 'path', 'splits', 'split', 'columns', 'token', 'commentPrefix', ...TEXT_OPTIONS]);
    checkSplitSource(c, d, P);
    const columns = c.strList(d, 'columns', P, false);
    columns?.forEach((n, i) => {
      if (!n.trim() || /\s/.test(n)) c.error([...P, 'columns', i], `column name ${JSON.stringify(n)} must be a word without spaces`);
      else if (/^\d+$/.test(n)) c.error([...P, 'columns', i], `column name '${n}' looks like a column index; name columns by words`);
    });
    if (columns && columns.length === 0) c.error([...P, 'columns'], "'columns' must name at least the token column");
    let tokenColumn: number | undefined = 0;
    if (d.token !== undefined) {
      tokenColumn = typeof d.token === 'string' ? conllColumn(c, d.token, columns, [...P, 'token'], 'token column') : c.numValue(d.token, [...P, 'token'], "'token'", { int: true, ge: 0 });
      if (tokenColumn !== undefined && columns && tokenColumn >= columns.length) {
        c.error([...P, 'token'], `column ${tokenColumn} is out of range: 'columns' names ${columns.length} column${columns.length === 1 ? '' : 's'} (0..${columns.length - 1})`);
      }
    }
    const prefix = c.str(d, 'commentPrefix', P, false);
    if (prefix !== undefined && /\s/.test(prefix)) c.error([...P, 'commentPrefix'], `'commentPrefix' must not contain spaces (got ${JSON.stringify(prefix)}); a label line reads '<prefix> key = value'`);
    checkTextOptions(c, d, P);
    return { format, input: 'text', obj: d, columns, tokenColumn };
  }
  return undefined;
}

/** lowercase, minFreq, maxLength, limitTrain of text formats. */
function checkTextOptions(c: Checker, d: Obj, P: Path): void {
  c.bool(d, 'lowercase', P);
  c.num(d, 'minFreq', P, false, { int: true, ge: 1 });
  c.limit([...P, 'maxLength'], 'maxLength (tokens per sentence)', c.num(d, 'maxLength', P, false, { int: true, ge: 1 }), LIMITS.sequenceLength);
  c.num(d, 'limitTrain', P, false, { int: true, ge: 1 });
}

/** `split`: valid and test fractions (and a seed) of one file's rows. */
function checkSplitFractions(c: Checker, d: Obj, P: Path): void {
  const s = c.obj(d, 'split', P, false);
  if (!s) return;
  const SP = [...P, 'split'];
  c.keys(s, SP, ['valid', 'test', 'seed']);
  const v = c.num(s, 'valid', SP, true, { gt: 0, lt: 1 });
  const t = c.num(s, 'test', SP, true, { ge: 0, lt: 1 });
  c.num(s, 'seed', SP, false, { int: true });
  if (v !== undefined && t !== undefined && v + t >= 1) c.error(SP, `valid + test = ${v + t} leaves no training rows (must be < 1)`);
}

/** JSONL / CoNLL: a file per split in the folder `path` (`splits`), or one file split by fractions (`split`). */
function checkSplitSource(c: Checker, d: Obj, P: Path): void {
  if (d.splits !== undefined && d.split !== undefined) {
    c.error([...P, 'split'], "use either 'splits' (a file per split, in the folder 'path') or 'split' (fractions of the one file 'path'), not both");
  }
  const s = c.obj(d, 'splits', P, false);
  if (s) {
    const SP = [...P, 'splits'];
    c.keys(s, SP, ['train', 'valid', 'test']);
    c.str(s, 'train', SP, true);
    c.str(s, 'valid', SP, true);
    c.str(s, 'test', SP, false);
  }
  checkSplitFractions(c, d, P);
}

/** A CoNLL column written as a string: a 0-based index ("3") or a name from `columns`. */
function conllColumn(c: Checker, ref: string, columns: string[] | undefined, path: Path, what: string): number | undefined {
  if (/^\d+$/.test(ref)) {
    const k = Number(ref);
    if (columns && k >= columns.length) { c.error(path, `${what} ${k} is out of range: 'data.columns' names ${columns.length} column${columns.length === 1 ? '' : 's'} (0..${columns.length - 1})`); return undefined; }
    return k;
  }
  if (!columns) { c.error(path, `${what} '${ref}': name the columns in 'data.columns' to refer to them by name, or give a 0-based column index ("1")`); return undefined; }
  const k = columns.indexOf(ref);
  if (k < 0) {
    const near = closest(ref, columns);
    c.error(path, `${what} '${ref}' is not in 'data.columns' (${columns.join(', ')})${near ? `; did you mean '${near}'?` : ''}`);
    return undefined;
  }
  return k;
}

function checkEncoder(c: Checker, exp: Obj, data: DataInfo | undefined): EncoderSpec['type'] | undefined {
  const e = c.obj(exp, 'encoder', [], true);
  if (!e) return undefined;
  const P: Path = ['encoder'];
  const type = c.oneOf(e, 'type', P, ['bigru', 'bilstm', 'cnn', 'transformer', 'mlp'] as const, true);
  c.num(e, 'dropout', P, false, { ge: 0, lt: 1 });
  if (type === 'bigru' || type === 'bilstm') {
    c.keys(e, P, TEXT_ENCODER_KEYS[type]);
    checkTextInput(c, e, P);
    c.limit([...P, 'hidden'], 'hidden units', c.num(e, 'hidden', P, true, { int: true, ge: 1 }), LIMITS.width, true);
    c.limit([...P, 'layers'], 'BiGRU layers', c.num(e, 'layers', P, false, { int: true, ge: 1 }), LIMITS.depth);
    checkAttention(c, e, P);
  } else if (type === 'cnn') {
    c.keys(e, P, TEXT_ENCODER_KEYS.cnn);
    checkTextInput(c, e, P);
    checkWidths(c, e, P, 'window width (tokens)', 31);
    c.limit([...P, 'filters'], 'filters per width', c.num(e, 'filters', P, true, { int: true, ge: 1 }), LIMITS.width, true);
    c.limit([...P, 'layers'], 'convolution layers', c.num(e, 'layers', P, false, { int: true, ge: 1 }), LIMITS.depth);
    c.oneOf(e, 'activation', P, ACTIVATIONS, false);
  } else if (type === 'transformer') {
    c.keys(e, P, TEXT_ENCODER_KEYS.transformer);
    checkTextInput(c, e, P);
    const width = c.num(e, 'width', P, true, { int: true, ge: 1 });
    c.limit([...P, 'width'], 'model width', width, LIMITS.width, true);
    checkHeads(c, e, P, true, width, "'width'");
    c.limit([...P, 'layers'], 'Transformer layers', c.num(e, 'layers', P, false, { int: true, ge: 1 }), LIMITS.depth);
    c.limit([...P, 'ffn'], 'feed-forward width', c.num(e, 'ffn', P, false, { int: true, ge: 1 }), LIMITS.width, true);
    c.oneOf(e, 'positions', P, ['sinusoidal', 'learned'] as const, false);
  } else if (type === 'mlp') {
    c.keys(e, P, ['type', 'hidden', 'activation', 'dropout']);
    const h = c.arr(e, 'hidden', P, true);
    h?.forEach((v, i) => c.limit([...P, 'hidden', i], 'hidden layer width', c.numValue(v, [...P, 'hidden', i], 'hidden layer width', { int: true, ge: 1 }), LIMITS.width, true));
    if (h) c.limit([...P, 'hidden'], 'encoder layers', h.length, LIMITS.depth);
    c.oneOf(e, 'activation', P, ACTIVATIONS, false);
    if (data?.input === 'text') c.error([...P, 'type'], `an 'mlp' encoder reads feature rows; ${FORMAT_NAMES[data.format]} data${data.format === 'jsonl' ? " with 'text'" : ''} is token sequences — use ${TEXT_ENCODER_TYPES.map((t) => `'${t}'`).join(', ')}`);
  }
  if (type !== undefined && type !== 'mlp' && data?.input === 'tabular') c.error([...P, 'type'], `a '${type}' encoder reads token sequences; ${FORMAT_NAMES[data.format]} data${data.format === 'jsonl' ? " with 'features'" : ''} has rows of features — use 'mlp'`);
  return type;
}

/** The input options every text encoder takes (`TextInputSpec`). */
const TEXT_INPUT_KEYS = ['embeddingDim', 'chars', 'wordDropout'];

/** Every key a text encoder of each type may hold (the shared input options included). */
export const TEXT_ENCODER_KEYS: Record<TextEncoderSpec['type'], readonly string[]> = {
  bigru: [...TEXT_INPUT_KEYS, 'type', 'hidden', 'layers', 'dropout', 'attention'],
  bilstm: [...TEXT_INPUT_KEYS, 'type', 'hidden', 'layers', 'dropout', 'attention'],
  cnn: [...TEXT_INPUT_KEYS, 'type', 'widths', 'filters', 'layers', 'activation', 'dropout'],
  transformer: [...TEXT_INPUT_KEYS, 'type', 'width', 'heads', 'layers', 'ffn', 'dropout', 'positions'],
};

/** `TextInputSpec`: the embedding width, the optional character CNN and word dropout of any text encoder. */
function checkTextInput(c: Checker, e: Obj, P: Path): void {
  c.limit([...P, 'embeddingDim'], 'embedding width', c.num(e, 'embeddingDim', P, true, { int: true, ge: 1 }), LIMITS.width, true);
  c.num(e, 'wordDropout', P, false, { ge: 0, lt: 1, why: 'the probability that a training token is replaced by <unk>' });
  const ch = c.obj(e, 'chars', P, false);
  if (!ch) return;
  const CP: Path = [...P, 'chars'];
  c.keys(ch, CP, ['embeddingDim', 'filters', 'widths', 'maxWordLength']);
  c.limit([...CP, 'embeddingDim'], 'character embedding width', c.num(ch, 'embeddingDim', CP, false, { int: true, ge: 1 }), LIMITS.width, true);
  c.limit([...CP, 'filters'], 'character filters', c.num(ch, 'filters', CP, false, { int: true, ge: 1 }), LIMITS.width, true);
  c.limit([...CP, 'maxWordLength'], 'maxWordLength (characters per word)', c.num(ch, 'maxWordLength', CP, false, { int: true, ge: 1 }), LIMITS.sequenceLength);
  checkWidths(c, ch, CP, 'window width', 9);
}

/** `widths` of a convolution: a non-empty list of distinct integers in 1..max. */
function checkWidths(c: Checker, o: Obj, P: Path, what: string, max: number): void {
  const w = c.arr(o, 'widths', P, false);
  if (w && w.length === 0) c.error([...P, 'widths'], "'widths' must list at least one window width (e.g. [3])");
  const seen = new Set<number>();
  w?.forEach((v, i) => {
    const n = c.numValue(v, [...P, 'widths', i], what, { int: true, ge: 1, le: max });
    if (n !== undefined && seen.has(n)) c.error([...P, 'widths', i], `window width ${n} is listed twice`);
    if (n !== undefined) seen.add(n);
  });
}

/** `heads` of a Transformer (encoder or block): a positive integer that divides the model width. */
function checkHeads(c: Checker, o: Obj, P: Path, required: boolean, width: number | undefined, widthName: string): void {
  const heads = c.num(o, 'heads', P, required, { int: true, ge: 1 });
  if (heads !== undefined && width !== undefined && width % heads !== 0) {
    c.error([...P, 'heads'], `${widthName} (${width}) must be a multiple of 'heads' (${heads}): each head gets ${widthName} / heads units`);
  }
}

/** `encoder.attention`: heads and dim positive integers, dim a multiple of heads, dropout in [0, 1). */
function checkAttention(c: Checker, e: Obj, P: Path): void {
  const a = c.obj(e, 'attention', P, false);
  if (!a) return;
  const AP = [...P, 'attention'];
  c.keys(a, AP, ['heads', 'dim', 'dropout', 'combine']);
  const heads = c.num(a, 'heads', AP, true, { int: true, ge: 1 });
  const dim = c.num(a, 'dim', AP, true, { int: true, ge: 1 });
  c.num(a, 'dropout', AP, false, { ge: 0, lt: 1 });
  c.oneOf(a, 'combine', AP, ['concat', 'add'] as const, false);
  if (heads !== undefined && dim !== undefined && dim % heads !== 0) {
    c.error([...AP, 'dim'], `'dim' (${dim}) must be a multiple of 'heads' (${heads}): each head gets dim / heads units`);
  }
}

/** Returns undefined when `tasks` is not a list at all (then references to tasks are not checked). */
function checkTasks(c: Checker, exp: Obj, data: DataInfo | undefined, encoderType: EncoderSpec['type'] | undefined): Map<string, TaskInfo> | undefined {
  const format = data?.format;
  const tabular = data?.input === 'tabular';
  const out = new Map<string, TaskInfo>();
  const tasks = c.arr(exp, 'tasks', [], true);
  if (!tasks) return undefined;
  if (tasks.length === 0) c.error(['tasks'], 'at least one task is needed');
  const labels = new Map<string, string>();
  tasks.forEach((t, i) => {
    const P: Path = ['tasks', i];
    if (!isObj(t)) { c.error(P, `a task must be an object, not ${typeName(t)}`); return; }
    c.keys(t, P, ['id', 'kind', 'label', 'blocks', 'lossWeight', 'title', 'output', 'tokenLevel', 'vote']);
    const id = checkId(c, t, P, 'task');
    if (id !== undefined && RESERVED_TASK_IDS.includes(id)) { c.error([...P, 'id'], `'${id}' is reserved; choose another task id`); }
    const kind = c.oneOf(t, 'kind', P, TASK_KINDS, true);
    const lm = kind === 'language-model';
    const label = lm ? undefined : c.str(t, 'label', P, true);
    if (lm && t.label !== undefined) c.warn([...P, 'label'], "a 'language-model' task reads no label: its targets are the sentence's own next words (the last word predicts the end of sentence); 'label' is ignored");
    if (lm && tabular) c.error([...P, 'kind'], `a 'language-model' task predicts the next word of a sentence; this ${FORMAT_NAMES[format!]} data has rows of features, not words`);
    if (lm && encoderType !== undefined && encoderType !== 'bigru' && encoderType !== 'bilstm' && !tabular) {
      c.error([...P, 'kind'], `a language model must not see the word it predicts, but a '${encoderType}' encoder's state at token t has read the words after t (${encoderType === 'cnn' ? 'its windows are centred on t' : 'its self-attention reads the whole sentence'}); use a 'bigru' or 'bilstm' encoder, whose first layer's forward direction the language model reads`);
    }
    c.num(t, 'lossWeight', P, false, { ge: 0 });
    if (t.title !== undefined) c.str(t, 'title', P, false, false);
    const output = c.oneOf(t, 'output', P, ['softmax', 'crf'] as const, false);
    if (output === 'crf' && kind !== undefined && kind !== 'tagging') {
      c.error([...P, 'output'], `a CRF output decodes a tag sequence, but '${kind}' is not a tagging task — use 'softmax' or leave 'output' out`);
    }
    const tokenLevel = c.bool(t, 'tokenLevel', P) === true;
    if (tokenLevel && kind !== undefined && kind !== 'classification') {
      c.error([...P, 'tokenLevel'], `'tokenLevel' predicts a sentence label at every token; it applies to classification tasks, not '${kind}'${kind === 'tagging' ? ' (tagging is per token already)' : ''}`);
    }
    else if (tokenLevel && tabular) c.error([...P, 'tokenLevel'], `'tokenLevel' needs token sequences; this ${FORMAT_NAMES[format!]} data has rows of features`);
    const vote = c.oneOf(t, 'vote', P, ['mean', 'majority'] as const, false);
    if (vote !== undefined && !tokenLevel) c.warn([...P, 'vote'], "'vote' is only used with \"tokenLevel\": true");
    const tokenTower = kind === 'tagging' || lm || (kind === 'classification' && tokenLevel);
    const blocks: { type?: string; units?: number }[] = [];
    const b = c.arr(t, 'blocks', P, true);
    if (b) c.limit([...P, 'blocks'], 'blocks', b.length, LIMITS.depth);
    b?.forEach((blk, j) => {
      const BP: Path = [...P, 'blocks', j];
      if (!isObj(blk)) { c.error(BP, `a block must be an object, not ${typeName(blk)}`); blocks.push({}); return; }
      c.keys(blk, BP, ['type', 'units', 'activation', 'dropout', 'heads', 'ffn']);
      const type = c.oneOf(blk, 'type', BP, ['dense', 'bigru', 'bilstm', 'transformer'] as const, true);
      // Blocks that run over the token sequence (not per token).
      const recurrent = type === 'bigru' || type === 'bilstm' || type === 'transformer';
      const units = c.num(blk, 'units', BP, true, { int: true, ge: 1 });
      c.limit([...BP, 'units'], 'block units', units, LIMITS.width, true);
      c.oneOf(blk, 'activation', BP, ACTIVATIONS, false);
      c.num(blk, 'dropout', BP, false, { ge: 0, lt: 1 });
      if (type === 'transformer') {
        checkHeads(c, blk, BP, false, units, "'units'");
        c.limit([...BP, 'ffn'], 'feed-forward width', c.num(blk, 'ffn', BP, false, { int: true, ge: 1 }), LIMITS.width, true);
      } else if (type !== undefined) {
        for (const k of ['heads', 'ffn']) if (blk[k] !== undefined) c.error([...BP, k], `'${k}' belongs to a 'transformer' block; a '${type}' block has none`, true);
      }
      if (recurrent && tabular) {
        c.error([...BP, 'type'], `a '${type}' block needs token sequences; this experiment's data is tabular rows — use 'dense'`);
      }
      else if (recurrent && kind !== undefined && !tokenTower) {
        c.error([...BP, 'type'], `a '${type}' block runs over tokens, but '${kind}' is a sentence-level task (its tower works on the pooled sentence vector) — use 'dense'${kind === 'classification' ? ', or set "tokenLevel": true' : ''}`);
      }
      if (recurrent && lm) c.error([...BP, 'type'], `a '${type}' block reads the whole sentence, so the language model would see the word it predicts; a language model's blocks must be causal: use 'dense' (per token)`);
      if (recurrent && blk.activation !== undefined) c.warn([...BP, 'activation'], `'activation' is ignored for a '${type}' block`);
      blocks.push({ type, units });
    });
    // Data-format compatibility of the task kind and its label source.
    if (kind && tabular && kind === 'tagging') {
      c.error([...P, 'kind'], `a 'tagging' task labels tokens; this ${FORMAT_NAMES[format!]} data has no tokens (use 'classification' or 'regression')`);
    }
    if (kind && label !== undefined && data && format === 'conll') checkConllLabel(c, P, kind, label, data);
    if (kind && format === 'slu' && label !== undefined) {
      if (kind === 'regression') c.error([...P, 'kind'], "SLU data has no real-valued targets: 'regression' needs CSV data");
      if (label === 'seq.in') c.error([...P, 'label'], "'seq.in' holds the input words, not labels");
      else if (kind === 'tagging' && label === 'label') c.error([...P, 'label'], "a 'tagging' task needs one tag per token: use the 'seq.out' file, not 'label' (one intent per sentence)");
      else if (kind === 'classification' && label === 'seq.out') c.error([...P, 'label'], "a 'classification' task needs one label per sentence: use the 'label' file, not 'seq.out' (one tag per token)");
    }
    if ((format === 'csv' || format === 'jsonl') && label !== undefined) {
      const d = exp.data as Obj;
      const what = format === 'csv' ? 'column' : 'field';
      const inFeatures = Array.isArray(d.features) && d.features.includes(label);
      const inCategorical = Array.isArray(d.categorical) && d.categorical.includes(label);
      if (inFeatures || inCategorical) {
        c.error([...P, 'label'], `${what} '${label}' is also an input (data.${inFeatures ? 'features' : 'categorical'}): the model would see its own target — remove it from the inputs`);
      }
      if (format === 'jsonl' && d.text === label) c.error([...P, 'label'], `field '${label}' is the input text (data.text), not a label`);
      const other = labels.get(label);
      if (other !== undefined) c.warn([...P, 'label'], `${what} '${label}' is also the label of task '${other}'`);
      if (id) labels.set(label, id);
    }
    if (id === undefined) return;
    if (out.has(id)) { c.error([...P, 'id'], `duplicate task id '${id}' (also tasks[${out.get(id)!.index}])`); return; }
    out.set(id, { id, index: i, kind, label, blocks: b ? blocks : undefined, tokenTower, causalTower: lm });
  });
  const lwType = isObj(exp.lossWeighting) ? exp.lossWeighting.type : undefined;
  if ((lwType === undefined || lwType === 'fixed') && tasks.length > 0 && tasks.every((t) => isObj(t) && t.lossWeight === 0)) c.error(['tasks'], 'every task has lossWeight 0: nothing would be trained');
  return out;
}

/**
 * A CoNLL task's label: a tagging task names a tag column (index or name, not the token column); a
 * classification task the key of its sentence-label lines; regression has no source in CoNLL.
 */
function checkConllLabel(c: Checker, P: Path, kind: TaskKind, label: string, data: DataInfo): void {
  if (kind === 'regression') { c.error([...P, 'kind'], "CoNLL data has no real-valued targets: 'regression' needs CSV or JSONL data"); return; }
  if (kind === 'classification') {
    if (/[\s=]/.test(label)) c.error([...P, 'label'], `a classification task over CoNLL data names the key of its sentence-label lines ('${String(data.obj.commentPrefix ?? '#')} ${label.trim().split(/[\s=]/)[0] || 'intent'} = ...'): one word, without spaces or '='`);
    return;
  }
  const k = conllColumn(c, label, data.columns, [...P, 'label'], 'tag column');
  if (k !== undefined && k === data.tokenColumn) c.error([...P, 'label'], `column ${k} is the token column (data.token): it holds the input words, not tags`);
}

function checkId(c: Checker, o: Obj, P: Path, what: string): string | undefined {
  const id = c.str(o, 'id', P, true);
  if (id === undefined) return undefined;
  if (!ID_PATTERN.test(id)) {
    c.error([...P, 'id'], `invalid ${what} id '${id}': use a letter or '_' first, then letters, digits, '_' or '-'`);
    return undefined;
  }
  return id;
}

/** Returns the number of enabled arrows (-1 when `feedback` is unusable). */
function checkFeedback(c: Checker, exp: Obj, tasks: Map<string, TaskInfo>, known: boolean, encoderType: string | undefined, encoder: unknown): number {
  const fb = c.arr(exp, 'feedback', [], true);
  if (!fb) return -1;
  const ids = new Map<string, number>();
  const pairs = new Map<string, number>();
  let enabled = 0;
  fb.forEach((f, i) => {
    const P: Path = ['feedback', i];
    if (!isObj(f)) { c.error(P, `a feedback arrow must be an object, not ${typeName(f)}`); return; }
    c.keys(f, P, ['id', 'from', 'to', 'amplifier', 'injection', 'candidates', 'combine', 'enabled']);
    const id = checkId(c, f, P, 'arrow');
    if (id !== undefined) {
      if (ids.has(id)) c.error([...P, 'id'], `duplicate arrow id '${id}' (also feedback[${ids.get(id)}])`);
      else ids.set(id, i);
    }
    const isEnabled = c.bool(f, 'enabled', P) ?? true;
    if (isEnabled) enabled++;
    const from = taskRef(c, f, 'from', P, tasks, known);
    const to = taskRef(c, f, 'to', P, tasks, known);
    if (from && to && from.id === to.id) c.error([...P, 'to'], `self-loop: '${from.id}' feeds back into itself; an arrow must join two different tasks`);
    if (from && to) {
      const key = `${from.id}\u0000${to.id}`;
      if (pairs.has(key)) c.error(P, `duplicate arrow ${from.id} -> ${to.id} (also feedback[${pairs.get(key)}]); merge them or remove one`);
      else pairs.set(key, i);
    }
    const combine = c.oneOf(f, 'combine', P, ['concat', 'add'] as const, false) ?? 'concat';
    if (from && to && isEnabled && to.kind === 'language-model' && from.kind !== undefined && from.kind !== 'language-model') c.warn(P, leakMessage(from.id, to.id));

    // Amplifier.
    const amp = c.obj(f, 'amplifier', P, true);
    let ampUnits: number | undefined;
    if (amp) {
      const AP = [...P, 'amplifier'];
      c.keys(amp, AP, ['type', 'units', 'hidden', 'activation']);
      const type = c.oneOf(amp, 'type', AP, ['linear', 'mlp', 'label-embedding'] as const, true);
      ampUnits = c.num(amp, 'units', AP, true, { int: true, ge: 1 });
      c.limit([...AP, 'units'], 'amplifier units', ampUnits, LIMITS.width, true);
      c.limit([...AP, 'hidden'], 'amplifier hidden units', c.num(amp, 'hidden', AP, false, { int: true, ge: 1 }), LIMITS.width, true);
      c.oneOf(amp, 'activation', AP, ACTIVATIONS, false);
      if (amp.hidden !== undefined && type !== 'mlp') c.warn([...AP, 'hidden'], `'hidden' is only used by the 'mlp' amplifier`);
      if (type === 'label-embedding' && from?.kind === 'regression') {
        c.error([...AP, 'type'], `'label-embedding' weights label vectors by the source's class probabilities, but '${from.id}' is a regression task (no label distribution) — use 'linear' or 'mlp'`);
      }
    }

    // Injection: a fixed block, or a Gumbel gate over candidate blocks.
    const inj = f.injection;
    const nBlocks = to?.blocks?.length;
    let targets: number[] = [];
    if (inj === undefined) c.error([...P, 'injection'], "missing required property 'injection' (a block number of the target task, or 'gumbel')");
    else if (inj === 'gumbel') {
      if (f.candidates !== undefined) {
        const cand = c.arr(f, 'candidates', P, false);
        const seen = new Set<number>();
        cand?.forEach((v, j) => {
          const n = c.numValue(v, [...P, 'candidates', j], 'a candidate block', { int: true, ge: 1 });
          if (n === undefined) return;
          if (nBlocks !== undefined && n > nBlocks) c.error([...P, 'candidates', j], blockRangeMessage(n, to!));
          else if (seen.has(n)) c.error([...P, 'candidates', j], `block ${n} is listed twice`);
          else { seen.add(n); targets.push(n); }
        });
        if (cand && cand.length === 0) c.error([...P, 'candidates'], 'no candidate blocks: list at least one (or leave out candidates to use every block)');
        else if (cand && seen.size === 1 && isEnabled) c.warn([...P, 'candidates'], 'a Gumbel gate over one block has nothing to choose; use a fixed block number instead');
      } else if (nBlocks !== undefined) {
        targets = Array.from({ length: nBlocks }, (_, k) => k + 1);
        if (nBlocks === 0) c.error([...P, 'to'], `task '${to!.id}' has no blocks to receive feedback`);
        else if (nBlocks === 1 && isEnabled) c.warn([...P, 'injection'], `task '${to!.id}' has one block: a Gumbel gate over one block has nothing to choose; use injection 1`);
      }
    } else if (typeof inj === 'number') {
      const n = c.numValue(inj, [...P, 'injection'], "'injection'", { int: true, ge: 1 });
      if (n !== undefined && nBlocks !== undefined) {
        if (n > nBlocks) c.error([...P, 'injection'], blockRangeMessage(n, to!));
        else targets = [n];
      }
      if (f.candidates !== undefined) c.warn([...P, 'candidates'], "'candidates' is only used with injection 'gumbel'");
    } else {
      c.error([...P, 'injection'], `'injection' must be a block number (1-based) or 'gumbel', not ${typeName(inj)}`);
    }

    // 'add' needs the amplified signal to be as wide as the block input.
    if (combine === 'add' && ampUnits !== undefined && to?.blocks) {
      for (const l of targets) {
        const width = blockInputWidth(to, l, encoderType, encoder);
        if (width !== undefined && width !== ampUnits) {
          c.error([...P, 'amplifier', 'units'], `combine 'add' needs amplifier.units = the input width of ${to.id} block ${l} (${width}), got ${ampUnits}; use 'concat' or set units to ${width}`);
          break;
        }
      }
    }
  });
  return enabled;
}

/**
 * Why an arrow from a task that reads the whole sentence into a language model is allowed but
 * flagged: its signal at token t carries the words after t, so the model's next-word prediction is
 * no longer causal and its perplexity not a language model's. Validation warns with it and the
 * run log repeats it.
 */
export function leakMessage(from: string, to: string): string {
  return `'${from}' reads the whole sentence, so this arrow shows language model '${to}' the words it predicts: '${to}' perplexity is then not a true language-model perplexity (an arrow from '${to}' into '${from}' is fine)`;
}

/** Why cross-stitch units with a language model are flagged: they mix the other towers' states (which read the whole sentence) into its own. */
export function crossStitchLeakMessage(lm: string): string {
  return `cross-stitch units mix the towers of the tasks that read the whole sentence into language model '${lm}': '${lm}' sees the words it predicts and its perplexity is then not a true language-model perplexity`;
}

/** The enabled arrows of an experiment that feed a task reading the whole sentence into a language model (see {@link leakMessage}). */
export function leakingArrows(exp: Pick<Experiment, 'tasks' | 'feedback'>): { id: string; from: string; to: string }[] {
  const kind = new Map(exp.tasks.map((t) => [t.id, t.kind]));
  return exp.feedback.filter((f) => f.enabled !== false && kind.get(f.to) === 'language-model' && kind.get(f.from) !== 'language-model')
    .map((f) => ({ id: f.id, from: f.from, to: f.to }));
}

function blockRangeMessage(n: number, to: TaskInfo): string {
  const m = to.blocks?.length ?? 0;
  return m === 0
    ? `task '${to.id}' has no blocks to receive feedback`
    : `block ${n} is out of range: task '${to.id}' has ${m} block${m === 1 ? '' : 's'} (1..${m})`;
}

/** Input width of block `l` (1-based), when it is known without building the model. */
function blockInputWidth(to: TaskInfo, l: number, encoderType: string | undefined, encoder: unknown): number | undefined {
  if (l > 1) {
    const prev = to.blocks?.[l - 2];
    if (!prev?.units) return undefined;
    return prev.type === 'bigru' || prev.type === 'bilstm' ? 2 * prev.units : prev.units;
  }
  if (to.causalTower) return isObj(encoder) && typeof encoder.hidden === 'number' ? encoder.hidden : undefined;
  const tokenWidth = isObj(encoder) ? encoderTokenWidth(encoder) : undefined;
  if (tokenWidth !== undefined) return to.tokenTower ? tokenWidth : to.kind ? 2 * tokenWidth : undefined;
  if (encoderType === 'mlp' && isObj(encoder) && Array.isArray(encoder.hidden) && encoder.hidden.length > 0) {
    const last = encoder.hidden[encoder.hidden.length - 1];
    return typeof last === 'number' ? last : undefined;
  }
  return undefined;
}

/**
 * Width of a text encoder's token states, when the file fixes it: 2 x hidden (+ the attention dim
 * when concatenated) for a BiGRU/BiLSTM, filters x widths for a CNN, width for a Transformer.
 * Sentence towers read [mean | max] of them, twice as wide.
 */
function encoderTokenWidth(e: Obj): number | undefined {
  const n = (v: unknown) => (typeof v === 'number' ? v : undefined);
  if (e.type === 'bigru' || e.type === 'bilstm') {
    const att = isObj(e.attention) ? e.attention : undefined;
    const attDim = att && att.combine !== 'add' ? n(att.dim) : 0;
    const h = n(e.hidden);
    return h === undefined || attDim === undefined ? undefined : 2 * h + attDim;
  }
  if (e.type === 'cnn') {
    const f = n(e.filters);
    const widths = e.widths === undefined ? CNN_DEFAULTS.widths : e.widths;
    return f === undefined || !Array.isArray(widths) ? undefined : f * widths.length;
  }
  if (e.type === 'transformer') return n(e.width);
  return undefined;
}

function taskRef(c: Checker, f: Obj, key: 'from' | 'to', P: Path, tasks: Map<string, TaskInfo>, known: boolean): TaskInfo | undefined {
  const id = c.str(f, key, P, true);
  if (id === undefined) return undefined;
  const t = tasks.get(id);
  if (!t && known) {
    const near = closest(id, [...tasks.keys()]);
    c.error([...P, key], `unknown task '${id}'${near ? ` (did you mean '${near}'?)` : tasks.size ? ` (tasks: ${[...tasks.keys()].join(', ')})` : ''}`);
  }
  return t;
}

function checkIterations(c: Checker, exp: Obj, enabledArrows: number): void {
  const K = c.num(exp, 'iterations', [], true, { int: true, ge: 0 });
  c.limit(['iterations'], 'iterations K =', K, LIMITS.iterations);
  if (K !== undefined && K < 1 && enabledArrows > 0) {
    c.error(['iterations'], `iterations K must be an integer >= 1 when feedback arrows are enabled (got ${K}; K = 0 means static MTL — disable or remove the arrows)`);
  }
  if (K !== undefined && K >= 1 && enabledArrows === 0) {
    c.warn(['iterations'], `no enabled feedback arrows: the ${K} feedback iteration${K === 1 ? '' : 's'} would repeat the same pass; set iterations to 0`);
  }
  const conv = c.obj(exp, 'convergence', [], true);
  if (conv) {
    const P: Path = ['convergence'];
    c.keys(conv, P, ['beta', 'lambda', 'startK', 'dropoutMasks']);
    c.num(conv, 'beta', P, true, { gt: 0, lt: 1 });
    const lambda = c.num(conv, 'lambda', P, true, { ge: 0 });
    const startK = conv.startK === undefined ? 1 : conv.startK;
    if (startK !== 0 && startK !== 1) c.error([...P, 'startK'], `'startK' must be 0 or 1, not ${typeName(startK)}`);
    c.oneOf(conv, 'dropoutMasks', P, ['shared', 'fresh'] as const, false);
    if (K !== undefined && enabledArrows > 0 && lambda !== undefined && lambda > 0 && (startK === 1 || startK === 0)) {
      const terms = K - startK;
      if (terms <= 0) c.warn([...P, 'lambda'], `with K = ${K} and startK = ${startK} the convergence sum has no terms, so lambda has no effect (use startK 0 or K >= 2)`);
    }
  }
  const g = c.obj(exp, 'gumbel', [], true);
  if (g) {
    const P: Path = ['gumbel'];
    c.keys(g, P, ['tau0', 'tauMin', 'anneal', 'annealEpochs', 'hard']);
    c.num(g, 'annealEpochs', P, false, { gt: 0 });
    const tau0 = c.num(g, 'tau0', P, true, { gt: 0 });
    const tauMin = c.num(g, 'tauMin', P, true, { gt: 0 });
    if (tau0 !== undefined && tauMin !== undefined && tauMin > tau0) c.error([...P, 'tauMin'], `tauMin (${tauMin}) must not exceed tau0 (${tau0}): the temperature anneals down from tau0 to tauMin`);
    c.oneOf(g, 'anneal', P, ['exp', 'linear', 'none'] as const, false);
    c.bool(g, 'hard', P);
  }
}

function checkTraining(c: Checker, tr: Obj, tasks: Map<string, TaskInfo>, known: boolean, input: 'text' | 'tabular' | undefined): void {
  const P: Path = ['training'];
  c.keys(tr, P, ['epochs', 'batchSize', 'optimizer', 'learningRate', 'seed', 'stopGradient', 'clipNorm', 'earlyStopping', 'logEvery', 'lrSchedule', 'weightAveraging']);
  c.num(tr, 'epochs', P, true, { int: true, ge: 1 });
  c.limit([...P, 'batchSize'], 'batch size', c.num(tr, 'batchSize', P, true, { int: true, ge: 1 }), LIMITS.batchSize);
  c.oneOf(tr, 'optimizer', P, ['adam', 'sgd', 'rmsprop'] as const, true);
  const lr = c.num(tr, 'learningRate', P, true, { gt: 0 });
  if (lr !== undefined && lr >= 1) c.warn([...P, 'learningRate'], `learning rate ${lr} is unusually large; training will likely diverge`);
  c.num(tr, 'seed', P, true, { int: true, ge: 0, le: 4294967295 });
  c.bool(tr, 'stopGradient', P);
  c.num(tr, 'clipNorm', P, false, { gt: 0 });
  c.num(tr, 'logEvery', P, false, { int: true, ge: 1 });
  const ls = c.obj(tr, 'lrSchedule', P, false);
  if (ls) {
    const LP = [...P, 'lrSchedule'];
    c.keys(ls, LP, ['warmupSteps', 'decay', 'decayEpochs', 'minFactor', 'factor', 'patience']);
    c.num(ls, 'warmupSteps', LP, false, { int: true, ge: 0 });
    const decay = c.oneOf(ls, 'decay', LP, ['none', 'linear', 'cosine', 'plateau'] as const, false);
    c.num(ls, 'decayEpochs', LP, false, { gt: 0 });
    c.num(ls, 'minFactor', LP, false, { ge: 0, le: 1 });
    c.num(ls, 'factor', LP, false, { gt: 0, lt: 1, why: 'each reduction multiplies the learning rate by it' });
    c.num(ls, 'patience', LP, false, { int: true, ge: 1 });
    for (const k of ['factor', 'patience']) {
      if (ls[k] !== undefined && decay !== 'plateau') c.warn([...LP, k], `'${k}' is only used by decay 'plateau'`);
    }
    if (ls.decayEpochs !== undefined && decay !== 'linear' && decay !== 'cosine') c.warn([...LP, 'decayEpochs'], "'decayEpochs' is only used by decay 'linear' or 'cosine'");
  }
  const wa = c.obj(tr, 'weightAveraging', P, false);
  if (wa) {
    const WP = [...P, 'weightAveraging'];
    c.keys(wa, WP, ['decay']);
    c.num(wa, 'decay', WP, true, { gt: 0, lt: 1, why: 'the average keeps this fraction of itself at each step' });
  }
  const es = c.obj(tr, 'earlyStopping', P, false);
  if (es) {
    const EP = [...P, 'earlyStopping'];
    c.keys(es, EP, ['metric', 'mode', 'patience']);
    c.num(es, 'patience', EP, true, { int: true, ge: 1 });
    const mode = c.oneOf(es, 'mode', EP, ['max', 'min'] as const, false);
    const metric = c.str(es, 'metric', EP, true);
    if (metric !== undefined && known && checkMonitor(c, metric, [...EP, 'metric'], tasks, input) && mode && mode !== betterMode(metric)) {
      c.warn([...EP, 'mode'], `mode '${mode}' for '${metric}': ${betterMode(metric) === 'max' ? 'higher' : 'lower'} is better for this metric`);
    }
  }
}

/** Checks an early-stopping metric name; true if it is valid. */
function checkMonitor(c: Checker, metric: string, path: Path, tasks: Map<string, TaskInfo>, input: 'text' | 'tabular' | undefined): boolean {
  if (metric === 'overall') {
    const kinds = [...tasks.values()].map((t) => t.kind);
    if (kinds.includes(undefined) || input === undefined) return false; // already reported at the task / the data
    const cls = kinds.filter((k) => k === 'classification').length;
    const tag = kinds.filter((k) => k === 'tagging').length;
    if (input !== 'text' || cls !== 1 || tag !== 1) {
      c.error(path, "'overall' (sentence accuracy: intent right and every tag right) needs text data with exactly one classification and one tagging task; use '<taskId>.<metric>'");
      return false;
    }
    return true;
  }
  const dot = metric.lastIndexOf('.');
  if (dot <= 0) {
    c.error(path, `early-stopping metric '${metric}' must be '<taskId>.<metric>' (e.g. '${exampleMetric(tasks)}') or 'overall'`);
    return false;
  }
  const id = metric.slice(0, dot);
  const name = metric.slice(dot + 1);
  const t = tasks.get(id);
  if (!t) {
    const near = closest(id, [...tasks.keys()]);
    c.error(path, `early-stopping metric '${metric}': unknown task '${id}'${near ? ` (did you mean '${near}'?)` : ''}`);
    return false;
  }
  if (!t.kind) return false;
  const valid = METRICS_BY_KIND[t.kind];
  if (!valid.includes(name)) {
    c.error(path, `'${name}' is not a metric of ${t.kind} task '${id}' (use one of ${valid.map((m) => `'${id}.${m}'`).join(', ')})`);
    return false;
  }
  return true;
}

function exampleMetric(tasks: Map<string, TaskInfo>): string {
  const t = [...tasks.values()].find((x) => x.kind);
  return t ? `${t.id}.${METRICS_BY_KIND[t.kind!][0]}` : 'taskId.accuracy';
}

/**
 * The parameter count, estimated from the file alone (the data's input and output widths are not
 * known here, so it is a lower bound), reported at the widest layer. Skipped when a width is
 * already refused: the width message says more.
 */
function checkParameters(c: Checker, exp: Obj): void {
  if (c.out.some((x) => x.issue.severity === 'error' && x.issue.message.includes('is above the limit'))) return;
  const { count } = estimateParameters(exp as unknown as Experiment);
  const L = LIMITS.parameters;
  if (count <= L.soft) return;
  const path = c.widest?.path ?? ['encoder'];
  const what = `the model would have at least ${formatCount(count)} trainable parameters (estimated before building; the data adds its input and output layers)`;
  if (count > L.hard) c.error(path, `${what}, above the limit of ${formatCount(L.hard)}: ${L.why}; make this layer narrower`);
  else c.warn(path, `${what}, above ${formatCount(L.soft)} (allowed up to ${formatCount(L.hard)}): ${L.why}`);
}

/** Options each loss weighting accepts (besides `type`). */
export const LOSS_WEIGHTING_KEYS: Record<LossWeightingType, readonly string[]> = {
  fixed: [], uncertainty: [], dwa: ['temperature'], dtp: ['gamma', 'alpha'], gradnorm: ['alpha', 'learningRate'],
};

function checkLossWeighting(c: Checker, exp: Obj, tasks: Map<string, TaskInfo>): void {
  const lw = c.obj(exp, 'lossWeighting', [], true);
  if (!lw) return;
  const P: Path = ['lossWeighting'];
  const type = c.oneOf(lw, 'type', P, LOSS_WEIGHTING_TYPES, true);
  if (!type) return;
  const allowed = LOSS_WEIGHTING_KEYS[type];
  for (const k of Object.keys(lw)) {
    if (k === 'type' || allowed.includes(k)) continue;
    const owners = LOSS_WEIGHTING_TYPES.filter((t) => LOSS_WEIGHTING_KEYS[t].includes(k));
    if (owners.length) c.error([...P, k], `'${k}' is an option of lossWeighting ${owners.map((o) => `'${o}'`).join(' and ')}, not of '${type}'${allowed.length ? ` (its options: ${allowed.join(', ')})` : ' (it has no options)'}`, true);
    else c.keys({ [k]: lw[k] }, P, ['type', ...allowed]);
  }
  if (type === 'dwa') c.num(lw, 'temperature', P, false, { gt: 0, why: 'the softmax temperature T in w = K softmax(r / T)' });
  if (type === 'dtp') {
    c.num(lw, 'gamma', P, false, { ge: 0, why: 'the focusing exponent in -(1 - kappa)^gamma log kappa' });
    c.num(lw, 'alpha', P, false, { gt: 0, le: 1, why: "the moving average's weight of the newest batch's accuracy" });
    for (const t of tasks.values()) {
      if (t.kind === 'regression') c.error([...P, 'type'], `'dtp' weighs each task by its accuracy (a KPI in [0, 1]); regression task '${t.id}' has none — use 'uncertainty', 'dwa' or 'gradnorm'`);
    }
  }
  if (type === 'gradnorm') {
    c.num(lw, 'alpha', P, false, { ge: 0, why: 'the asymmetry: how strongly slower tasks are pulled up' });
    c.num(lw, 'learningRate', P, false, { gt: 0, why: 'the Adam step size of the task weights' });
  }
  if (type !== 'fixed') {
    const raw = Array.isArray(exp.tasks) ? exp.tasks : [];
    raw.forEach((t, i) => {
      if (isObj(t) && t.lossWeight !== undefined && t.lossWeight !== 1) {
        c.warn(['tasks', i, 'lossWeight'], `'lossWeight' is used by lossWeighting 'fixed' only; '${type}' sets the task weights itself, so this value is ignored`);
      }
    });
  }
}

/**
 * `sharing`: hard or soft encoder sharing and its tie weight; cross-stitch depths, where every task
 * needs that block and all of them the same level (sentence/token) and output width.
 */
function checkSharing(c: Checker, exp: Obj, tasks: Map<string, TaskInfo>, known: boolean): void {
  const sh = c.obj(exp, 'sharing', [], false);
  if (!sh) return;
  const P: Path = ['sharing'];
  c.keys(sh, P, ['type', 'l2', 'crossStitch']);
  const type = c.oneOf(sh, 'type', P, ['hard', 'soft'] as const, false) ?? 'hard';
  const l2 = c.num(sh, 'l2', P, false, { ge: 0, why: 'the weight of l2 * sum over task pairs of ||theta_i - theta_j||^2' });
  if (l2 !== undefined && type !== 'soft') c.warn([...P, 'l2'], `'l2' ties the encoder copies of soft sharing; with type '${type}' there is one encoder and it is ignored`);
  if (type === 'soft' && known && tasks.size === 1) c.warn([...P, 'type'], 'soft sharing gives every task its own encoder copy; with one task there is nothing to tie (this is hard sharing)');
  const cs = c.obj(sh, 'crossStitch', P, false);
  if (!cs) return;
  const CP: Path = [...P, 'crossStitch'];
  c.keys(cs, CP, ['after', 'self']);
  c.num(cs, 'self', CP, false, { gt: 0, le: 1, why: "each task's initial weight on its own output; the others share 1 - self" });
  const after = c.arr(cs, 'after', CP, true);
  if (!after) return;
  if (after.length === 0) c.error([...CP, 'after'], 'no block depths: list at least one (e.g. [1]) or remove crossStitch');
  if (known && tasks.size < 2) { c.error([...CP], `a cross-stitch unit mixes the towers of several tasks; this experiment has ${tasks.size} task${tasks.size === 1 ? '' : 's'}`); return; }
  const lm = [...tasks.values()].find((t) => t.kind === 'language-model');
  if (lm && after.length > 0) c.warn(CP, crossStitchLeakMessage(lm.id));
  const seen = new Set<number>();
  const list = [...tasks.values()];
  after.forEach((v, i) => {
    const AP: Path = [...CP, 'after', i];
    const l = c.numValue(v, AP, 'a cross-stitch depth', { int: true, ge: 1 });
    if (l === undefined) return;
    if (seen.has(l)) { c.error(AP, `depth ${l} is listed twice`); return; }
    seen.add(l);
    const short = list.find((t) => t.blocks !== undefined && t.blocks.length < l);
    if (short) {
      const m = short.blocks!.length;
      c.error(AP, `cross-stitch after block ${l} needs block ${l} in every task, but task '${short.id}' (tasks[${short.index}]) has ${m} block${m === 1 ? '' : 's'}`);
      return;
    }
    const shape = (t: TaskInfo) => {
      const b = t.blocks?.[l - 1];
      if (!b?.units || t.kind === undefined) return undefined;
      return { t, level: t.tokenTower ? 'token' : 'sentence', width: b.type === 'bigru' || b.type === 'bilstm' ? 2 * b.units : b.units };
    };
    const shapes = list.map(shape).filter((x) => x !== undefined);
    const [a] = shapes;
    const odd = shapes.find((x) => x.level !== a.level || x.width !== a.width);
    if (a && odd) {
      const name = (x: typeof a) => `${x.t.id} block ${l} (tasks[${x.t.index}].blocks[${l - 1}]: ${x.level} level, width ${x.width})`;
      const sentence = [a, odd].find((x) => x.level === 'sentence' && x.t.kind === 'classification');
      const hint = a.level !== odd.level
        ? (sentence ? `; set "tokenLevel": true on '${sentence.t.id}' so its tower runs per token` : '')
        : '; give both blocks the same output width';
      c.error(AP, `cannot cross-stitch ${name(a)} with ${name(odd)}: a unit mixes outputs of the same level and width${hint}`);
    }
  });
}

function checkLayout(c: Checker, exp: Obj): void {
  const l = c.obj(exp, 'layout', [], false);
  if (!l) return;
  c.keys(l, ['layout'], ['nodes']);
  const nodes = c.obj(l, 'nodes', ['layout'], false);
  if (!nodes) return;
  for (const [k, v] of Object.entries(nodes)) {
    const P: Path = ['layout', 'nodes', k];
    if (!isObj(v)) { c.error(P, `a layout position must be an object {x, y}, not ${typeName(v)}`); continue; }
    c.num(v, 'x', P, true, {});
    c.num(v, 'y', P, true, {});
  }
}

/**
 * Data files: each SLU split needs `seq.in` plus every task's label file; CSV needs its file; JSONL
 * and CoNLL their file or each split's. With a reader, the files that exist are read (within a
 * bound) and checked against the experiment (`dataChecks.ts`: encoding, CSV header, columns, numbers,
 * split sizes; SLU line and token counts; each JSONL / CoNLL file's first problem, as the trainer's
 * parser finds it; the labels of the training examples, drawn with the split's seed, else
 * `trainingSeed`), unless `data` or `tasks` already has errors (the checks would only repeat them).
 */
function checkFiles(c: Checker, data: DataInfo, tasks: Map<string, TaskInfo>, trainingSeed: number | undefined, exists: (rel: string) => boolean, resolve?: (rel: string) => string, reader?: DataReader): void {
  const base = typeof data.obj.path === 'string' ? data.obj.path.replace(/[\\/]+$/, '') : undefined;
  if (base === undefined) return;
  const read = reader && !c.out.some((o) => o.issue.severity === 'error' && (o.issue.path[0] === 'data' || o.issue.path[0] === 'tasks')) ? reader : undefined;
  const report = (problems: readonly DataProblem[]) => { for (const p of problems) c.error(p.path, p.message); };
  if (data.format === 'csv') {
    if (!exists(base)) c.error(['data', 'path'], `CSV file not found: ${writtenAndResolved(base, resolve)}`);
    else if (read) {
      const check = csvCheckOf(data.obj, tasks, trainingSeed);
      const ask: CsvAsk = { labels: check.tasks.map((t) => ({ column: t.label, kind: t.kind as 'classification' | 'regression' })), missing: check.missing };
      const facts = read.csv(base, ask);
      if (facts) report(csvProblems(facts, check));
    }
    return;
  }
  if (data.format === 'jsonl' || data.format === 'conll') {
    const what = `${FORMAT_NAMES[data.format]} file`;
    const splitsObj = isObj(data.obj.splits) ? data.obj.splits : undefined;
    const ask: ExamplesAsk = { data: data.obj as unknown as JsonlDataSpec | ConllDataSpec, tasks: labelTasks(tasks) };
    const files: ExamplesFile[] = [];
    if (!splitsObj) {
      if (!exists(base)) c.error(['data', 'path'], `${what} not found: '${base}' (relative to the experiment file)`);
      else {
        const facts = read?.examples(base, ask);
        if (facts) files.push({ role: 'all', path: ['data', 'path'], facts });
      }
    }
    for (const role of splitsObj ? (['train', 'valid', 'test'] as const) : []) {
      const f = splitsObj![role];
      if (typeof f !== 'string' || !f.trim()) continue;
      const rel = `${base}/${f}`;
      if (!exists(rel)) { c.error(['data', 'splits', role], `${what} not found: '${rel}' (the ${role} split: 'splits' names files in the folder 'path', relative to the experiment file)`); continue; }
      const facts = read?.examples(rel, ask);
      if (facts) files.push({ role, path: ['data', 'splits', role], facts });
    }
    if (read) report(examplesProblems(files, examplesCheckOf(data.obj, tasks, trainingSeed)));
    return;
  }
  const splitsObj = isObj(data.obj.splits) ? data.obj.splits : undefined;
  const splits: [string, string, boolean][] = splitsObj
    ? (['train', 'valid', 'test'] as const).filter((k) => typeof splitsObj[k] === 'string').map((k) => [k, splitsObj[k] as string, true])
    : [['train', 'train', false], ['valid', 'valid', false], ['test', 'test', false]];
  const files = new Set<string>(['seq.in']);
  for (const t of tasks.values()) if (t.label && t.label !== 'seq.in') files.add(t.label);
  for (const [role, dir, explicit] of splits) {
    const path: Path = explicit ? ['data', 'splits', role] : ['data', 'path'];
    let splitThere = true; // seq.in comes first in `files`
    const present: string[] = [];
    for (const f of files) {
      const rel = `${base}/${dir}/${f}`;
      const ok = exists(rel);
      if (f === 'seq.in') splitThere = ok;
      if (ok) { present.push(f); continue; }
      // A split folder without one task's label file: the place to fix is that task's label.
      const owner = f !== 'seq.in' && splitThere ? [...tasks.values()].find((t) => t.label === f) : undefined;
      const hint = role === 'test' && !explicit ? " (if this dataset has no test split, set data.splits to { \"train\": ..., \"valid\": ... })" : '';
      c.error(owner ? ['tasks', owner.index, 'label'] : path, `data file not found: ${writtenAndResolved(rel, resolve)}${owner ? ` (label file of task '${owner.id}', split '${role}')` : ''}${hint}`);
    }
    if (!read || !splitThere) continue;
    const seqIn = read.text(`${base}/${dir}/seq.in`);
    if (!seqIn) continue;
    const labels: SluSplitCheck['labels'] = [];
    for (const f of present) {
      if (f === 'seq.in') continue;
      const owner = [...tasks.values()].find((t) => t.label === f)!;
      const facts = read.text(`${base}/${dir}/${f}`);
      if (facts) labels.push({ facts, level: owner.kind === 'tagging' ? 'token' : 'sentence', path: ['tasks', owner.index, 'label'] });
    }
    report(sluSplitProblems({ role, path, seqIn, labels }));
  }
}

/** The tasks with a kind and a label, as the data checks see them (their label at `tasks[i].label`). */
function labelTasks(tasks: Map<string, TaskInfo>): LabelTask[] {
  return [...tasks.values()].filter((t) => t.kind !== undefined && t.label !== undefined).map((t) => ({ id: t.id, kind: t.kind!, label: t.label!, path: ['tasks', t.index, 'label'] }));
}

/** `data.split` of one file: its fractions (defaults 0.15 / 0.15) and its seed (else the training seed; undefined when neither is known). */
function splitOf(d: Obj, trainingSeed: number | undefined): { valid: number; test: number; seed?: number } {
  const split = isObj(d.split) ? d.split : undefined;
  const seed = typeof split?.seed === 'number' ? split.seed : trainingSeed;
  return {
    valid: typeof split?.valid === 'number' ? split.valid : 0.15,
    test: typeof split?.test === 'number' ? split.test : 0.15,
    ...(seed !== undefined ? { seed } : {}),
  };
}

/** What a JSONL / CoNLL experiment asks of its files beyond what the parser checks: the split of one file, the training labels. */
function examplesCheckOf(d: Obj, tasks: Map<string, TaskInfo>, trainingSeed: number | undefined): ExamplesCheck {
  return {
    tabular: d.format === 'jsonl' && d.text === undefined,
    tasks: labelTasks(tasks),
    ...(isObj(d.splits) ? {} : { split: { ...splitOf(d, trainingSeed), path: ['data', 'split'] } }),
    ...(typeof d.limitTrain === 'number' ? { limitTrain: d.limitTrain } : {}),
  };
}

/** What a CSV experiment asks of its file: every column it names (and where), missing values, split fractions and seed, the tasks' labels. */
function csvCheckOf(d: Obj, tasks: Map<string, TaskInfo>, trainingSeed: number | undefined): CsvCheck {
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const columns: CsvCheck['columns'] = [
    ...strings(d.features).map((name, i) => ({ name, role: 'data.features', numeric: true, path: ['data', 'features', i] })),
    ...strings(d.categorical).map((name, i) => ({ name, role: 'data.categorical', numeric: false, path: ['data', 'categorical', i] })),
    ...[...tasks.values()].filter((t) => t.label !== undefined).map((t) => ({ name: t.label!, role: `label of task '${t.id}'`, numeric: t.kind === 'regression', path: ['tasks', t.index, 'label'] })),
  ];
  const { valid, test, seed } = splitOf(d, trainingSeed);
  return {
    path: ['data', 'path'],
    columns,
    missing: Array.isArray(d.missing) ? strings(d.missing) : ['NA', ''],
    valid,
    test,
    splitPath: ['data', 'split'],
    ...(seed !== undefined ? { seed } : {}),
    tasks: labelTasks(tasks).filter((t) => t.kind !== 'tagging'),
  };
}

/**
 * A data path as written and, when a resolver is given, as resolved: `'d/x.csv' (/abs/d/x.csv,
 * relative to the experiment file)`, `'~/x.csv' (/home/u/x.csv, ~ = home folder)`, or just
 * `'/abs/x.csv'` for an absolute path.
 */
export function writtenAndResolved(rel: string, resolve?: (rel: string) => string): string {
  const home = rel === '~' || rel.startsWith('~/') || rel.startsWith('~\\');
  const absolute = rel.startsWith('/') || /^[A-Za-z]:[\\/]/.test(rel) || rel.startsWith('\\\\');
  if (!resolve) return absolute ? `'${rel}'` : `'${rel}', relative to the experiment file`;
  const abs = resolve(rel);
  if (absolute && abs === rel) return `'${rel}'`;
  return `'${rel}' (${abs}, ${home ? '~ is the home folder' : absolute ? 'as resolved' : 'relative to the experiment file'})`;
}

// ---------------------------------------------------------------------------------------------
// Text positions

/** A jsonc-parser syntax error in words (shared with the sweep file's parser). */
export function syntaxMessage(e: ParseError): string {
  const code = printParseErrorCode(e.error);
  const words: Record<string, string> = {
    InvalidSymbol: 'invalid symbol', InvalidNumberFormat: 'invalid number', PropertyNameExpected: 'property name expected',
    ValueExpected: 'value expected', ColonExpected: "':' expected", CommaExpected: "',' expected",
    CloseBraceExpected: "'}' expected", CloseBracketExpected: "']' expected", EndOfFileExpected: 'end of file expected',
    InvalidCommentToken: 'invalid comment', UnexpectedEndOfComment: 'unterminated comment', UnexpectedEndOfString: 'unterminated string',
    UnexpectedEndOfNumber: 'unterminated number', InvalidUnicode: 'invalid unicode escape', InvalidEscapeCharacter: 'invalid escape character',
    InvalidCharacter: 'invalid character',
  };
  return words[code] ?? code;
}

/**
 * Attach the text range: the node at the issue's path; for unknown keys the key itself; for a
 * missing property the key of the nearest existing parent (the `{` for the root). Shared with the
 * sweep file's validator, so both place their Problems the same way.
 */
export function locate(root: Node, issue: ExperimentIssue, atKey: boolean): ExperimentIssue {
  const node = findNodeAtLocation(root, issue.path);
  if (node) {
    const key = atKey && node.parent?.type === 'property' ? node.parent.children?.[0] : undefined;
    const n = key ?? node;
    return { ...issue, offset: n.offset, length: n.length };
  }
  for (let i = issue.path.length - 1; i >= 0; i--) {
    const parent = findNodeAtLocation(root, issue.path.slice(0, i));
    if (!parent) continue;
    const key = parent.parent?.type === 'property' ? parent.parent.children?.[0] : undefined;
    if (key) return { ...issue, offset: key.offset, length: key.length };
    // Array element or root: point at its opening bracket.
    return { ...issue, offset: parent.offset, length: 1 };
  }
  return { ...issue, offset: root.offset, length: 1 };
}
