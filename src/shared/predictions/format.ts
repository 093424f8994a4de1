/**
 * The per-example predictions file of a run, `predictions/<split>.jsonl`: what the model answered
 * for every example of a split at every feedback pass y^0..y^K, next to the gold answer.
 *
 * Line 1 is a {@link PredictionsHeader} (what was scored: split, checkpoint, tasks and their label
 * maps, K, the gates as eval mode uses them); every further line is one {@link ExamplePrediction},
 * in split order. JSON lines so a 700-sentence file streams, diffs and greps well.
 *
 * Pure types and parsing: the trainer writes the file, the CLI, the host and the webview read it.
 */
import type { TaskKind } from '../experimentTypes';

export const PREDICTIONS_FORMAT = 'fmtl-predictions';
/** Bumped when a reader of the old layout would misread the new one. */
export const PREDICTIONS_VERSION = 1;

/** One task as the file describes it. */
export interface PredictedTask {
  id: string;
  kind: TaskKind;
  /** Class or tag names (id = index) the model can answer; [] for regression. */
  labels: string[];
}

/** Line 1 of a predictions file. */
export interface PredictionsHeader {
  format: typeof PREDICTIONS_FORMAT;
  version: number;
  runId: string;
  split: 'valid' | 'test';
  /** The weights scored: which checkpoint, from which epoch and step. */
  checkpoint: { kind: 'best' | 'last'; epoch: number; step: number };
  /** K: the passes are y^0..y^K (0 for a static model: one pass). */
  iterations: number;
  /** Text (tokens per example) or tabular (a CSV row per example). */
  input: 'text' | 'tabular';
  tasks: PredictedTask[];
  /**
   * Gumbel arrows in eval mode: the block each one feeds (the argmax of its learned preference).
   * Eval mode takes no sample, so the choice is the same for every example.
   */
  gates: Record<string, { block: number; prob: number; blocks: number[]; probs: number[] }>;
  examples: number;
}

/** A classification answer of one pass: the label and its probability. */
export interface ClassAnswer { label: string; p: number }
/**
 * A tagging answer of one pass: a tag per token and the probability of each. A language model's
 * answer has the same shape — `tags` are the predicted next words (`</s>` = end of sentence) — plus
 * `nll`: per token -ln p(gold next word), what its perplexity is computed from.
 */
export interface TagsAnswer { tags: string[]; p: number[]; nll?: number[] }
/** A regression answer of one pass, in the target's original units. */
export interface ValueAnswer { value: number }
export type Answer = ClassAnswer | TagsAnswer | ValueAnswer;

/** Gold answer of one task: class name, tags, value (original units); null when missing. */
export type GoldAnswer = string | string[] | number | null;

/** Lines 2.. of a predictions file. */
export interface ExamplePrediction {
  /** Index of the example in its split. */
  i: number;
  /** Text: the tokens as read (before lower-casing). */
  tokens?: string[];
  /** Tabular: 1-based data row of the CSV file (the header is not counted) and its line in the file. */
  row?: number;
  line?: number;
  /** Task id -> gold. */
  gold: Record<string, GoldAnswer>;
  /** Task id -> answers of passes 0..K (length K + 1). */
  pred: Record<string, Answer[]>;
}

/** What a saved model answers for one new input (`loadModel(dir).predict`, `fmtl predict`, Try the model). */
export interface InputPrediction {
  /** Text: the tokens the model read (after the whitespace split and the maxLength cut). */
  tokens?: string[];
  /** Task id -> answers of passes 0..K. */
  pred: Record<string, Answer[]>;
}

/** A whole predictions file, parsed. */
export interface PredictionsFile {
  header: PredictionsHeader;
  examples: ExamplePrediction[];
}

/**
 * Parses a predictions file's text. Throws a message naming `source` and the line for anything that
 * is not this format (another format, a newer version, a line that is not JSON).
 */
export function parsePredictions(text: string, source: string): PredictionsFile {
  const lines = text.split('\n');
  let header: PredictionsHeader | undefined;
  const examples: ExamplePrediction[] = [];
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n];
    if (!line.trim()) continue;
    let v: unknown;
    try { v = JSON.parse(line); } catch { throw new Error(`${source}:${n + 1}: not a JSON line`); }
    if (!header) {
      const h = v as Partial<PredictionsHeader>;
      if (h?.format !== PREDICTIONS_FORMAT) throw new Error(`${source}:${n + 1}: not a predictions file (line 1 has no "format": "${PREDICTIONS_FORMAT}")`);
      if (h.version !== PREDICTIONS_VERSION) throw new Error(`${source}:${n + 1}: predictions format version ${h.version}; this version of Feedback MTL reads version ${PREDICTIONS_VERSION}`);
      header = h as PredictionsHeader;
      continue;
    }
    examples.push(v as ExamplePrediction);
  }
  if (!header) throw new Error(`${source}: empty predictions file`);
  return { header, examples };
}

export function isClassAnswer(a: Answer): a is ClassAnswer { return 'label' in a; }
export function isTagsAnswer(a: Answer): a is TagsAnswer { return 'tags' in a; }
export function isValueAnswer(a: Answer): a is ValueAnswer { return 'value' in a; }
