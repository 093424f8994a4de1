/**
 * CoNLL-style column files (CoNLL-2003, CoNLL-U-like comments): one token per line with
 * whitespace-separated columns, a blank line between sentences, `-DOCSTART-` lines skipped. Lines
 * before a sentence's first token that start with the comment prefix (default `#`) are comments;
 * those reading `<prefix> key = value` label the sentence (`# intent = PlayMusic`), which a
 * classification task reads by naming `key`. Every error names `file:line`.
 */
import { DataError } from './dataError';
import type { TextSplit } from './textSplit';
import { dict } from '../shared/dict';
import { readsLabels, textOptions, type ConllDataSpec, type TaskSpec } from '../shared/experimentTypes';

/** What to read from a CoNLL file. */
export interface ConllFields {
  /** Column names (optional), for messages and to check the column count. */
  columns?: readonly string[];
  /** 0-based token column. */
  token: number;
  /** Tag columns (0-based) per label source (a tagging task's `label`). */
  tags: readonly { source: string; column: number; task: string }[];
  /** Sentence-label keys (a classification task's `label`). */
  classes: readonly { key: string; task: string }[];
  commentPrefix: string;
  maxLength: number;
}

/** What to read from a CoNLL file, for the experiment's data section and tasks (training and validation read the same). */
export function conllFields(data: ConllDataSpec, tasks: readonly Pick<TaskSpec, 'id' | 'kind' | 'label'>[]): ConllFields {
  const column = (ref: string | number, what: string): number => {
    if (typeof ref === 'number') return ref;
    if (/^\d+$/.test(ref)) return Number(ref);
    const k = data.columns?.indexOf(ref) ?? -1;
    if (k < 0) throw new DataError(`${what} '${ref}' is not in data.columns (${(data.columns ?? []).join(', ') || 'none named'})`, 'data.columns');
    return k;
  };
  const fields = {
    columns: data.columns,
    token: column(data.token ?? 0, 'token column'),
    tags: tasks.filter(readsLabels).filter((t) => t.kind === 'tagging').map((t) => ({ source: t.label, column: column(t.label, `tag column of task '${t.id}'`), task: t.id })),
    classes: tasks.filter(readsLabels).filter((t) => t.kind === 'classification').map((t) => ({ key: t.label, task: t.id })),
    commentPrefix: data.commentPrefix ?? '#',
    maxLength: textOptions(data).maxLength,
  };
  for (const t of tasks) {
    if (t.kind === 'regression') throw new DataError(`task '${t.id}': CoNLL data has no real-valued targets for regression`, 'tasks');
  }
  return fields;
}

/** A sentence-label line: `<prefix> key = value` (or `key: value`). */
function labelLine(line: string, prefix: string): { key: string; value: string } | undefined {
  const m = /^\s*([^\s=:]+)\s*[=:]\s*(.*?)\s*$/.exec(line.slice(prefix.length));
  return m ? { key: m[1], value: m[2] } : undefined;
}

/** Parse a CoNLL text into sentences (words, tags per source, class per key) with their first line. */
export function parseConll(text: string, file: string, f: ConllFields): TextSplit {
  const out: TextSplit = { words: [], sentence: dict(), token: dict(), lines: [] };
  const classes = f.classes.map((c) => { const a: string[] = []; out.sentence[c.key] = a; return a; });
  const tagLists = f.tags.map((t) => { const a: string[][] = []; out.token[t.source] = a; return a; });
  const lines = text.split(/\r?\n/);
  const needed = Math.max(f.token, ...f.tags.map((t) => t.column)) + 1;
  let width = f.columns?.length;
  let widthLine = 0;
  // The sentence being read.
  let start = 0;
  let words: string[] = [];
  let tags: string[][] = f.tags.map(() => []);
  let labels = new Map<string, { value: string; line: number }>();

  const end = () => {
    if (words.length === 0) {
      const orphan = f.classes.find((c) => labels.has(c.key));
      if (orphan) {
        const l = labels.get(orphan.key)!.line;
        throw new DataError(`${file}:${l}: the sentence label '${orphan.key}' is followed by no token lines (a blank line or the end of the file came first)`, `${file}:${l}`);
      }
    } else {
      f.classes.forEach((c, k) => {
        const v = labels.get(c.key);
        if (!v) throw new DataError(`${file}:${start}: this sentence has no '${f.commentPrefix} ${c.key} = ...' line before its first token (the label of task '${c.task}')`, `${file}:${start}`);
        if (v.value === '') throw new DataError(`${file}:${v.line}: empty sentence label '${c.key}'`, `${file}:${v.line}`);
        classes[k].push(v.value);
      });
      f.tags.forEach((_, k) => tagLists[k].push(tags[k].length > f.maxLength ? tags[k].slice(0, f.maxLength) : tags[k]));
      out.words.push(words.length > f.maxLength ? words.slice(0, f.maxLength) : words);
      out.lines!.push(start);
    }
    start = 0;
    words = [];
    tags = f.tags.map(() => []);
    labels = new Map();
  };

  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const line = lines[i];
    const trimmed = line.trim();
    if (trimmed === '') { end(); continue; }
    if (words.length === 0 && f.commentPrefix !== '' && trimmed.startsWith(f.commentPrefix)) {
      if (start === 0) start = n;
      const l = labelLine(trimmed, f.commentPrefix);
      if (l) labels.set(l.key, { value: l.value, line: n });
      continue;
    }
    const cols = trimmed.split(/\s+/);
    if (cols[0] === '-DOCSTART-') { end(); continue; }
    const at = `${file}:${n}`;
    if (width === undefined) { width = cols.length; widthLine = n; }
    if (cols.length !== width) {
      const want = f.columns ? `data.columns names ${width}: ${f.columns.join(' ')}` : `line ${widthLine}, the file's first token line, has ${width}`;
      throw new DataError(`${at}: ${cols.length} column${cols.length === 1 ? '' : 's'}, but ${want} (columns are separated by spaces or tabs; tokens cannot hold spaces)`, at);
    }
    if (cols.length < needed) {
      const missing = [{ column: f.token, what: 'the token column' }, ...f.tags.map((t) => ({ column: t.column, what: `the tag column of task '${t.task}'` }))].find((x) => x.column >= cols.length)!;
      throw new DataError(`${at}: no column ${missing.column} (${missing.what}; 0-based): the line has ${cols.length} column${cols.length === 1 ? '' : 's'}`, at);
    }
    if (start === 0) start = n;
    words.push(cols[f.token]);
    f.tags.forEach((t, k) => tags[k].push(cols[t.column]));
  }
  end();
  if (out.words.length === 0) throw new DataError(`${file}: no sentences (a CoNLL file holds one token per line, a blank line between sentences)`, file);
  return out;
}
