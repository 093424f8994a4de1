/**
 * Linear-chain CRF over a tagging task's emission scores (the head's per-token logits), as in
 * Lample et al. 2016 and the CRF outputs of the SLU baselines:
 *
 *   score(x, y) = start[y_1] + sum_t e_t[y_t] + sum_{t>1} trans[y_{t-1}, y_t] + end[y_n]
 *   NLL(x, y)   = logsumexp_{y'} score(x, y') - score(x, y)
 *
 * over the n real tokens of each sentence (padding is never part of a path). A token whose gold tag
 * is unknown (-1: a tag seen only outside train) is left free: the gold term is then the logsumexp
 * over the paths that agree with every known tag, so such a sentence still trains its other tokens.
 *
 * The trainer's backends are synchronous, so the forward algorithm, its gradient (marginals minus
 * gold indicators, by forward-backward) and Viterbi run on the host — no per-timestep tfjs ops.
 * Transitions enter through exp(trans - max) once per call, so the C x C work per token is
 * multiply-adds, not exps (logsumexp by the max-shift trick per row). Two paths, tested equal:
 * per sentence in float64 (any tags; the reference), and time-major over the batch in float32 with
 * the C x C work as matrix products on OpenBLAS when the native kernels are loaded (3-5x faster on
 * SNIPS shapes: B 32, T 12, C 72). Viterbi (max-plus, no product form) is per sentence.
 */
import * as tf from '@tensorflow/tfjs-core';
import { nativeKernels } from '../native/nativeKernels';

/** CRF parameters as host arrays: trans [C*C] (row = previous tag), start [C], end [C]. */
export interface CrfParams { C: number; trans: ArrayLike<number>; start: ArrayLike<number>; end: ArrayLike<number> }

/**
 * The parameters as float64 arrays (one element type in every hot loop, so V8 keeps them
 * monomorphic), with exp(trans - max(trans)) and that max: the shift keeps every factor <= 1.
 */
interface Prepared { C: number; trans: Float64Array; start: Float64Array; end: Float64Array; E: Float64Array; tmax: number }

function prepare(p: CrfParams): Prepared {
  const C = p.C;
  const trans = Float64Array.from(p.trans), start = Float64Array.from(p.start), end = Float64Array.from(p.end);
  let tmax = -Infinity;
  for (let i = 0; i < C * C; i++) tmax = Math.max(tmax, trans[i]);
  const E = new Float64Array(C * C);
  for (let i = 0; i < E.length; i++) E[i] = Math.exp(trans[i] - tmax);
  return { C, trans, start, end, E, tmax };
}

/** No constraint on a position: every tag allowed. */
const FREE = -1;

/**
 * Forward algorithm for one sentence: alpha [n*C] (log space) into `alpha`, returns log Z.
 * `e` holds the sentence's emissions from offset `eo` with row stride C; `gold` (optional)
 * constrains position t to gold[go + t] when that is >= 0 (the constrained partition function).
 */
function forwardPass(p: Prepared, e: Float64Array, eo: number, n: number, alpha: Float64Array,
  acc: Float64Array, gold: Int32Array | null, go: number): number {
  const { C, E, tmax, start } = p;
  const g0 = gold ? gold[go] : FREE;
  for (let j = 0; j < C; j++) alpha[j] = g0 < 0 || g0 === j ? start[j] + e[eo + j] : -Infinity;
  for (let t = 1; t < n; t++) {
    const prev = (t - 1) * C, cur = t * C;
    let m = -Infinity;
    for (let i = 0; i < C; i++) if (alpha[prev + i] > m) m = alpha[prev + i];
    acc.fill(0);
    // acc_j = sum_i exp(alpha_i - m) E_ij, row by row (contiguous).
    for (let i = 0; i < C; i++) {
      const ui = Math.exp(alpha[prev + i] - m);
      if (ui === 0) continue;
      const row = i * C;
      for (let j = 0; j < C; j++) acc[j] += ui * E[row + j];
    }
    const gt = gold ? gold[go + t] : FREE;
    const base = m + tmax, eRow = eo + cur;
    for (let j = 0; j < C; j++) alpha[cur + j] = gt < 0 || gt === j ? base + Math.log(acc[j]) + e[eRow + j] : -Infinity;
  }
  const last = (n - 1) * C;
  let m = -Infinity;
  for (let j = 0; j < C; j++) { const v = alpha[last + j] + p.end[j]; if (v > m) m = v; }
  let s = 0;
  for (let j = 0; j < C; j++) s += Math.exp(alpha[last + j] + p.end[j] - m);
  return m + Math.log(s);
}

