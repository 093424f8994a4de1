/**
 * Text -> what the graph webview draws (pure). The drawing model is read leniently from the parsed
 * value, without defaults, so a half-written or invalid file still draws (its problems are shown on
 * the graph) and the inspector can tell "as written" from "default".
 */
import { parseTree, getNodeValue } from 'jsonc-parser';
import type { ParseError } from 'jsonc-parser';
import { lineColumn, parseExperiment, syntaxMessage } from '../shared/experiment';
import type { GraphArrow, GraphBadges, GraphIssue, GraphModel, GraphTask, Point, TextIssue } from '../shared/graphEditorProtocol';
import type { EpochEvent, RunSummary } from '../shared/trainerProtocol';
import { tooDeep, tooDeepMessage } from '../shared/jsonDepth';
import { dict } from '../shared/dict';
import { CNN_DEFAULTS, TRANSFORMER_DEFAULTS, type TaskKind } from '../shared/experimentTypes';
import { formatMetric, METRICS_BY_KIND } from '../shared/metrics/catalogue';
import { headlineText, runHeadline } from '../shared/metrics/headline';

const isTaskKind = (k: string): k is TaskKind => Object.hasOwn(METRICS_BY_KIND, k);

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const arr = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);
const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
const bool = (x: unknown): boolean | undefined => (typeof x === 'boolean' ? x : undefined);
const obj = (x: unknown): Obj => (isObj(x) ? x : {});

/** Result of reading a document text. */
export interface ReadResult {
  /** Absent when the text is not parseable JSON. */
  model?: GraphModel;
  parseErrors: TextIssue[];
  issues: GraphIssue[];
}

/** Parse `text` (JSONC) into the drawing model plus syntax errors or validation issues. */
export function readGraph(text: string, opts: { fileExists?: (relPath: string) => boolean } = {}): ReadResult {
  const deep = tooDeep(text);
  if (deep) return { parseErrors: [{ ...lineColumn(text, deep.offset), message: tooDeepMessage(deep.max), offset: deep.offset, length: 1 }], issues: [] };
  const syntax: ParseError[] = [];
  const root = parseTree(text, syntax, { allowTrailingComma: true });
  if (syntax.length || !root) {
    const parseErrors = syntax.map((e): TextIssue => ({ ...lineColumn(text, e.offset), message: syntaxMessage(e), offset: e.offset, length: e.length }));
    if (!parseErrors.length) parseErrors.push({ message: 'The file is empty.', line: 1, column: 1, offset: 0, length: 0 });
    return { parseErrors, issues: [] };
  }
  const value: unknown = getNodeValue(root);
  if (!isObj(value)) {
    return { parseErrors: [{ message: 'The experiment must be a JSON object.', line: 1, column: 1, offset: root.offset, length: root.length }], issues: [] };
  }
  const issues = parseExperiment(text, opts).errors.map(({ path, pathText, message, severity }) => ({ path, pathText, message, severity }));
  return { model: toGraphModel(value), parseErrors: [], issues };
}

/**
 * Short encoder caption: `BiGRU 64 · emb 64`, `BiGRU 64 · emb 64 · attention 4×128`,
 * `CNN 64×[3,5] ×2 layers · emb 64`, `Transformer 128 · 4 heads ×2 layers · emb 64`, `MLP 32-16`.
 */
function encoderCaption(e: Obj): string {
  const layers = num(e.layers);
  const stack = (n: number | undefined) => (n !== undefined && n > 1 ? ` ×${n} layers` : '');
  const words = ` · emb ${num(e.embeddingDim) ?? '?'}${e.chars !== undefined ? ' + chars' : ''}`;
  if (e.type === 'bigru' || e.type === 'bilstm') {
    const att = e.attention !== undefined ? obj(e.attention) : undefined;
    const attention = att ? ` · attention ${num(att.heads) ?? '?'}×${num(att.dim) ?? '?'}${att.combine === 'add' ? ' (add)' : ''}` : '';
    return `${e.type === 'bilstm' ? 'BiLSTM' : 'BiGRU'} ${num(e.hidden) ?? '?'}${stack(layers)}${words}${attention}`;
  }
  if (e.type === 'cnn') {
    const widths = e.widths === undefined ? [...CNN_DEFAULTS.widths] : arr(e.widths).map((w) => num(w) ?? '?');
    return `CNN ${num(e.filters) ?? '?'}×[${widths.join(',')}]${stack(layers)}${words}`;
  }
  if (e.type === 'transformer') {
    return `Transformer ${num(e.width) ?? '?'} · ${num(e.heads) ?? '?'} heads${stack(layers ?? TRANSFORMER_DEFAULTS.layers)}${words}`;
  }
  if (e.type === 'mlp') return `MLP ${arr(e.hidden).map((h) => num(h) ?? '?').join('-') || '?'}`;
  return typeof e.type === 'string' ? e.type : 'encoder';
}

