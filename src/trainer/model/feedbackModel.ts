/**
 * The feedback-MTL model (Xi et al. 2024): a shared encoder, one tower of blocks + head per task,
 * and feedback arrows that carry a task's output through an amplifier into a block of another task.
 *
 * Sharing (`exp.sharing`): `hard` (default) builds one encoder every task reads; `soft` one copy per
 * task (`encoders/<task>/...`, own dropout masks, all starting from the hard encoder's initial
 * values) tied by the penalty `tie()` (`softSharing.ts`). Cross-stitch units (`crossStitch.ts`) mix
 * the towers' outputs after the chosen block depths, in every pass: the towers then run in
 * lock-step, depth by depth. A task stitched to a fed task changes between passes even when no
 * arrow reaches it; `receivesFeedback` and `firstFedBlock` count that too.
 *
 * forward(): the encoder (or each copy) runs once; then the towers run K + 1 times. Pass 0 gets zero feedback and
 * gives y^0; pass k (1..K) feeds y^(k-1) of every source through its arrows and gives y^k (all tasks
 * update together from the previous pass). Task losses use the final logits (pass K); the iterates
 * feed the convergence loss. Gradients flow through all passes unless `training.stopGradient`.
 * A task that no arrow reaches gives the same output in every pass, so its tower runs once.
 *
 * Level alignment: a token -> sentence arrow amplifies each token's output, then averages over the
 * real (non-pad) tokens; a sentence -> token arrow amplifies once and repeats the signal over tokens.
 * A `tokenLevel` classification task outputs per sentence but runs its tower per token: arrows from
 * it carry a sentence signal, arrows into it are repeated over tokens.
 * A `language-model` task's tower reads the encoder's causal states (`EncoderOutput.causal`), so its
 * prediction at token t has seen tokens <= t only — unless an arrow from a task that read the whole
 * sentence feeds into it (validation warns; the run log says its perplexity is then not an LM's).
 * Combine `concat` widens the block input by the amplifier's units; `add` adds the signal to it.
 * With a Gumbel gate, candidate block l receives gate_l * amp(y) and the other candidates get zero.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SHARING_DEFAULTS, type Experiment, type FeedbackSpec, type TaskKind, type TaskLevel } from '../../shared/experimentTypes';
import { taskLevel, towerLevel } from '../../shared/experimentTypes';
import { UNK_ID, type Batch, type DataShape } from '../../data/types';
import { Rng } from '../../shared/rng';
import { amplifiers, type Amplifier } from './amplifier';
import { blocks as blockRegistry, type Block } from './block';
import { Dropout, type BatchTensors, type ForwardCtx } from './context';
import { encoders, type Encoder } from './encoder';
import { headName, heads, type Head } from './head';
import { injections, type Injection } from './injection';
import { broadcastTokens, lengthMask, maskedMean, stopGradient } from './layers';
import { ParamScope, type NamedVariable } from './params';
import { CrossStitch } from './crossStitch';
import { correspondingParameters, tiePenalty } from './softSharing';
import './gradients';
// Plug-ins register themselves on import.
import './mlpEncoder';
import './bigruEncoder';
import './cnnEncoder';
import './transformerEncoder';
import { lossWeightings, type LossWeighting } from './lossWeighting';
import './uncertaintyWeighting';
import './dwaWeighting';
import './dtpWeighting';
import './gradNormWeighting';
import { dict } from '../../shared/dict';

/** A weight by its path name (checkpoints, `getWeights`/`setWeights`). */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** One task as built. */
export interface TaskModel {
  id: string;
  kind: TaskKind;
  /** Level of the output y (what feedback arrows from this task carry). */
  level: TaskLevel;
  /** Level at which the blocks and the head run (token for a `tokenLevel` classification task). */
  towerLevel: TaskLevel;
  /** The encoder this task reads (the shared one, or its own copy under soft sharing). */
  encoder: Encoder;
  /** What the tower reads from the encoder: token states, the causal token states (a language model), or the sentence vector. */
  input: 'tokens' | 'causal' | 'sentence';
  /** Classes (tags) or 1 for regression. */
  outDim: number;
  blocks: Block[];
  head: Head;
  /**
   * Whether the task's output can change between passes: an enabled arrow reaches it, or a
   * cross-stitch unit joins it to a task that changes (otherwise its tower runs once per step).
   */
  receivesFeedback: boolean;
  /** Lowest 1-based block whose input can change between passes (blocks below it run once per step). */
  firstFedBlock: number;
}