/**
 * Adds sign * (marginals) of one sentence to the gradient arrays: per-token marginals into dE (at
 * offset eo), expected transition counts into dT, first/last marginals into dS/dEnd. `alpha` and
 * `logZ` are from `forwardPass` with the same `gold` constraint.
 */
function addMarginals(p: Prepared, e: Float64Array, eo: number, n: number, alpha: Float64Array, logZ: number, sign: number,
  g: Gradients, beta: Float64Array, u: Float64Array, v: Float64Array, gold: Int32Array | null, go: number): void {
  const { C, E, tmax } = p;
  const gl = gold ? gold[go + n - 1] : FREE;
  for (let i = 0; i < C; i++) beta[(n - 1) * C + i] = gl < 0 || gl === i ? p.end[i] : -Infinity;
  for (let t = n - 1; t >= 1; t--) {
    const cur = t * C, prev = (t - 1) * C;
    // v_j = exp(e_t(j) + beta_t(j) - mb): shared by beta_{t-1} and the pair marginals at t.
    let mb = -Infinity;
    for (let j = 0; j < C; j++) { const x = e[eo + cur + j] + beta[cur + j]; if (x > mb) mb = x; }
    for (let j = 0; j < C; j++) v[j] = Math.exp(e[eo + cur + j] + beta[cur + j] - mb);
    let ma = -Infinity;
    for (let i = 0; i < C; i++) if (alpha[prev + i] > ma) ma = alpha[prev + i];
    for (let i = 0; i < C; i++) u[i] = Math.exp(alpha[prev + i] - ma);
    const pairScale = sign * Math.exp(ma + mb + tmax - logZ);
    const gp = gold ? gold[go + t - 1] : FREE;
    const dT = g.dT;
    for (let i = 0; i < C; i++) {
      let s = 0;
      const row = i * C;
      const ui = u[i] * pairScale;
      if (ui !== 0) {
        for (let j = 0; j < C; j++) { const f = E[row + j] * v[j]; s += f; dT[row + j] += ui * f; }
      } else {
        for (let j = 0; j < C; j++) s += E[row + j] * v[j];
      }
      beta[prev + i] = gp < 0 || gp === i ? mb + tmax + Math.log(s) : -Infinity;
    }
  }
  for (let t = 0; t < n; t++) {
    for (let j = 0; j < C; j++) {
      const a = alpha[t * C + j];
      if (a === -Infinity) continue;
      const q = sign * Math.exp(a + beta[t * C + j] - logZ);
      g.dE[eo + t * C + j] += q;
      if (t === 0) g.dS[j] += q;
      if (t === n - 1) g.dEnd[j] += q;
    }
  }
}

/** Gradients of the summed NLL: emissions [B*T*C], trans [C*C], start [C], end [C]. */
export interface Gradients { dE: Float64Array; dT: Float64Array; dS: Float64Array; dEnd: Float64Array }

/** The score of one tag path (all tags known). */
export function pathScore(p: CrfParams, e: ArrayLike<number>, eo: number, tags: ArrayLike<number>, go: number, n: number): number {
  const C = p.C;
  let s = p.start[tags[go]] + p.end[tags[go + n - 1]];
  for (let t = 0; t < n; t++) {
    s += e[eo + t * C + tags[go + t]];
    if (t > 0) s += p.trans[tags[go + t - 1] * C + tags[go + t]];
  }
  return s;
}

/** log Z of one sentence (logsumexp of the score over every path). */
export function logPartition(p: CrfParams, e: ArrayLike<number>, eo: number, n: number): number {
  const q = prepare(p);
  const C = p.C;
  return forwardPass(q, Float64Array.from(e), eo, n, new Float64Array(n * C), new Float64Array(C), null, 0);
}

/** Result of {@link crfNllHost}. */
export interface CrfNll {
  /** Sum over sentences of the NLL. */
  total: number;
  /** Gradients of `total` (with `withGrad`). */
  grad?: Gradients;
}

