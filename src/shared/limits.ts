/**
 * Size limits of an experiment, each with the reason it exists. Above a soft limit `validate()`
 * warns (the run is slow or large but works); above a hard limit it refuses, naming the limit and
 * why, because the run would not finish its first step, exhaust memory or overflow a typed array.
 *
 * One home for the numbers: `experiment.ts` checks them, `media/fmtl.schema.json` carries the hard
 * limits as `maximum` (a test keeps the two equal), and the trainer checks the exact parameter
 * count against {@link LIMITS}`.parameters` once the data fixes the input and output widths.
 */
import { CNN_DEFAULTS, TEXT_ENCODER_TYPES, TRANSFORMER_DEFAULTS, type Experiment } from './experimentTypes';

/** A soft and a hard limit with the reason. */
export interface Limit {
  soft: number;
  hard: number;
  /** Why the limit exists (completes "... because <why>"). */
  why: string;
}

/** Every limit, by what it bounds. */
export const LIMITS = {
  /** Feedback iterations K. */
  iterations: {
    soft: 10, hard: 100,
    why: 'each iteration re-runs every task tower and keeps its activations for the backward pass, so a step costs K + 1 tower passes in time and memory (the paper uses K <= 5)',
  },
  /** Width of any layer: block units, encoder hidden sizes, embedding width, amplifier widths. */
  width: {
    soft: 4096, hard: 65536,
    why: 'a layer holds width x (its input width) weights, so very wide layers are slow and large; far beyond this its weight matrix no longer fits a typed array or the memory of one process',
  },
  /** Stacked BiGRU encoder layers and blocks per task. */
  depth: {
    soft: 8, hard: 64,
    why: 'every layer runs once per token (BiGRU) or per feedback iteration (blocks), so time and memory grow with depth',
  },
  /** Trainable parameters (estimated before the model is built). */
  parameters: {
    soft: 10_000_000, hard: 200_000_000,
    why: 'every parameter takes 4 bytes, and Adam keeps two more slots per parameter (12 bytes in all, before activations); 200 M parameters need about 2.4 GB',
  },
  /** Examples per training step. */
  batchSize: {
    soft: 4096, hard: 65536,
    why: 'the activations of every example of a step (K + 1 passes) are held at once for the backward pass',
  },
  /** Tokens per sentence (SLU `maxLength`). */
  sequenceLength: {
    soft: 512, hard: 4096,
    why: 'the BiGRU runs one step per token in sequence and keeps every step for the backward pass',
  },
} as const satisfies Record<string, Limit>;

/** Widths the data decides; unknown ones are left out of the estimate (it is then a lower bound). */
export interface DataDims {
  /** Input columns after one-hot encoding (CSV). */
  inputWidth?: number;
  /** Vocabulary size (SLU). */
  vocab?: number;
  /** Character vocabulary size (SLU with `encoder.chars`). */
  charVocab?: number;
  /** Output width per task id (classes, tags, 1 for regression). */
  outDims?: ReadonlyMap<string, number>;
}

/** An estimate of the trainable parameters and whether it covers everything. */
export interface ParameterEstimate {
  count: number;
  /** False when parts that depend on the data (embedding table, input and output layers) are not counted. */
  complete: boolean;
}

const dense = (inDim: number, out: number) => inDim * out + out;
/** One GRU direction: three gates, each with input and recurrent weights and a bias. */
const gru = (inDim: number, h: number) => 3 * (inDim * h + h * h + 2 * h);
/** Both LSTM directions: four gates, input and recurrent weights, one bias. */
const bilstm = (inDim: number, h: number) => 8 * h * inDim + 8 * h * h + 8 * h;
/** One pre-LN Transformer layer of width d: two layer norms, Q/K/V/output projections, the feed-forward pair. */
const transformerLayer = (d: number, ffn: number) => 2 * 2 * d + 4 * dense(d, d) + dense(d, ffn) + dense(ffn, d);
/** A bidirectional recurrent layer of either cell. */
const birnn = (type: unknown, inDim: number, h: number) => (type === 'bilstm' ? bilstm(inDim, h) : 2 * gru(inDim, h));

/**
 * Trainable parameters of the model an experiment (with defaults or as written) would build, from
 * the numbers in the file and, when known, the data's widths. Never throws; fields that are not
 * numbers count as 0. Mirrors `src/trainer/model/` (a test compares it with the built model).
 */