/** One enabled feedback arrow as built. */
export interface ArrowModel {
  id: string;
  spec: FeedbackSpec;
  from: TaskModel;
  to: TaskModel;
  amplifier: Amplifier;
  injection: Injection;
  combine: 'concat' | 'add';
  /** Whether the arrow has a learnable gate. */
  gumbel: boolean;
}

export interface ForwardOptions {
  training: boolean;
  /** Gumbel temperature (training). */
  tau?: number;
  /** Global step: seeds this step's dropout masks and Gumbel noise, so runs (and resumes) repeat. */
  step?: number;
}

/** Outputs of one task in one forward pass. */
export interface TaskForward {
  /** y^0..y^K: probabilities [B,C] / [B,T,C], or values [B,1] for regression. */
  iterates: tf.Tensor[];
  /** Logits (or value) of the final pass K. */
  logits: tf.Tensor;
  /** Logits of passes 0..K (what `Head.decode` turns into the answer of each pass). */
  passLogits: tf.Tensor[];
}

export interface ForwardResult {
  tasks: Record<string, TaskForward>;
  /** Gate weights used in this pass per Gumbel arrow [L] (a sample in training, one-hot in eval). */
  gates: Record<string, tf.Tensor1D>;
  batch: BatchTensors;
}

/**
 * Word dropout: a copy of the token ids [B*T] in which each real token (position < its sentence's
 * length) is replaced by UNK_ID with probability `rate`, drawn from `rng` (seeded per step).
 */
export function dropWords(tokens: Int32Array, lengths: Int32Array, seqLen: number, rate: number, rng: Rng): Int32Array {
  const out = Int32Array.from(tokens);
  for (let b = 0; b < lengths.length; b++) {
    for (let t = 0; t < lengths[b]; t++) if (rng.next() < rate) out[b * seqLen + t] = UNK_ID;
  }
  return out;
}

/** The Rng of one training step (seeded by the model's seed and the global step): dropout, word dropout and Gumbel noise fork from it. */
function stepRngOf(seed: number, step: number): Rng {
  return new Rng(seed).fork(`step:${step}`);
}

/**
 * The token ids [B*T] a training step at global `step` feeds the encoder: the batch's ids with word
 * dropout at `rate` drawn as `forward` draws it (exported so the PyTorch twin in bench/ can be fed
 * the same ids).
 */
export function trainingTokenIds(batch: Batch, rate: number, seed: number, step: number): Int32Array {
  if (!batch.tokens) throw new Error('word dropout needs a text batch');
  const lengths = batch.lengths ?? new Int32Array(batch.size).fill(batch.seqLen);
  return dropWords(batch.tokens, lengths, batch.seqLen, rate, stepRngOf(seed, step).fork('wordDropout'));
}

/** One encoder as built: the shared one (`encoder`), or a task's copy (`encoders/<task>`). */
export interface EncoderCopy {
  /** Path prefix of its parameters. */
  scope: string;
  encoder: Encoder;
}