/** What the forward algorithm keeps for the gradient (see {@link crfForward}). */
export interface CrfForward {
  total: number;
  B: number; T: number;
  q: Prepared; e: Float64Array; gold: Int32Array; lengths: Int32Array;
  /** Per sentence: alpha [T*C] at offset b*T*C, log Z, and the constrained pass when a tag is unknown. */
  alpha: Float64Array; logZ: Float64Array; constrained: Map<number, { alpha: Float64Array; logZ: number }>;
}

/**
 * Summed NLL of a batch by the forward algorithm: emissions [B,T,C] (row-major), tags [B*T] (-1 =
 * unknown or padding), lengths [B]. Sentences of length 0 or with no known tag add nothing. Keeps
 * the alphas so that {@link crfBackward} only runs the backward half.
 */
export function crfForward(p: CrfParams, emissions: ArrayLike<number>, tags: ArrayLike<number>, lengths: ArrayLike<number>, B: number, T: number): CrfForward {
  const C = p.C;
  const q = prepare(p);
  const e = Float64Array.from(emissions);
  const gold = Int32Array.from(tags);
  const lens = Int32Array.from(lengths, (n) => Math.min(n, T));
  const alpha = new Float64Array(B * T * C), logZ = new Float64Array(B);
  const constrained = new Map<number, { alpha: Float64Array; logZ: number }>();
  const acc = new Float64Array(C);
  let total = 0;
  for (let b = 0; b < B; b++) {
    const n = lens[b];
    const eo = b * T * C, go = b * T;
    let known = 0;
    for (let t = 0; t < n; t++) {
      if (gold[go + t] >= C) gold[go + t] = FREE; // an id outside the head's tags: unknown
      if (gold[go + t] >= 0) known++;
    }
    if (n === 0 || known === 0) { lens[b] = 0; continue; }
    const a = alpha.subarray(eo, eo + T * C);
    logZ[b] = forwardPass(q, e, eo, n, a, acc, null, 0);
    if (known === n) {
      total += logZ[b] - pathScore(q, e, eo, gold, go, n);
    } else {
      // Unknown tags stay free: the gold term is the partition function over consistent paths.
      const ag = new Float64Array(T * C);
      const lg = forwardPass(q, e, eo, n, ag, acc, gold, go);
      constrained.set(b, { alpha: ag, logZ: lg });
      total += logZ[b] - lg;
    }
  }
  return { total, B, T, q, e, gold, lengths: lens, alpha, logZ, constrained };
}

/** Gradients of the summed NLL of {@link crfForward}: marginals minus the gold (or constrained) ones. */
export function crfBackward(f: CrfForward): Gradients {
  const { B, T, q, e, gold } = f;
  const C = q.C;
  const g: Gradients = { dE: new Float64Array(B * T * C), dT: new Float64Array(C * C), dS: new Float64Array(C), dEnd: new Float64Array(C) };
  const beta = new Float64Array(T * C), u = new Float64Array(C), v = new Float64Array(C);
  for (let b = 0; b < B; b++) {
    const n = f.lengths[b];
    if (n === 0) continue;
    const eo = b * T * C, go = b * T;
    addMarginals(q, e, eo, n, f.alpha.subarray(eo, eo + T * C), f.logZ[b], 1, g, beta, u, v, null, 0);
    const c = f.constrained.get(b);
    if (c) {
      addMarginals(q, e, eo, n, c.alpha, c.logZ, -1, g, beta, u, v, gold, go);
    } else {
      for (let t = 0; t < n; t++) {
        const y = gold[go + t];
        g.dE[eo + t * C + y] -= 1;
        if (t > 0) g.dT[gold[go + t - 1] * C + y] -= 1;
      }
      g.dS[gold[go]] -= 1;
      g.dEnd[gold[go + n - 1]] -= 1;
    }
  }
  return g;
}

/** Summed NLL of a batch (see {@link crfForward}), with its gradients when `withGrad`. */
export function crfNllHost(p: CrfParams, emissions: ArrayLike<number>, tags: ArrayLike<number>, lengths: ArrayLike<number>, B: number, T: number, withGrad: boolean): CrfNll {
  const f = crfForward(p, emissions, tags, lengths, B, T);
  return { total: f.total, grad: withGrad ? crfBackward(f) : undefined };
}

// ---------------------------------------------------------------------------------------------
// Time-major batch path: every timestep of every sentence at once, the C x C work as matrix products.

/** out[M,N] = op(a) op(b), row-major; op transposes when the flag is set (a: [M,K] or [K,M]). */
export type Gemm = (transA: boolean, transB: boolean, M: number, N: number, K: number, a: Float32Array, b: Float32Array, out: Float32Array) => void;