/** The encoder's options as written (undefined where the file has none or a wrong type). */
function encoderSettings(e: Obj): GraphModel['settings']['encoder'] {
  const numbers = (v: unknown) => arr(v).filter((w): w is number => typeof w === 'number');
  const out: GraphModel['settings']['encoder'] = {
    type: str(e.type), embeddingDim: num(e.embeddingDim), wordDropout: num(e.wordDropout),
    hidden: num(e.hidden), layers: num(e.layers), dropout: num(e.dropout),
    filters: num(e.filters), ...(e.widths !== undefined ? { widths: numbers(e.widths) } : {}), activation: str(e.activation),
    width: num(e.width), heads: num(e.heads), ffn: num(e.ffn), positions: str(e.positions),
  };
  if (e.chars !== undefined) {
    const c = obj(e.chars);
    out.chars = { embeddingDim: num(c.embeddingDim), filters: num(c.filters), widths: numbers(c.widths) };
  }
  return out;
}

/** `sharing` as written (cross-stitch depths: the whole numbers of `after`). */
function sharingSettings(s: Obj): GraphModel['settings']['sharing'] {
  const out: GraphModel['settings']['sharing'] = { type: str(s.type), l2: num(s.l2) };
  if (s.crossStitch !== undefined) {
    const c = obj(s.crossStitch);
    out.crossStitch = { after: arr(c.after).filter((n): n is number => Number.isInteger(n) && (n as number) >= 1), self: num(c.self) };
  }
  return out;
}

/** Lenient reading of a parsed experiment object. */
export function toGraphModel(v: Obj): GraphModel {
  const tasks: GraphTask[] = [];
  arr(v.tasks).forEach((raw, index) => {
    const t = obj(raw);
    const id = str(t.id);
    if (!id) return;
    tasks.push({
      id, index, kind: str(t.kind) ?? '?', label: str(t.label), title: str(t.title), lossWeight: num(t.lossWeight), output: str(t.output),
      tokenLevel: t.tokenLevel === true ? true : undefined, vote: str(t.vote),
      blocks: arr(t.blocks).map((b, j) => {
        const o = obj(b);
        return { n: j + 1, type: str(o.type) ?? '?', units: num(o.units), activation: str(o.activation), dropout: num(o.dropout),
          ...(o.type === 'transformer' ? { heads: num(o.heads), ffn: num(o.ffn) } : {}) };
      }),
    });
  });
  const arrows: GraphArrow[] = [];
  arr(v.feedback).forEach((raw, index) => {
    const f = obj(raw);
    const id = str(f.id) ?? `feedback[${index}]`;
    const from = str(f.from);
    const to = str(f.to);
    if (!from || !to) return;
    const a = obj(f.amplifier);
    const inj = f.injection === 'gumbel' ? 'gumbel' : num(f.injection);
    arrows.push({
      id, index, from, to,
      amplifier: { type: str(a.type) ?? '?', units: num(a.units), hidden: num(a.hidden), activation: str(a.activation) },
      injection: inj,
      candidates: Array.isArray(f.candidates) ? f.candidates.filter((c): c is number => typeof c === 'number') : undefined,
      combine: str(f.combine), enabled: bool(f.enabled),
    });
  });
  const c = obj(v.convergence);
  const g = obj(v.gumbel);
  const tr = obj(v.training);
  const layout: Record<string, Point> = dict();
  for (const [k, p] of Object.entries(obj(obj(v.layout).nodes))) {
    const x = num(obj(p).x);
    const y = num(obj(p).y);
    if (x !== undefined && y !== undefined) layout[k] = { x, y };
  }
  return {
    name: str(v.name) ?? '',
    encoder: encoderCaption(obj(v.encoder)),
    tasks, arrows, layout,
    settings: {
      iterations: num(v.iterations),
      convergence: { beta: num(c.beta), lambda: num(c.lambda), startK: num(c.startK), dropoutMasks: str(c.dropoutMasks) },
      gumbel: { tau0: num(g.tau0), tauMin: num(g.tauMin), anneal: str(g.anneal), hard: bool(g.hard), annealEpochs: num(g.annealEpochs) },
      training: {
        epochs: num(tr.epochs), batchSize: num(tr.batchSize), learningRate: num(tr.learningRate), optimizer: str(tr.optimizer), seed: num(tr.seed),
        ...(tr.lrSchedule !== undefined ? { lrSchedule: { decay: str(obj(tr.lrSchedule).decay), warmupSteps: num(obj(tr.lrSchedule).warmupSteps) } } : {}),
        ...(tr.weightAveraging !== undefined ? { weightAveraging: { decay: num(obj(tr.weightAveraging).decay) } } : {}),
      },
      lossWeighting: {
        type: str(obj(v.lossWeighting).type), temperature: num(obj(v.lossWeighting).temperature), gamma: num(obj(v.lossWeighting).gamma),
        alpha: num(obj(v.lossWeighting).alpha), learningRate: num(obj(v.lossWeighting).learningRate),
      },
      encoder: encoderSettings(obj(v.encoder)),
      sharing: sharingSettings(obj(v.sharing)),
    },
  };
}