/** A built model. All tensors it returns belong to the caller's tidy scope. */
export interface FeedbackModel {
  readonly exp: Experiment;
  readonly seed: number;
  readonly tasks: readonly TaskModel[];
  readonly arrows: readonly ArrowModel[];
  /** The shared encoder (under soft sharing: the first task's copy; every copy is in `encoders`). */
  readonly encoder: Encoder;
  /** Every encoder: one under hard sharing, one per task (in `tasks` order) under soft sharing. */
  readonly encoders: readonly EncoderCopy[];
  /** Cross-stitch units by block depth (1-based; empty without `sharing.crossStitch`). */
  readonly crossStitch: ReadonlyMap<number, CrossStitch>;
  /** How the task losses are combined (`lossWeighting`); its learned parameters are among `variables`. */
  readonly weighting: LossWeighting;
  /** K (0 when no arrow is enabled: a static MTL model). */
  readonly iterations: number;
  /** Trainable variables in a fixed order (the optimizer state follows this order). */
  readonly variables: tf.Variable[];
  readonly namedVariables: readonly NamedVariable[];
  readonly parameterCount: number;
  forward(batch: Batch, opts: ForwardOptions): ForwardResult;
  /**
   * Soft sharing's penalty l2 * sum_(i<j) ||theta_i - theta_j||^2 over the encoder copies (part of
   * the objective); null under hard sharing. Inside the caller's tidy.
   */
  tie(): tf.Scalar | null;
  /** softmax(logits) per Gumbel arrow: the learned block preference, without noise. */
  gateProbs(): Record<string, tf.Tensor1D>;
  /** The live variables by name (clone before keeping them past a weight update). */
  getWeights(): NamedTensor[];
  /** Assigns weights by name; throws a clear message if a name is missing or a shape differs. */
  setWeights(weights: readonly NamedTensor[]): void;
  dispose(): void;
}

/** The batch as tensors; `droppedIds`: the token ids after word dropout (training), else the batch's own. */
export function batchTensors(batch: Batch, droppedIds: Int32Array | null): BatchTensors {
  const bt: BatchTensors = { size: batch.size, seqLen: batch.seqLen };
  if (batch.tokens) {
    const lengths = batch.lengths ?? new Int32Array(batch.size).fill(batch.seqLen);
    const ids = droppedIds ?? batch.tokens;
    bt.tokens = tf.tensor2d(ids, [batch.size, batch.seqLen], 'int32');
    bt.mask = tf.tensor2d(lengthMask(lengths, batch.seqLen), [batch.size, batch.seqLen]);
    if (batch.chars && batch.charLengths && batch.wordLen) {
      const n = batch.size * batch.seqLen;
      // A padding token gets one (pad) character, so every word's max-pool has a real position.
      const charLens = Int32Array.from(batch.charLengths, (l) => Math.max(1, l));
      bt.chars = tf.tensor2d(batch.chars, [n, batch.wordLen], 'int32');
      bt.charMask = tf.tensor2d(lengthMask(charLens, batch.wordLen), [n, batch.wordLen]);
    }
  }
  if (batch.features) bt.features = tf.tensor2d(batch.features, [batch.size, batch.featureDim]);
  return bt;
}

/**
 * Builds the model for an experiment (with defaults applied) and prepared data. `seed` fixes every
 * initial weight; dropout and Gumbel noise are derived from it and the step in `forward`.
 */
export function buildModel(exp: Experiment, data: DataShape, seed: number): FeedbackModel {
  const root = ParamScope.root(seed);
  try {
    return build(exp, data, seed, root);
  } catch (e) {
    // Do not leak the variables of a half-built model.
    for (const v of root.allVariables) v.variable.dispose();
    throw e;
  }
}