/** The same products in plain loops (tests, and a reference for the native one). */
export const jsGemm: Gemm = (tA, tB, M, N, K, a, b, out) => {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (tA ? a[k * M + i] : a[i * K + k]) * (tB ? b[j * K + k] : b[k * N + j]);
      out[i * N + j] = s;
    }
  }
};

/** What {@link crfForwardBatched} keeps for {@link crfBackwardBatched}. */
export interface CrfBatchForward {
  total: number;
  B: number; T: number; C: number;
  E: Float32Array; tmax: number; trans: Float32Array; start: Float32Array; end: Float32Array;
  e: Float32Array; gold: Int32Array; lengths: Int32Array;
  /** alpha [T,B,C] (time-major), log Z [B]. */
  alpha: Float32Array; logZ: Float64Array;
}

/**
 * The forward algorithm for a whole batch in time-major order: per timestep one [B,C] x [C,C]
 * product (exp(alpha - max) times exp(trans - max)), so with OpenBLAS the C² work per token costs
 * about as much as a dense layer. float32 like the rest of the model; every tag must be known
 * (`crfNll` takes the per-sentence float64 path for a batch with unknown tags).
 */
export function crfForwardBatched(p: CrfParams, emissions: Float32Array, tags: ArrayLike<number>, lengths: ArrayLike<number>, B: number, T: number, gemm: Gemm): CrfBatchForward {
  const C = p.C;
  const trans = Float32Array.from(p.trans), start = Float32Array.from(p.start), end = Float32Array.from(p.end);
  let tmax = -Infinity;
  for (let i = 0; i < C * C; i++) tmax = Math.max(tmax, trans[i]);
  const E = new Float32Array(C * C);
  for (let i = 0; i < E.length; i++) E[i] = Math.exp(trans[i] - tmax);
  const e = emissions;
  const gold = Int32Array.from(tags);
  const lens = Int32Array.from(lengths, (n) => Math.min(n, T));
  let Tmax = 0;
  for (let b = 0; b < B; b++) Tmax = Math.max(Tmax, lens[b]);
  const alpha = new Float32Array(T * B * C);
  const U = new Float32Array(B * C), acc = new Float32Array(B * C), m = new Float64Array(B);
  for (let b = 0; b < B; b++) for (let j = 0; j < C; j++) alpha[b * C + j] = start[j] + e[b * T * C + j];
  for (let t = 1; t < Tmax; t++) {
    const prev = (t - 1) * B * C, cur = t * B * C;
    for (let b = 0; b < B; b++) {
      let mb = -Infinity;
      for (let i = 0; i < C; i++) if (alpha[prev + b * C + i] > mb) mb = alpha[prev + b * C + i];
      m[b] = mb;
      for (let i = 0; i < C; i++) U[b * C + i] = Math.exp(alpha[prev + b * C + i] - mb);
    }
    gemm(false, false, B, C, C, U, E, acc);
    for (let b = 0; b < B; b++) {
      const base = m[b] + tmax, eo = (b * T + t) * C;
      for (let j = 0; j < C; j++) alpha[cur + b * C + j] = base + Math.log(acc[b * C + j]) + e[eo + j];
    }
  }
  const logZ = new Float64Array(B);
  let total = 0;
  for (let b = 0; b < B; b++) {
    const n = lens[b];
    if (n === 0) continue;
    const last = (n - 1) * B * C + b * C;
    let mb = -Infinity;
    for (let j = 0; j < C; j++) mb = Math.max(mb, alpha[last + j] + end[j]);
    let sum = 0;
    for (let j = 0; j < C; j++) sum += Math.exp(alpha[last + j] + end[j] - mb);
    logZ[b] = mb + Math.log(sum);
    let score = start[gold[b * T]] + end[gold[b * T + n - 1]];
    for (let t = 0; t < n; t++) {
      score += e[(b * T + t) * C + gold[b * T + t]];
      if (t > 0) score += trans[gold[b * T + t - 1] * C + gold[b * T + t]];
    }
    total += logZ[b] - score;
  }
  return { total, B, T, C, E, tmax, trans, start, end, e, gold, lengths: lens, alpha, logZ };
}