/** What the badges need from a run (a subset of the run store's `RunInfo`). */
export interface BadgeSource {
  id: string;
  status: string;
  summary?: RunSummary;
  /** Epoch events of the run (valid metrics). */
  epochs: EpochEvent[];
  /** Newest gate probabilities per Gumbel arrow. */
  lastGates?: Record<string, { blocks: number[]; probs: number[] }>;
}

/**
 * Badges of one run for the tasks and arrows of `model`: per task its headline figure (the same
 * number every other view shows: validation at the best-validation checkpoint, see
 * `shared/metrics/headline.ts`), per Gumbel arrow the newest gate distribution (or the summary's).
 */
export function computeBadges(model: GraphModel, run: BadgeSource): GraphBadges {
  const tasks: GraphBadges['tasks'] = dict();
  const kinds = Object.fromEntries(model.tasks.map((t) => [t.id, (isTaskKind(t.kind) ? t.kind : undefined)]));
  const h = runHeadline({ summary: run.summary, epochs: run.epochs }, kinds);
  for (const [id, th] of Object.entries(h?.tasks ?? {})) {
    const { metric } = th;
    tasks[id] = {
      metric: metric.name, value: th.valid, text: `${metric.short} ${formatMetric(metric.name, th.valid)}`, label: headlineText(th),
      ...(th.test !== undefined ? { test: th.test, testText: `${metric.label} ${formatMetric(metric.name, th.test)}` } : {}),
    };
  }
  const arrows: GraphBadges['arrows'] = dict();
  for (const a of model.arrows) {
    const g = completeGate(run.lastGates?.[a.id] ?? (run.summary?.gates?.[a.id] ? { blocks: [run.summary.gates[a.id].block], probs: [run.summary.gates[a.id].prob] } : undefined), a, model);
    if (g && g.probs.length && g.probs.length === g.blocks.length) {
      let best = 0;
      g.probs.forEach((p, i) => { if (p > g.probs[best]) best = i; });
      arrows[a.id] = { blocks: g.blocks, probs: g.probs, argmax: g.blocks[best], prob: g.probs[best] };
      continue;
    }
  }
  return { runId: run.id, status: run.status, tasks, arrows, ...(h ? { where: h.where } : {}) };
}

/**
 * A gate known only by its argmax (runs written before summaries kept the whole distribution):
 * over two candidate blocks the other one has the rest; over more, the split of the rest is unknown
 * and the gate stays argmax-only (views then show only the winner's share).
 */
export function completeGate(g: { blocks: number[]; probs: number[] } | undefined, a: GraphArrow, model: GraphModel): { blocks: number[]; probs: number[] } | undefined {
  if (!g || g.blocks.length !== 1) return g;
  const all = model.tasks.find((t) => t.id === a.to)?.blocks.map((b) => b.n) ?? [];
  const cands = a.candidates?.length ? a.candidates.filter((c) => all.includes(c)) : all;
  if (cands.length !== 2 || !cands.includes(g.blocks[0])) return g;
  const other = cands.find((c) => c !== g.blocks[0])!;
  const pairs: [number, number][] = [[g.blocks[0], g.probs[0]], [other, 1 - g.probs[0]]];
  pairs.sort((x, y) => x[0] - y[0]);
  return { blocks: pairs.map((p) => p[0]), probs: pairs.map((p) => p[1]) };
}