function build(exp: Experiment, data: DataShape, seed: number, root: ParamScope): FeedbackModel {
  const sharing = exp.sharing ?? { type: SHARING_DEFAULTS.type };
  const soft = sharing.type === 'soft';
  const makeEncoder = encoders.get(exp.encoder.type);
  const copies: EncoderCopy[] = soft
    ? exp.tasks.map((t) => ({ scope: `encoders/${t.id}`, encoder: makeEncoder(exp.encoder, data, root.scopeDrawnAs(`encoders/${t.id}`, 'encoder')) }))
    : [{ scope: 'encoder', encoder: makeEncoder(exp.encoder, data, root.scope('encoder')) }];
  const encoder = copies[0].encoder;
  const encoderOf = (i: number): Encoder => copies[soft ? i : 0].encoder;
  const tied = soft && copies.length > 1 ? correspondingParameters(copies.map((c) => ({ scope: c.scope, variables: c.encoder.variables }))) : null;
  const l2 = sharing.l2 ?? SHARING_DEFAULTS.l2;
  const arrowsSpec = exp.feedback.filter((f) => f.enabled !== false);
  const K = arrowsSpec.length > 0 ? exp.iterations : 0;
  if (arrowsSpec.length > 0 && !(Number.isInteger(K) && K >= 1)) {
    throw new Error(`iterations must be an integer >= 1 when feedback arrows exist (got ${exp.iterations})`);
  }
  const taskIds = new Set(exp.tasks.map((t) => t.id));
  for (const f of arrowsSpec) {
    if (!taskIds.has(f.from)) throw new Error(`feedback '${f.id}': unknown source task '${f.from}'`);
    if (!taskIds.has(f.to)) throw new Error(`feedback '${f.id}': unknown target task '${f.to}'`);
    if (f.from === f.to) throw new Error(`feedback '${f.id}': a task cannot feed back into itself`);
  }

  // Output widths first: amplifiers need the source's width, blocks need the arrows' widths.
  const outDims = new Map<string, number>();
  for (const t of exp.tasks) {
    if (t.kind === 'regression') { outDims.set(t.id, 1); continue; }
    const n = data.labelNames[t.id]?.length ?? 0;
    if (n < 1) throw new Error(`task '${t.id}': no ${t.kind === 'tagging' ? 'tags' : t.kind === 'language-model' ? 'words' : 'classes'} found in the training data`);
    outDims.set(t.id, n);
  }

  // Which arrows reach which block, and in which role.
  const candidatesOf = (f: FeedbackSpec): number[] => {
    const m = exp.tasks.find((t) => t.id === f.to)!.blocks.length;
    const c = f.injection === 'gumbel' ? (f.candidates ?? Array.from({ length: m }, (_, i) => i + 1)) : [f.injection];
    for (const l of c) {
      if (!Number.isInteger(l) || l < 1 || l > m) {
        throw new Error(`feedback '${f.id}': block ${l} is out of range: task '${f.to}' has ${m} block${m === 1 ? '' : 's'}`);
      }
    }
    return c;
  };
  const candidates = new Map(arrowsSpec.map((f) => [f.id, candidatesOf(f)]));

  const tasks: TaskModel[] = exp.tasks.map((t, ti) => {
    const level = taskLevel(t.kind);
    const tower = towerLevel(t);
    const scope = root.scope(`tasks/${t.id}`);
    const encoder = encoderOf(ti);
    let width: number;
    const input: TaskModel['input'] = t.kind === 'language-model' ? 'causal' : tower === 'token' ? 'tokens' : 'sentence';
    if (input === 'causal') {
      if (encoder.causalDim === undefined) throw new Error(`task '${t.id}' is a language model: it must not see the word it predicts, and encoder '${exp.encoder.type}' gives no causal states (use 'bigru' or 'bilstm': the model reads their first layer's forward direction)`);
      width = encoder.causalDim;
    } else if (tower === 'token') {
      if (encoder.tokenDim === undefined) throw new Error(`task '${t.id}' ${level === 'token' ? 'tags tokens' : 'predicts at every token'}, but encoder '${exp.encoder.type}' gives no per-token states`);
      width = encoder.tokenDim;
    } else {
      width = encoder.outDim;
    }
    const blocks: Block[] = t.blocks.map((b, i) => {
      const l = i + 1;
      if (input === 'causal' && b.type !== 'dense') throw new Error(`task '${t.id}' block ${l}: a '${b.type}' block reads the whole sentence, so a language model would see the word it predicts; its blocks must be 'dense' (per token)`);
      let extraDim = 0;
      for (const f of arrowsSpec) {
        if (f.to !== t.id || !candidates.get(f.id)!.includes(l)) continue;
        if ((f.combine ?? 'concat') === 'concat') extraDim += f.amplifier.units;
        else if (f.amplifier.units !== width) {
          throw new Error(`feedback '${f.id}': combine 'add' needs amplifier.units = the input width of ${t.id} block ${l} (${width}), got ${f.amplifier.units}; use 'concat' or set units to ${width}`);
        }
      }
      const block = blockRegistry.get(b.type)(b, { level: tower, inDim: width, extraDim, site: `${t.id}/block${l}` }, scope.scope(`block${l}`));
      width = block.outDim;
      return block;
    });
    const head = heads.get(headName(t))({ inDim: width, outDim: outDims.get(t.id)!, task: t }, scope.scope('head'));
    const fed = arrowsSpec.filter((f) => f.to === t.id).flatMap((f) => candidates.get(f.id)!);
    return {
      id: t.id, kind: t.kind, level, towerLevel: tower, encoder, input, outDim: head.outDim, blocks, head,
      receivesFeedback: fed.length > 0, firstFedBlock: fed.length ? Math.min(...fed) : t.blocks.length + 1,
    };
  });
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const crossStitch = buildCrossStitch(exp, tasks, root);

  const arrows: ArrowModel[] = arrowsSpec.map((f) => {
    const from = byId.get(f.from)!;
    const scope = root.scope(`feedback/${f.id}`);
    const amplifier = amplifiers.get(f.amplifier.type)(f.amplifier, { inDim: from.outDim, probabilities: from.head.probabilities, where: `feedback '${f.id}'` }, scope.scope('amplifier'));
    const gumbel = f.injection === 'gumbel';
    const injection = injections.get(gumbel ? 'gumbel' : 'fixed')({ candidates: candidates.get(f.id)!, gumbel: exp.gumbel }, scope.scope('gate'));
    return { id: f.id, spec: f, from, to: byId.get(f.to)!, amplifier, injection, combine: f.combine ?? 'concat', gumbel };
  });

  const weighting = lossWeightings.get(exp.lossWeighting?.type ?? 'fixed')(exp.lossWeighting ?? { type: 'fixed' }, {
    tasks: exp.tasks.map((t) => ({ id: t.id, kind: t.kind, lossWeight: t.lossWeight ?? 1 })),
    scope: root.scope('lossWeighting'),
  });

  const namedVariables = root.allVariables;
  const variables = namedVariables.map((v) => v.variable);
  const parameterCount = variables.reduce((n, v) => n + v.size, 0);
  const maskMode = exp.convergence.dropoutMasks ?? 'shared';
  const stopGrad = exp.training.stopGradient === true;

  /** The deepest tower's block count (the lock-step loop's bound). */
  const maxDepth = Math.max(0, ...tasks.map((t) => t.blocks.length));

  function forward(batch: Batch, opts: ForwardOptions): ForwardResult {
    const stepRng = opts.training ? stepRngOf(seed, opts.step ?? 0) : null;
    const bt = batchTensors(batch, stepRng && encoder.wordDropout && batch.tokens ? trainingTokenIds(batch, encoder.wordDropout, seed, opts.step ?? 0) : null);
    const dropout = new Dropout(stepRng ? stepRng.fork('dropout') : null, maskMode);
    const gateRng = stepRng ? stepRng.fork('gumbel') : null;
    const ctx = (iteration: number): ForwardCtx => ({ training: opts.training, batch: bt, dropout, iteration });

    // Each encoder once per step; a soft copy draws its own dropout masks (sites under its scope).
    const encOut = copies.map((c) => c.encoder.apply(soft ? { ...ctx(0), dropout: dropout.under(`${c.scope}/`) } : ctx(0)));
    const gates: Record<string, tf.Tensor1D> = dict();
    const gateParts = new Map<string, tf.Scalar[]>();
    for (const a of arrows) {
      const g = a.injection.gate({ training: opts.training, tau: opts.tau ?? exp.gumbel.tau0, rng: gateRng });
      // One slice per candidate, not tf.unstack: Unpack's gradient throws when one of its outputs
      // gets no gradient (e.g. a pass that never reads that gate entry).
      if (g) { gates[a.id] = g; gateParts.set(a.id, a.injection.candidates.map((_, i) => tf.reshape(tf.slice(g, [i], [1]), []) as tf.Scalar)); }
    }

    const out: Record<string, TaskForward> = dict();
    // Raw outputs (before any cross-stitch) of every task's blocks in pass 0. Blocks below a task's
    // first fed block see the same input in every pass, and with shared dropout masks give the same
    // result, so later passes reuse them (and hand the first fed block the same input tensor).
    const raw0 = new Map<string, tf.Tensor[]>(tasks.map((t) => [t.id, []]));
    const reusePrefix = maskMode === 'shared' || !opts.training;
    let prev: Map<string, tf.Tensor> | null = null;
    for (let k = 0; k <= K; k++) {
      // Feedback signals of this pass, per (task, block): concat parts in arrow order, add parts.
      const concatIn = new Map<string, tf.Tensor[]>();
      const addIn = new Map<string, tf.Tensor[]>();
      if (prev) {
        for (const a of arrows) {
          let y = prev.get(a.from.id)!;
          if (stopGrad) y = stopGradient(y);
          let s = a.amplifier.apply(y);
          if (a.from.level === 'sentence' && a.to.towerLevel === 'token') s = broadcastTokens(s, bt.seqLen);
          else if (a.from.level === 'token' && a.to.towerLevel === 'sentence') s = maskedMean(s, bt.mask!);
          const parts = gateParts.get(a.id);
          a.injection.candidates.forEach((l, i) => {
            const key = `${a.to.id}/${l}`;
            const v = parts ? tf.mul(s, parts[i]) : s;
            const m = a.combine === 'concat' ? concatIn : addIn;
            if (!m.has(key)) m.set(key, []);
            m.get(key)!.push(v);
          });
        }
      }
      const next = new Map<string, tf.Tensor>();
      // Tasks whose output cannot change repeat pass 0's.
      const live = k === 0 ? tasks : tasks.filter((t) => t.receivesFeedback);
      for (const t of tasks) {
        if (live.includes(t)) continue;
        const y = out[t.id].iterates[0];
        out[t.id].iterates.push(y);
        out[t.id].passLogits.push(out[t.id].passLogits[0]);
        next.set(t.id, y);
      }
      const c = ctx(k);
      const h = new Map<string, tf.Tensor>(live.map((t) => {
        const e = encOut[soft ? tasks.indexOf(t) : 0];
        return [t.id, t.input === 'causal' ? e.causal! : t.input === 'tokens' ? e.tokens! : e.sentence];
      }));
      /** Block l of task t in this pass: reused from pass 0 below the first fed block, else run. */
      const runBlock = (t: TaskModel, l: number): void => {
        const raws = raw0.get(t.id)!;
        let y: tf.Tensor;
        if (k > 0 && reusePrefix && l < t.firstFedBlock) y = raws[l - 1];
        else {
          let x = h.get(t.id)!;
          const key = `${t.id}/${l}`;
          const adds = addIn.get(key);
          if (adds) x = tf.addN([x, ...adds]);
          const cat = concatIn.get(key);
          const extra = cat ? (cat.length === 1 ? cat[0] : tf.concat(cat, -1)) : null;
          y = t.blocks[l - 1].apply(x, extra, c);
        }
        if (k === 0) raws.push(y);
        h.set(t.id, y);
      };
      if (crossStitch.size === 0) {
        // Tower by tower (the order dropout masks are drawn in).
        for (const t of live) for (let l = 1; l <= t.blocks.length; l++) runBlock(t, l);
      } else {
        // Depth by depth over all live towers, so a cross-stitch unit sees every task's output there.
        for (let l = 1; l <= maxDepth; l++) {
          for (const t of live) if (l <= t.blocks.length) runBlock(t, l);
          const unit = crossStitch.get(l);
          if (!unit) continue;
          // A tower that does not run in this pass has the same output at depth l as in pass 0.
          const mixed = unit.apply(tasks.map((t) => h.get(t.id) ?? raw0.get(t.id)![l - 1]));
          tasks.forEach((t, i) => { if (h.has(t.id)) h.set(t.id, mixed[i]); });
        }
      }
      for (const t of live) {
        const logits = t.head.logits(h.get(t.id)!);
        const y = t.head.output(logits, bt.mask);
        if (!out[t.id]) out[t.id] = { iterates: [], logits, passLogits: [] };
        out[t.id].iterates.push(y);
        out[t.id].passLogits.push(logits);
        out[t.id].logits = logits;
        next.set(t.id, y);
      }
      prev = next;
    }
    return { tasks: out, gates, batch: bt };
  }

  return {
    exp, seed, tasks, arrows, encoder, encoders: copies, crossStitch, weighting, iterations: K, variables, namedVariables, parameterCount, forward,
    tie: () => (tied ? tiePenalty(tied, l2) : null),
    gateProbs() {
      const r: Record<string, tf.Tensor1D> = dict();
      for (const a of arrows) { const p = a.injection.probs(); if (p) r[a.id] = p; }
      return r;
    },
    getWeights: () => namedVariables.map((v) => ({ name: v.name, tensor: v.variable })),
    setWeights(weights) {
      const given = new Map(weights.map((w) => [w.name, w.tensor]));
      const missing = namedVariables.filter((v) => !given.has(v.name)).map((v) => v.name);
      if (missing.length) throw new Error(`the checkpoint does not fit this model: missing ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`);
      for (const v of namedVariables) {
        const t = given.get(v.name)!;
        if (t.shape.join('x') !== v.variable.shape.join('x')) {
          throw new Error(`the checkpoint does not fit this model: '${v.name}' has shape [${t.shape}] there, [${v.variable.shape}] here`);
        }
      }
      for (const v of namedVariables) v.variable.assign(given.get(v.name)!);
    },
    dispose() {
      for (const v of namedVariables) v.variable.dispose();
    },
  };
}