/** Gradients of {@link crfForwardBatched}'s NLL (marginals minus gold), time-major with products. */
export function crfBackwardBatched(f: CrfBatchForward, gemm: Gemm): Gradients {
  const { B, T, C, E, tmax, e, gold, lengths, alpha, logZ } = f;
  const g: Gradients = { dE: new Float64Array(B * T * C), dT: new Float64Array(C * C), dS: new Float64Array(C), dEnd: new Float64Array(C) };
  let Tmax = 0;
  for (let b = 0; b < B; b++) Tmax = Math.max(Tmax, lengths[b]);
  const beta = new Float32Array(T * B * C);
  for (let b = 0; b < B; b++) {
    const n = lengths[b];
    if (n > 0) for (let i = 0; i < C; i++) beta[(n - 1) * B * C + b * C + i] = f.end[i];
  }
  const V = new Float32Array(B * C), U = new Float32Array(B * C), S = new Float32Array(B * C), P = new Float32Array(C * C);
  const mb = new Float64Array(B);
  for (let t = Tmax - 1; t >= 1; t--) {
    const cur = t * B * C, prev = (t - 1) * B * C;
    for (let b = 0; b < B; b++) {
      const row = b * C;
      if (t >= lengths[b]) { V.fill(0, row, row + C); U.fill(0, row, row + C); continue; }
      const eo = (b * T + t) * C;
      let x = -Infinity;
      for (let j = 0; j < C; j++) x = Math.max(x, e[eo + j] + beta[cur + row + j]);
      mb[b] = x;
      for (let j = 0; j < C; j++) V[row + j] = Math.exp(e[eo + j] + beta[cur + row + j] - x);
      let ma = -Infinity;
      for (let i = 0; i < C; i++) ma = Math.max(ma, alpha[prev + row + i]);
      const scale = Math.exp(ma + x + tmax - logZ[b]);
      for (let i = 0; i < C; i++) U[row + i] = Math.exp(alpha[prev + row + i] - ma) * scale;
    }
    // beta_{t-1}[b,i] = mb + tmax + log sum_j E[i,j] V[b,j]; pair marginals sum_b U[b,i] E[i,j] V[b,j].
    gemm(false, true, B, C, C, V, E, S);
    gemm(true, false, C, C, B, U, V, P);
    for (let b = 0; b < B; b++) {
      if (t >= lengths[b]) continue;
      const row = b * C;
      for (let i = 0; i < C; i++) beta[prev + row + i] = mb[b] + tmax + Math.log(S[row + i]);
    }
    for (let k = 0; k < C * C; k++) g.dT[k] += P[k] * E[k];
  }
  for (let b = 0; b < B; b++) {
    const n = lengths[b];
    for (let t = 0; t < n; t++) {
      const o = t * B * C + b * C, eo = (b * T + t) * C;
      for (let j = 0; j < C; j++) {
        const q = Math.exp(alpha[o + j] + beta[o + j] - logZ[b]);
        g.dE[eo + j] += q;
        if (t === 0) g.dS[j] += q;
        if (t === n - 1) g.dEnd[j] += q;
      }
      const y = gold[b * T + t];
      g.dE[eo + y] -= 1;
      if (t > 0) g.dT[gold[b * T + t - 1] * C + y] -= 1;
    }
    if (n > 0) { g.dS[gold[b * T]] -= 1; g.dEnd[gold[b * T + n - 1]] -= 1; }
  }
  return g;
}

/** OpenBLAS products through the native kernels, when they are loaded. */
function nativeGemm(): Gemm | undefined {
  const n = nativeKernels();
  if (!n) return undefined;
  return (tA, tB, M, N, K, a, b, out) => n.sgemmBatch(tA ? 1 : 0, tB ? 1 : 0, 1, M, N, K, a, 0, b, 0, out, 0);
}

/**
 * Viterbi decoding: the highest-scoring tag path of every sentence, into out [B*T] (0 on padding).
 */