export function estimateParameters(exp: Experiment, dims: DataDims = {}): ParameterEstimate {
  let complete = true;
  const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);
  let count = 0;
  let tokenDim = 0;
  let sentenceDim = 0;
  const e = exp.encoder as unknown as Record<string, unknown> | undefined;
  if (e && typeof e.type === 'string' && (TEXT_ENCODER_TYPES as readonly string[]).includes(e.type)) {
    // Text input: word embedding, then the optional character CNN (its features widen each word).
    const emb = n(e.embeddingDim);
    if (dims.vocab !== undefined) count += dims.vocab * emb; else complete = false;
    let inDim = emb;
    const ch = e.chars as Record<string, unknown> | undefined;
    if (ch && typeof ch === 'object') {
      const ce = n(ch.embeddingDim) || 32, filters = n(ch.filters) || 100;
      const widths = Array.isArray(ch.widths) ? ch.widths.map(n) : [3];
      if (dims.charVocab !== undefined) count += dims.charVocab * ce; else complete = false;
      for (const w of widths) count += w * ce * filters + filters;
      inDim += filters * widths.length;
    }
    let width: number;
    if (e.type === 'cnn') {
      // One convolution per window width and layer: [w x in, filters] + bias.
      const filters = n(e.filters), layers = Math.max(1, n(e.layers) || 1);
      const widths = Array.isArray(e.widths) ? e.widths.map(n) : [...CNN_DEFAULTS.widths];
      for (let i = 0; i < layers; i++) {
        for (const w of widths) count += w * inDim * filters + filters;
        inDim = filters * widths.length;
      }
      width = inDim;
    } else if (e.type === 'transformer') {
      // Input projection when the input width differs, learned positions, the layers, a final norm.
      width = n(e.width);
      if (inDim !== width) count += dense(inDim, width);
      if (e.positions === 'learned') {
        const d = exp.data as unknown as Record<string, unknown> | undefined;
        count += (n(d?.maxLength) || 64) * width;
      }
      count += Math.max(1, n(e.layers) || TRANSFORMER_DEFAULTS.layers) * transformerLayer(width, n(e.ffn) || TRANSFORMER_DEFAULTS.ffnPerWidth * width) + 2 * width;
    } else {
      const h = n(e.hidden), layers = Math.max(1, n(e.layers) || 1);
      for (let i = 0; i < layers; i++) { count += birnn(e.type, inDim, h); inDim = 2 * h; }
      width = 2 * h;
      const att = e.attention as Record<string, unknown> | undefined;
      if (att && typeof att === 'object') {
        // Query, key and value projections; 'add' projects back to the recurrent width.
        const dim = n(att.dim);
        count += 3 * dense(width, dim);
        if (att.combine === 'add') count += dense(dim, width);
        else width += dim;
      }
    }
    tokenDim = width;
    sentenceDim = 2 * width;
  } else if (e?.type === 'mlp') {
    const hidden = Array.isArray(e.hidden) ? e.hidden.map(n) : [];
    let inDim = dims.inputWidth ?? 0;
    if (dims.inputWidth === undefined) complete = false;
    for (const h of hidden) { count += dense(inDim, h); inDim = h; }
    sentenceDim = inDim;
  }
  const tasks = Array.isArray(exp.tasks) ? exp.tasks : [];
  // Soft sharing: one encoder copy per task; cross-stitch: a T x T alpha per stitched depth.
  const sharing = exp.sharing as unknown as Record<string, unknown> | undefined;
  if (sharing && typeof sharing === 'object' && sharing.type === 'soft') count *= tasks.length;
  const stitch = sharing && typeof sharing === 'object' ? sharing.crossStitch as Record<string, unknown> | undefined : undefined;
  if (stitch && typeof stitch === 'object' && Array.isArray(stitch.after)) count += new Set(stitch.after).size * tasks.length * tasks.length;
  const arrows = (Array.isArray(exp.feedback) ? exp.feedback : []).filter((f) => f && f.enabled !== false);
  const outDim = (id: unknown, kind: unknown): number => {
    if (kind === 'regression') return 1;
    const d = typeof id === 'string' ? dims.outDims?.get(id) : undefined;
    if (d === undefined) { complete = false; return 0; }
    return d;
  };
  for (const t of tasks) {
    if (!t || !Array.isArray(t.blocks)) continue;
    // A language model reads the first recurrent layer's forward direction: `hidden` wide.
    let width = t.kind === 'language-model' ? n((e as { hidden?: unknown } | undefined)?.hidden)
      : t.kind === 'tagging' || (t as { tokenLevel?: boolean }).tokenLevel === true ? tokenDim : sentenceDim;
    t.blocks.forEach((b, i) => {
      const l = i + 1;
      let extra = 0;
      for (const f of arrows) {
        if (f.to !== t.id || f.combine === 'add') continue;
        const cands = f.injection === 'gumbel' ? (Array.isArray(f.candidates) ? f.candidates : t.blocks.map((_, j) => j + 1)) : [f.injection];
        if (cands.includes(l)) extra += n(f.amplifier?.units);
      }
      const u = n(b?.units);
      if (b?.type === 'bigru' || b?.type === 'bilstm') { count += birnn(b.type, width + extra, u); width = 2 * u; }
      else if (b?.type === 'transformer') {
        // Input projection [x | extra] -> units, one layer, a final norm.
        count += dense(width + extra, u) + transformerLayer(u, n(b.ffn) || TRANSFORMER_DEFAULTS.ffnPerWidth * u) + 2 * u;
        width = u;
      }
      else { count += dense(width + extra, u); width = u; }
    });
    const out = outDim(t.id, t.kind);
    count += dense(width, out);
    if ((t as { output?: string }).output === 'crf') count += out * out + 2 * out; // transitions, start, end
  }
  for (const f of arrows) {
    const src = tasks.find((t) => t && t.id === f.from);
    const inDim = src ? outDim(src.id, src.kind) : 0;
    const a = f.amplifier as unknown as Record<string, unknown> | undefined;
    const units = n(a?.units);
    if (a?.type === 'mlp') { const h = n(a.hidden) || units; count += dense(inDim, h) + dense(h, units); }
    else if (a?.type === 'label-embedding') count += inDim * units;
    else count += dense(inDim, units);
    const target = tasks.find((t) => t && t.id === f.to);
    if (f.injection === 'gumbel') count += Array.isArray(f.candidates) ? f.candidates.length : Array.isArray(target?.blocks) ? target.blocks.length : 0;
  }
  return { count: Math.round(count), complete };
}

/** `55,012,016` -> `55.0 M`. */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)} k`;
  return String(n);
}
