/**
 * JSON Lines data: one JSON object per line (blank lines allowed), fields mapped to the input and to
 * the tasks' labels. Text input: a string field (split on whitespace, as SLU text) or an array of
 * tokens; tabular input: numeric and categorical fields, handed to the CSV encoder as a table so
 * both formats scale and one-hot the same way. Every error names `file:line` and the field.
 *
 * Label fields: a class is a string (or an integer / boolean, read as its text), a regression target
 * a number, a tagging target an array of tag strings, one per token. `null` means missing (masked
 * out of losses and metrics); an absent field is an error, since it is more often a typo than a gap.
 */
import { DataError } from './dataError';
import { clip, quoted, quotedList } from '../shared/quote';
import type { CsvTable } from './csv';
import type { TextSplit } from './textSplit';
import { dict } from '../shared/dict';
import { readsLabels, textOptions, type JsonlDataSpec, type TaskSpec } from '../shared/experimentTypes';

/** One record of a JSONL file and the line it came from. */
export interface JsonlRecord { line: number; value: Record<string, unknown> }

/** Parse a JSONL text: every non-blank line one JSON object. */
export function parseJsonl(text: string, file: string): JsonlRecord[] {
  const out: JsonlRecord[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].trim();
    if (l === '') continue;
    const at = `${file}:${i + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch (e) {
      // The parser's message quotes the line; only the place is kept (messages never quote a file that is not data).
      const m = /column (\d+)|position (\d+)/.exec((e as Error).message);
      const col = m ? (m[1] ? Number(m[1]) : Number(m[2]) + 1 + (lines[i].length - lines[i].trimStart().length)) : undefined;
      throw new DataError(`${at}: not valid JSON${col !== undefined ? ` (at column ${col})` : ''}; each line holds one JSON object`, at);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DataError(`${at}: a line must hold a JSON object ({"field": value, ...}), not ${kindOf(v)}`, at);
    out.push({ line: i + 1, value: v as Record<string, unknown> });
  }
  if (out.length === 0) throw new DataError(`${file}: no records (a JSONL file holds one JSON object per line)`, file);
  return out;
}

/** The kind of a JSON value, without its content: `a number`, `an array`, `null`. */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return typeof v === 'number' ? 'a number' : typeof v === 'string' ? 'a string' : typeof v;
}

/** A field's value in words for messages: its kind and, for a scalar, the value (clipped, see quote.ts). */
function describe(v: unknown): string {
  if (v === null || typeof v === 'object') return kindOf(v);
  return `${kindOf(v)} (${clip(JSON.stringify(v))})`;
}

function fieldOf(r: JsonlRecord, file: string, field: string, role: string): unknown {
  if (!Object.prototype.hasOwnProperty.call(r.value, field)) {
    const at = `${file}:${r.line}`;
    const have = Object.keys(r.value);
    throw new DataError(`${at}: missing field ${quoted(field)} (${role}); this record has ${have.length ? quotedList(have) : 'no fields'}${role.startsWith('label') ? ' (write null for a missing label)' : ''}`, at);
  }
  return r.value[field];
}

function bad(r: JsonlRecord, file: string, field: string, msg: string): DataError {
  const at = `${file}:${r.line}`;
  return new DataError(`${at}: field '${field}' ${msg}`, at);
}

/** A class label: string, integer or boolean (as text); null = missing. */
function classOf(r: JsonlRecord, file: string, field: string, task: string): string | null {
  const v = fieldOf(r, file, field, `label of task '${task}'`);
  if (v === null) return null;
  if (typeof v === 'string') {
    if (v.trim() === '') throw bad(r, file, field, `is an empty string (the class of task '${task}'; write null for a missing label)`);
    return v.trim();
  }
  if ((typeof v === 'number' && Number.isInteger(v)) || typeof v === 'boolean') return String(v);
  throw bad(r, file, field, `must be a class (a string) for classification task '${task}', not ${describe(v)}`);
}

/** What to read from text records. */
export interface JsonlTextFields {
  text: string;
  /** Label fields by kind (each a task's `label`). */
  classes: readonly { field: string; task: string }[];
  tags: readonly { field: string; task: string }[];
  reals: readonly { field: string; task: string }[];
  maxLength: number;
}

/** A task as the readers see it. */
type TaskLabel = Pick<TaskSpec, 'id' | 'kind' | 'label'>;

/** What to read from text records, for the experiment's data section and tasks (training and validation read the same). */
export function jsonlTextFields(data: JsonlDataSpec, tasks: readonly TaskLabel[]): JsonlTextFields {
  const by = (kind: TaskSpec['kind']) => tasks.filter(readsLabels).filter((t) => t.kind === kind).map((t) => ({ field: t.label, task: t.id }));
  return { text: data.text!, classes: by('classification'), tags: by('tagging'), reals: by('regression'), maxLength: textOptions(data).maxLength };
}

/**
 * Text records as a split: the text field's tokens (a string split on whitespace, or an array of
 * non-empty strings), labels per field. Tag arrays must have one tag per token (checked before
 * truncation to maxLength).
 */
export function jsonlText(records: readonly JsonlRecord[], file: string, f: JsonlTextFields): TextSplit {
  const n = records.length;
  const out: TextSplit = { words: new Array(n), sentence: dict(), token: dict(), real: dict(), lines: records.map((r) => r.line) };
  const classes = f.classes.map((c) => { const a: (string | null)[] = new Array(n); out.sentence[c.field] = a; return a; });
  const tags = f.tags.map((c) => { const a: string[][] = new Array(n); out.token[c.field] = a; return a; });
  const reals = f.reals.map((c) => { const a: number[] = new Array(n); out.real![c.field] = a; return a; });
  records.forEach((r, i) => {
    const v = fieldOf(r, file, f.text, 'the input text, data.text');
    let words: string[];
    if (typeof v === 'string') {
      words = v.trim() === '' ? [] : v.trim().split(/\s+/);
    } else if (Array.isArray(v)) {
      v.forEach((t, k) => {
        if (typeof t !== 'string' || t === '') throw bad(r, file, f.text, `item ${k + 1} is ${typeof t === 'string' ? 'an empty string' : describe(t)}: tokens must be non-empty strings`);
      });
      words = v as string[];
    } else {
      throw bad(r, file, f.text, `must be the text (a string) or its tokens (an array of strings), not ${describe(v)}`);
    }
    if (words.length === 0) throw bad(r, file, f.text, 'is empty: every record needs at least one token');
    f.classes.forEach((c, k) => { classes[k][i] = classOf(r, file, c.field, c.task); });
    f.tags.forEach((c, k) => {
      const t = fieldOf(r, file, c.field, `label of task '${c.task}'`);
      if (!Array.isArray(t)) throw bad(r, file, c.field, `must be an array of tags (one per token) for tagging task '${c.task}', not ${describe(t)}`);
      t.forEach((x, j) => {
        if (typeof x !== 'string' || x.trim() === '') throw bad(r, file, c.field, `tag ${j + 1} is ${typeof x === 'string' ? 'an empty string' : describe(x)}: tags must be non-empty strings`);
      });
      if (t.length !== words.length) {
        throw bad(r, file, c.field, `has ${t.length} tag${t.length === 1 ? '' : 's'} for ${words.length} token${words.length === 1 ? '' : 's'} in field '${f.text}' (one tag per token)`);
      }
      const trimmed = (t as string[]).map((x) => x.trim());
      tags[k][i] = trimmed.length > f.maxLength ? trimmed.slice(0, f.maxLength) : trimmed;
    });
    f.reals.forEach((c, k) => { reals[k][i] = realOf(r, file, c.field, c.task); });
    out.words[i] = words.length > f.maxLength ? words.slice(0, f.maxLength) : words;
  });
  return out;
}

/** A regression target: a finite number; null = missing (NaN). */
function realOf(r: JsonlRecord, file: string, field: string, task: string): number {
  const v = fieldOf(r, file, field, `label of task '${task}'`);
  if (v === null) return NaN;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  throw bad(r, file, field, `must be a number for regression task '${task}', not ${describe(v)}`);
}

/** What to read from tabular records. */
export interface JsonlTableFields {
  features: readonly string[];
  categorical: readonly string[];
  labels: readonly { task: string; field: string; kind: 'classification' | 'regression' }[];
}

/** What to read from tabular records (`data.features`), for the experiment's data section and tasks. */
export function jsonlTableFields(data: JsonlDataSpec, tasks: readonly TaskLabel[]): JsonlTableFields {
  const labels = tasks.map((t) => {
    if (t.kind === 'tagging' || t.kind === 'language-model' || t.label === undefined) throw new DataError(`task '${t.id}': tabular JSONL data (data.features) has no tokens to ${t.kind === 'tagging' ? 'tag' : 'predict'}`, 'tasks');
    return { task: t.id, field: t.label, kind: t.kind };
  });
  return { features: data.features ?? [], categorical: data.categorical ?? [], labels };
}

/**
 * Tabular records as a CSV-like table of cell texts (header = the fields used), for the CSV encoder:
 * numbers as their shortest round-trip text, null as '' (missing), categories and classes as text.
 * Types are checked here, so the encoder's own messages never see a JSON value.
 */
export function jsonlTable(records: readonly JsonlRecord[], file: string, f: JsonlTableFields): CsvTable {
  const header = [...new Set([...f.features, ...f.categorical, ...f.labels.map((l) => l.field)])];
  const numeric = new Set([...f.features, ...f.labels.filter((l) => l.kind === 'regression').map((l) => l.field)]);
  const roles = new Map<string, string>();
  f.features.forEach((x) => roles.set(x, 'a numeric input, data.features'));
  f.categorical.forEach((x) => roles.set(x, 'a categorical input, data.categorical'));
  f.labels.forEach((l) => roles.set(l.field, `label of task '${l.task}'`));
  const classTask = new Map(f.labels.filter((l) => l.kind === 'classification').map((l) => [l.field, l.task]));
  const rows = records.map((r) => header.map((field) => {
    if (classTask.has(field)) return classOf(r, file, field, classTask.get(field)!) ?? '';
    const v = fieldOf(r, file, field, roles.get(field)!);
    if (v === null) return '';
    if (numeric.has(field)) {
      if (typeof v === 'number' && Number.isFinite(v)) return String(v);
      throw bad(r, file, field, `must be a number (${roles.get(field)}), not ${describe(v)}; write null for a missing value`);
    }
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v).trim();
    throw bad(r, file, field, `must be a category (a string), not ${describe(v)}; write null for a missing value`);
  }));
  return { header, rows, lines: records.map((r) => r.line) };
}