/**
 * The cross-stitch units of `sharing.crossStitch` (one per depth in `after`), after checking that
 * every tower has that block and that all outputs there have the same level and width (validate()
 * says the same with a location); widens `receivesFeedback` / `firstFedBlock` to the tasks the
 * units join to a fed one.
 */
function buildCrossStitch(exp: Experiment, tasks: TaskModel[], root: ParamScope): Map<number, CrossStitch> {
  const spec = exp.sharing?.crossStitch;
  const units = new Map<number, CrossStitch>();
  if (!spec) return units;
  if (tasks.length < 2) throw new Error(`sharing.crossStitch joins task towers, but the experiment has ${tasks.length} task`);
  const describe = (t: TaskModel, l: number) => `${t.id} block ${l} (${t.towerLevel} level, width ${t.blocks[l - 1].outDim})`;
  for (const l of [...new Set(spec.after)].sort((a, b) => a - b)) {
    const short = tasks.find((t) => !Number.isInteger(l) || l < 1 || l > t.blocks.length);
    if (short) throw new Error(`sharing.crossStitch.after ${l}: task '${short.id}' has ${short.blocks.length} block${short.blocks.length === 1 ? '' : 's'}`);
    const [a] = tasks;
    const odd = tasks.find((t) => t.towerLevel !== a.towerLevel || t.blocks[l - 1].outDim !== a.blocks[l - 1].outDim);
    if (odd) throw new Error(`sharing.crossStitch.after ${l}: ${describe(a, l)} and ${describe(odd, l)} cannot be stitched (same level and width needed)`);
    units.set(l, new CrossStitch(root.scope(`crossStitch/after${l}`), tasks.length, spec.self ?? SHARING_DEFAULTS.self));
  }
  // A unit at depth d passes a change of any task at or below d to every task from block d + 1 on.
  const firstChange = Math.min(...tasks.map((t) => (t.receivesFeedback ? t.firstFedBlock : Infinity)));
  const d = [...units.keys()].find((l) => l >= firstChange);
  if (d !== undefined) {
    for (const t of tasks) { t.receivesFeedback = true; t.firstFedBlock = Math.min(t.firstFedBlock, d + 1); }
  }
  return units;
}