export function viterbiHost(p: CrfParams, emissions: ArrayLike<number>, lengths: ArrayLike<number>, B: number, T: number, out: Int32Array | Float32Array): void {
  const C = p.C;
  const q = prepare(p);
  const e = Float64Array.from(emissions);
  const trans = q.trans;
  const score = new Float64Array(C);
  const next = new Float64Array(C);
  const back = new Int32Array(T * C);
  for (let b = 0; b < B; b++) {
    const n = Math.min(lengths[b], T);
    const eo = b * T * C, go = b * T;
    for (let t = 0; t < T; t++) out[go + t] = 0;
    if (n === 0) continue;
    for (let j = 0; j < C; j++) score[j] = q.start[j] + e[eo + j];
    for (let t = 1; t < n; t++) {
      // Row by row (contiguous): next_j = max_i score_i + trans_ij; first maximiser wins ties.
      const bo = t * C;
      next.fill(-Infinity);
      for (let i = 0; i < C; i++) {
        const si = score[i], row = i * C;
        for (let j = 0; j < C; j++) {
          const s = si + trans[row + j];
          if (s > next[j]) { next[j] = s; back[bo + j] = i; }
        }
      }
      for (let j = 0; j < C; j++) score[j] = next[j] + e[eo + t * C + j];
    }
    let best = -Infinity, y = 0;
    for (let j = 0; j < C; j++) {
      const s = score[j] + q.end[j];
      if (s > best) { best = s; y = j; }
    }
    for (let t = n - 1; t >= 0; t--) {
      out[go + t] = y;
      if (t > 0) y = back[t * C + y];
    }
  }
}

/**
 * The CRF's summed NLL as a differentiable tfjs op of emissions [B,T,C], trans [C,C], start [C] and
 * end [C]; tags and lengths are host arrays. The value is computed on the host (alpha pass only);
 * the gradient (forward-backward) only when the tape asks for it.
 */
export function crfNll(emissions: tf.Tensor3D, trans: tf.Tensor2D, start: tf.Tensor1D, end: tf.Tensor1D,
  tags: Int32Array, lengths: ArrayLike<number>): tf.Scalar {
  const [B, T, C] = emissions.shape;
  const f = tf.customGrad((...args) => {
    const [e, tr, s, en] = (args.slice(0, 4) as tf.Tensor[]).map((x) => x.dataSync() as Float32Array);
    const p: CrfParams = { C, trans: tr, start: s, end: en };
    // With the native kernels, the time-major path (matrix products on OpenBLAS) when every real
    // token's tag is known; else the per-sentence float64 path (it also handles unknown tags).
    const gemm = nativeGemm();
    let backward: () => Gradients;
    let total: number;
    if (gemm && allTagsKnown(tags, lengths, B, T, C)) {
      const fwd = crfForwardBatched(p, e, tags, lengths, B, T, gemm);
      total = fwd.total;
      backward = () => crfBackwardBatched(fwd, gemm);
    } else {
      const fwd = crfForward(p, e, tags, lengths, B, T);
      total = fwd.total;
      backward = () => crfBackward(fwd);
    }
    return {
      value: tf.scalar(total),
      gradFunc: (dy: tf.Tensor) => {
        const g = dy.dataSync()[0];
        const grad = backward();
        const scaled = (a: Float64Array) => Float32Array.from(a, (x) => x * g);
        return [
          tf.tensor3d(scaled(grad.dE), [B, T, C]), tf.tensor2d(scaled(grad.dT), [C, C]),
          tf.tensor1d(scaled(grad.dS)), tf.tensor1d(scaled(grad.dEnd)),
        ];
      },
    };
  });
  return f(emissions, trans, start, end) as tf.Scalar;
}

/** Whether every real token of every sentence has a known tag (0..C-1). */
export function allTagsKnown(tags: ArrayLike<number>, lengths: ArrayLike<number>, B: number, T: number, C: number): boolean {
  for (let b = 0; b < B; b++) {
    const n = Math.min(lengths[b], T);
    for (let t = 0; t < n; t++) { const y = tags[b * T + t]; if (!(y >= 0 && y < C)) return false; }
  }
  return true;
}

/** Viterbi tags [B,T] as float32 (0 on padding) of emissions [B,T,C] under the given CRF weights. */
export function crfDecode(emissions: tf.Tensor3D, trans: tf.Tensor2D, start: tf.Tensor1D, end: tf.Tensor1D, mask: tf.Tensor2D): tf.Tensor2D {
  const [B, T, C] = emissions.shape;
  const m = mask.dataSync();
  const lengths = new Int32Array(B);
  for (let b = 0; b < B; b++) { let n = 0; for (let t = 0; t < T; t++) n += m[b * T + t] > 0 ? 1 : 0; lengths[b] = n; }
  const out = new Float32Array(B * T);
  viterbiHost({ C, trans: trans.dataSync(), start: start.dataSync(), end: end.dataSync() }, emissions.dataSync(), lengths, B, T, out);
  return tf.tensor2d(out, [B, T]);
}
