/**
 * The experiment document (`*.fmtl.json`): the types only. Parsing, defaults and validation live in
 * `experiment.ts`; the JSON Schema VS Code uses is `media/fmtl.schema.json` and must agree with this.
 *
 * Conventions: block numbers are 1-based (h^1..h^m, as in the paper); paths are relative to the
 * experiment file; every id is unique within its list and matches /^[A-Za-z_][\w-]*$/.
 */

/** Root of an experiment file. */
export interface Experiment {
  /** Optional pointer to the JSON schema (ignored by the trainer). */
  $schema?: string;
  /** Human name; used in run folder names. */
  name: string;
  description?: string;
  data: DataSpec;
  encoder: EncoderSpec;
  tasks: TaskSpec[];
  /** Feedback arrows: task output -> amplifier -> a block of another task. May be empty (static MTL). */
  feedback: FeedbackSpec[];
  /** K: number of feedback iterations after the zero-feedback pass y^0. K >= 1 when arrows exist. */
  iterations: number;
  convergence: ConvergenceSpec;
  gumbel: GumbelSpec;
  training: TrainingSpec;
  lossWeighting: LossWeightingSpec;
  /**
   * How the tasks share the encoder (and whether their towers are cross-stitched); absent = one
   * encoder every task reads (hard sharing), no cross-stitch.
   */
  sharing?: SharingSpec;
  /** Graph editor positions; not read by the trainer. */
  layout?: LayoutSpec;
}

/** Where the data comes from. */
export type DataSpec = SluDataSpec | CsvDataSpec | JsonlDataSpec | ConllDataSpec;

/** Options of every text format (SLU folders, JSONL with a text field, CoNLL columns). */
export interface TextDataOptions {
  /** Lower-case tokens before the vocabulary lookup (default true). */
  lowercase?: boolean;
  /** Tokens seen fewer times than this in train map to <unk> (default 1). */
  minFreq?: number;
  /** Truncate longer sentences (default 64). */
  maxLength?: number;
  /** Use only the first N training examples (handy for quick looks; default all). */
  limitTrain?: number;
}

/** Split files inside the folder `path` (JSONL, CoNLL); `test` may be absent. */
export interface SplitFiles { train: string; valid: string; test?: string }

/** Fractions held out for validation and test from one file, drawn with a seeded RNG. */
export interface SplitFractions { valid: number; test: number; seed?: number }

/**
 * JSON Lines: one JSON object per line (blank lines allowed). Input: a `text` field (a string split
 * on whitespace, or an array of tokens) or tabular fields (`features` numeric, `categorical`
 * strings). Each task's `label` names a field: a string (or integer) class, a number for regression,
 * an array of tags (one per token) for tagging; `null` = missing (masked), an absent field is an error.
 * Splits: `path` is a folder and `splits` names a file per split, or `path` is one file split at
 * random by `split` fractions (default 0.15 / 0.15).
 */
export interface JsonlDataSpec extends TextDataOptions {
  format: 'jsonl';
  path: string;
  splits?: SplitFiles;
  split?: SplitFractions;
  /** Field holding the text (text input). */
  text?: string;
  /** Numeric fields (tabular input; standardised with train statistics; null -> train mean). */
  features?: string[];
  /** String fields one-hot encoded over train values (tabular input). */
  categorical?: string[];
}

/**
 * CoNLL-style column files: one token per line, whitespace-separated columns, a blank line between
 * sentences, `-DOCSTART-` lines skipped. Lines before a sentence's first token that start with
 * `commentPrefix` are comments; `<prefix> key = value` gives the sentence a label `key` (e.g.
 * `# intent = PlayMusic`) that a classification task names as its `label`. A tagging task's
 * `label` names its tag column: a 0-based index ("3") or a name from `columns`.
 */
export interface ConllDataSpec extends TextDataOptions {
  format: 'conll';
  path: string;
  splits?: SplitFiles;
  split?: SplitFractions;
  /** Names of the columns, in order (e.g. ["token", "pos", "chunk", "ner"]); optional. */
  columns?: string[];
  /** The token column: 0-based index or a name from `columns` (default 0). */
  token?: number | string;
  /** Start of comment and sentence-label lines (default "#"). */
  commentPrefix?: string;
}

/**
 * SLU folder layout as in `../shared/data/snips`: `<path>/<split>/seq.in`, `seq.out`, `label`.
 */
export interface SluDataSpec extends TextDataOptions {
  format: 'slu';
  /** Folder holding one sub-folder per split; relative to the experiment file. */
  path: string;
  /** Sub-folder names; default train / valid / test. `test` may be absent. */
  splits?: { train: string; valid: string; test?: string };
}

/** One CSV file; columns mapped to inputs and tasks; rows split at random with the data seed. */
export interface CsvDataSpec {
  format: 'csv';
  /** CSV path relative to the experiment file. */
  path: string;
  /** Numeric input columns (standardised with train statistics; missing -> train mean). */
  features: string[];
  /** Categorical input columns (one-hot over train values; unseen -> all zeros). */
  categorical?: string[];
  /** Fractions held out for validation and test (defaults 0.15 / 0.15). */
  split?: SplitFractions;
  /** Cell text meaning "missing" (default "NA" and ""). Rows missing a task label are dropped for that task only (masked). */
  missing?: string[];
}

export type EncoderSpec = BiGruEncoderSpec | CnnEncoderSpec | TransformerEncoderSpec | MlpEncoderSpec;

/** Encoders over token sequences (they read the input options of {@link TextInputSpec}). */
export type TextEncoderSpec = BiGruEncoderSpec | CnnEncoderSpec | TransformerEncoderSpec;

/** `encoder.type` of the text encoders. */
export const TEXT_ENCODER_TYPES: readonly TextEncoderSpec['type'][] = ['bigru', 'bilstm', 'cnn', 'transformer'];

/** Whether an encoder reads token sequences (word embeddings, character features, word dropout). */
export function isTextEncoder(e: { type?: unknown }): e is TextEncoderSpec {
  return (TEXT_ENCODER_TYPES as readonly unknown[]).includes(e.type);
}

/** What every text encoder reads: word embeddings, optional character features, word dropout. */
export interface TextInputSpec {
  embeddingDim: number;
  /**
   * Character-level word features concatenated with each word's embedding, so a word never seen
   * in training (an `<unk>`) is still represented by its spelling. Absent = word embeddings only.
   */
  chars?: CharFeaturesSpec;
  /**
   * Word dropout: during training each real token is replaced by `<unk>` with this probability
   * (its characters are kept), so the `<unk>` embedding is trained and the model learns to lean on
   * the character features for rare words. Default 0.
   */
  wordDropout?: number;
}

/**
 * Token embedding + bidirectional recurrent layers (`bigru`: GRU cells, `bilstm`: LSTM cells, same
 * options); produces per-token states and a pooled sentence vector.
 */
export interface BiGruEncoderSpec extends TextInputSpec {
  type: 'bigru' | 'bilstm';
  /** Hidden units per direction. */
  hidden: number;
  /** Stacked BiGRU layers (default 1). */
  layers?: number;
  dropout?: number;
  /** Optional self-attention over the recurrent states (absent = none). */
  attention?: AttentionSpec;
}

/**
 * A stack of 1-D convolutions over the token embeddings ("same" padding: one output per token,
 * padding positions read as zeros); per-token states and a pooled sentence vector.
 */
export interface CnnEncoderSpec extends TextInputSpec {
  type: 'cnn';
  /** Window widths in tokens (default [3]); every layer runs one convolution per width. */
  widths?: number[];
  /** Filters per window width; a layer's output width is filters x widths.length. */
  filters: number;
  /** Stacked convolution layers (default 1). */
  layers?: number;
  /** Activation after each convolution (default relu). */
  activation?: Activation;
  dropout?: number;
}

/**
 * A small Transformer encoder (pre-layer-norm) over the token embeddings: positions added, `layers`
 * blocks of masked multi-head self-attention and a feed-forward layer, a final layer norm.
 */
export interface TransformerEncoderSpec extends TextInputSpec {
  type: 'transformer';
  /** Model width (the token states' width); a multiple of `heads`. */
  width: number;
  /** Attention heads per layer. */
  heads: number;
  /** Stacked Transformer layers (default 2). */
  layers?: number;
  /** Width of the feed-forward layer (default 4 x width). */
  ffn?: number;
  /** Dropout on the input, the attention weights and each sublayer's output (default 0). */
  dropout?: number;
  /** `sinusoidal` (default; fixed, Vaswani et al.) or `learned` (one vector per position up to data.maxLength). */
  positions?: 'sinusoidal' | 'learned';
}

/** Defaults of the `cnn` encoder's optional fields. */
export const CNN_DEFAULTS = { widths: [3], layers: 1, activation: 'relu' } as const;

/**
 * Defaults of the `transformer` encoder's and block's optional fields: 2 layers, feed-forward
 * width 4 x the model width (Vaswani et al.), sinusoidal positions; a block has 1 head unless told.
 */
export const TRANSFORMER_DEFAULTS = { layers: 2, ffnPerWidth: 4, positions: 'sinusoidal', blockHeads: 1 } as const;

/** A character CNN over each word (Ma & Hovy 2016): embed characters, convolve, max-pool over the word. */
export interface CharFeaturesSpec {
  /** Character embedding width (default 32). */
  embeddingDim?: number;
  /** Filters per window width (default 100); the word's feature width is filters x widths.length. */
  filters?: number;
  /** Window widths in characters (default [3]). */
  widths?: number[];
  /** Longer words are cut to this many characters (default 20). */
  maxWordLength?: number;
}

/** Multi-head self-attention over a text encoder's token states (padding masked). */
export interface AttentionSpec {
  heads: number;
  /** Width of queries, keys and values (all heads together); a multiple of `heads`. */
  dim: number;
  /** Dropout on the attention weights (default 0). */
  dropout?: number;
  /**
   * `concat` (default): token states become [recurrent | attention], width + dim; `add`: the
   * attention output is projected back to the recurrent width and added (residual).
   */
  combine?: 'concat' | 'add';
}

/** Dense stack over tabular features; produces a row vector. */
export interface MlpEncoderSpec {
  type: 'mlp';
  hidden: number[];
  activation?: Activation;
  dropout?: number;
}

export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'gelu' | 'linear';

/**
 * Task kinds: classification is per sentence/row, tagging per token, regression per sentence/row,
 * `language-model` per token: the next word (the last token predicts the end of the sentence),
 * over the input word vocabulary, scored by perplexity. It reads only causal encoder states (the
 * forward direction of the first recurrent layer), so its prediction at token t has seen tokens <= t.
 */
export type TaskKind = 'classification' | 'tagging' | 'regression' | 'language-model';

/** Every task kind, in the order the editor lists them. */
export const TASK_KINDS: readonly TaskKind[] = ['classification', 'tagging', 'regression', 'language-model'];

/** Granularity of a task's output; derived from kind (tagging -> token, else sentence). */
export type TaskLevel = 'sentence' | 'token';

export interface TaskSpec {
  id: string;
  kind: TaskKind;
  /**
   * Label source: for SLU data the per-split file name (`label` for intents, `seq.out` for tags);
   * for CSV the column name; for JSONL the field name; for CoNLL the tag column (index or name) of
   * a tagging task, or the sentence-label key (`# key = value`) of a classification task.
   * Absent for a `language-model` task: its targets are the sentence's own next words.
   */
  label?: string;
  /** Task-specific blocks h^1..h^m, applied in order on top of the shared encoder. */
  blocks: BlockSpec[];
  /** Fixed loss weight (default 1). */
  lossWeight?: number;
  /** Display name in the graph editor. */
  title?: string;
  /**
   * Output layer of a tagging task: `softmax` (default; each token's tag on its own) or `crf` (a
   * linear-chain CRF: learned tag transitions, sentence-level loss, Viterbi decoding).
   */
  output?: 'softmax' | 'crf';
  /**
   * Classification over text only: predict the label at every token (Stack-Propagation style). The
   * tower's blocks then run per token on the encoder's token states, the loss is each token's
   * cross-entropy against the sentence label, and the sentence prediction combines the tokens by
   * `vote`. The task's fed-back output stays one distribution per sentence. Default false.
   */
  tokenLevel?: boolean;
  /**
   * How a token-level task's tokens decide the sentence label: `mean` (default: the class with the
   * highest mean token log-probability) or `majority` (each token votes its argmax; ties go to the
   * higher mean log-probability).
   */
  vote?: 'mean' | 'majority';
}

export interface BlockSpec {
  type: 'dense' | 'bigru' | 'bilstm' | 'transformer';
  /** Output width (`bigru`/`bilstm`: per direction; `transformer`: the model width). */
  units: number;
  activation?: Activation;
  dropout?: number;
  /** `transformer` only: attention heads, a divisor of `units` (default 1). */
  heads?: number;
  /** `transformer` only: feed-forward width (default 4 x units). */
  ffn?: number;
}

export interface AmplifierSpec {
  type: 'linear' | 'mlp' | 'label-embedding';
  /** Output width of the amplifier (the size added to the target block's input). */
  units: number;
  /** Hidden width for `mlp` (default = units). */
  hidden?: number;
  activation?: Activation;
}

/** A feedback arrow from one task's output to another task's block. */
export interface FeedbackSpec {
  id: string;
  /** Source task id. */
  from: string;
  /** Target task id. */
  to: string;
  amplifier: AmplifierSpec;
  /** A fixed 1-based block number of the target task, or `gumbel` to learn it. */
  injection: number | 'gumbel';
  /** Candidate blocks for `gumbel` (1-based; default all blocks of the target). */
  candidates?: number[];
  /** How the amplified signal meets the block input (default concat). */
  combine?: 'concat' | 'add';
  /** Arrow switched off without deleting it (default true). */
  enabled?: boolean;
}

export interface ConvergenceSpec {
  /** beta in (0, 1). */
  beta: number;
  /** lambda >= 0: weight of the convergence loss. */
  lambda: number;
  /**
   * First k of the sum. The paper's formula starts at 1 (deltas y^(k+1)-y^k for k=1..K-1, so the
   * zero-feedback pass y^0 is not penalised); 0 also penalises y^1 - y^0. Default 1.
   */
  startK?: 0 | 1;
  /** Dropout masks across the K iterations of a step: `shared` (default) reuses one set, `fresh` draws new ones. */
  dropoutMasks?: 'shared' | 'fresh';
}

export interface GumbelSpec {
  tau0: number;
  tauMin: number;
  /** Annealing schedule from tau0 to tauMin (default exp). */
  anneal?: 'exp' | 'linear' | 'none';
  /**
   * Horizon of the annealing in epochs (fractions allowed): tau reaches tauMin after this many
   * epochs' steps and stays there. Default: `training.epochs`. Set it when early stopping may end
   * the run long before `training.epochs`, or tau would still be high when the run stops.
   */
  annealEpochs?: number;
  /** Straight-through hard samples (default false). */
  hard?: boolean;
}

export interface TrainingSpec {
  epochs: number;
  batchSize: number;
  optimizer: 'adam' | 'sgd' | 'rmsprop';
  learningRate: number;
  seed: number;
  /** Stop gradients through the fed-back outputs (default false: gradients flow through all iterations). */
  stopGradient?: boolean;
  /** Clip gradients by global norm (default none). */
  clipNorm?: number;
  /** Learning-rate schedule (default: constant `learningRate`). */
  lrSchedule?: LrScheduleSpec;
  /** Evaluate an exponential moving average of the weights (default: the weights as trained). */
  weightAveraging?: WeightAveragingSpec;
  earlyStopping?: EarlyStoppingSpec;
  /** Emit iteration deltas / gate probabilities every N steps (default 10). */
  logEvery?: number;
}

/**
 * Learning rate over training: a linear warm-up from 0 over `warmupSteps`, then `decay`:
 * `none` keeps `learningRate`; `linear` / `cosine` go down to `learningRate x minFactor` at
 * `decayEpochs` (then stay); `plateau` multiplies the rate by `factor` each time the early-stopping
 * metric has not improved for `patience` epochs, never below `learningRate x minFactor`.
 */
export interface LrScheduleSpec {
  /** Steps of linear warm-up (default 0). */
  warmupSteps?: number;
  decay?: 'none' | 'linear' | 'cosine' | 'plateau';
  /** Horizon of `linear` / `cosine` decay in epochs (default `training.epochs`). */
  decayEpochs?: number;
  /** Floor as a fraction of `learningRate` (default 0.05). */
  minFactor?: number;
  /** `plateau`: multiplier per reduction (default 0.5). */
  factor?: number;
  /** `plateau`: epochs without improvement before a reduction (default 1). */
  patience?: number;
}

/**
 * Weight averaging (Polyak averaging as an exponential moving average): after every update
 * `avg <- d avg + (1 - d) w` with `d = min(decay, (1 + step) / (10 + step))` (the early steps count
 * less), and everything that scores the model — the valid and train metrics of each epoch, the best
 * checkpoint, the test split, predictions, `fmtl eval`/`predict`/`export` — uses `avg`. Training
 * itself goes on from `w`; checkpoints hold both, so a resumed run continues exactly.
 */
export interface WeightAveragingSpec {
  /** In (0, 1); 0.999 averages over roughly the last 1,000 steps. */
  decay: number;
}

export interface EarlyStoppingSpec {
  /** `<taskId>.<metric>` (e.g. `slots.f1`, `species.accuracy`, `mass.rmse`) or `overall` (SLU sentence accuracy). */
  metric: string;
  mode?: 'max' | 'min';
  patience: number;
}

/**
 * How the task losses become one objective (`src/trainer/model/lossWeighting.ts` and its plug-ins).
 * Every scheme weighs the task losses only; the convergence loss keeps its own weight lambda.
 */
export type LossWeightingSpec = FixedWeightingSpec | UncertaintyWeightingSpec | DwaWeightingSpec | DtpWeightingSpec | GradNormWeightingSpec;

/** `fixed`: sum of lossWeight_t * L_t (each task's `lossWeight`, default 1). */
export interface FixedWeightingSpec {
  type: 'fixed';
}

/**
 * `uncertainty` (Kendall, Gal & Cipolla 2018): a learned log-variance s_t per task, trained with the
 * model; classification/tagging exp(-s_t) L_t + s_t/2, regression exp(-s_t) L_t / 2 + s_t/2.
 */
export interface UncertaintyWeightingSpec {
  type: 'uncertainty';
}

/**
 * `dwa` (Liu, Johns & Davison 2019, Dynamic Weight Averaging): w_t = T softmax_t(r_t / temperature),
 * r_t = Lbar_t(e-1) / Lbar_t(e-2) from epoch-mean training losses; w_t = 1 in the first two epochs.
 */
export interface DwaWeightingSpec {
  type: 'dwa';
  /** Softmax temperature (default 2, the paper's). */
  temperature?: number;
}

/**
 * `dtp` (Guo et al. 2018, dynamic task prioritisation): w_t = -(1 - kappa_t)^gamma log(kappa_t), kappa_t
 * an exponential moving average of the task's training-batch accuracy. Classification and tagging only.
 */
export interface DtpWeightingSpec {
  type: 'dtp';
  /** Focusing parameter gamma >= 0 (default 1). */
  gamma?: number;
  /** Moving-average weight of the newest batch's accuracy, in (0, 1] (default 0.1). */
  alpha?: number;
}

/**
 * `gradnorm` (Chen et al. 2018): learned weights w_t (sum T) moved so that ||grad_W w_t L_t|| on the
 * encoder's top layer W approaches mean_t(||grad_W w_t L_t||) * r_t^alpha, r_t the relative inverse
 * training rate.
 */
export interface GradNormWeightingSpec {
  type: 'gradnorm';
  /** Asymmetry alpha >= 0 (default 1.5). */
  alpha?: number;
  /** Adam learning rate of the weights (default 0.025). */
  learningRate?: number;
}

export type LossWeightingType = LossWeightingSpec['type'];

/** Every loss weighting type, in the order the editor lists them. */
export const LOSS_WEIGHTING_TYPES: readonly LossWeightingType[] = ['fixed', 'uncertainty', 'dwa', 'dtp', 'gradnorm'];

/**
 * Parameter sharing between the tasks (Ruder 2017; Zhou 2019 Fig. 1). `hard`: one encoder all tasks
 * read. `soft`: every task gets its own copy of the encoder (same type and sizes, own parameters and
 * dropout masks, all copies starting from the same initial values), tied by the penalty
 * l2 * sum over task pairs i < j of ||theta_i - theta_j||^2 over every encoder parameter.
 */
export interface SharingSpec {
  /** Default 'hard'. */
  type?: 'hard' | 'soft';
  /** `soft` only: weight of the tie penalty (default 0.001; 0 = independent encoders). */
  l2?: number;
  /** Cross-stitch units between the task towers (either sharing type). */
  crossStitch?: CrossStitchSpec;
}

/**
 * Cross-stitch units (Misra et al. 2016): after block l of every task tower (l in `after`, 1-based),
 * task i continues with sum_j alpha_ij h_j, a learned T x T matrix per depth over the outputs of
 * block l of all T tasks (same level and width needed). alpha starts at `self` on the diagonal and
 * (1 - self) / (T - 1) elsewhere. In every feedback pass the towers run in lock-step by depth.
 */
export interface CrossStitchSpec {
  /** Block depths (1-based) whose outputs are stitched. */
  after: number[];
  /** Initial alpha_ii (default 0.9). */
  self?: number;
}

/** Defaults of `sharing`. */
export const SHARING_DEFAULTS = { type: 'hard', l2: 0.001, self: 0.9 } as const;

export interface LayoutSpec {
  /** Node id (task id, `encoder`, or `<taskId>/<block>`) -> position in graph units. */
  nodes?: Record<string, { x: number; y: number }>;
}

/** The data's input: token sequences (SLU, CoNLL, JSONL with `text`) or feature rows (CSV, JSONL with `features`). */
export function dataInput(d: DataSpec): 'text' | 'tabular' {
  if (d.format === 'csv') return 'tabular';
  if (d.format === 'jsonl') return d.text === undefined ? 'tabular' : 'text';
  return 'text';
}

/** Text options with their defaults (for any format; tabular data ignores them). */
export function textOptions(d: DataSpec): { lowercase: boolean; minFreq: number; maxLength: number; limitTrain?: number } {
  const t: TextDataOptions = d.format === 'csv' ? {} : d;
  return { lowercase: t.lowercase ?? true, minFreq: t.minFreq ?? 1, maxLength: t.maxLength ?? 64, limitTrain: t.limitTrain };
}

/** Level of a task's output, from its kind. */
export function taskLevel(kind: TaskKind): TaskLevel {
  return kind === 'tagging' || kind === 'language-model' ? 'token' : 'sentence';
}

/** Whether a task reads labels from the data (every kind but `language-model`, whose targets are the next words). */
export function readsLabels<T extends { kind?: TaskKind | string; label?: string }>(t: T): t is T & { label: string } {
  return t.kind !== 'language-model' && typeof t.label === 'string';
}

/** The end-of-sentence symbol a language-model task predicts after the last token (its class 0, the `<pad>` slot of the vocabulary). */
export const END_OF_SENTENCE = '</s>';

/**
 * Level at which a task's blocks and output layer run: its output level, except a token-level
 * classification task (`tokenLevel`), whose tower runs per token and whose output is per sentence.
 */
export function towerLevel(task: Pick<TaskSpec, 'kind' | 'tokenLevel'>): TaskLevel {
  return task.kind === 'classification' && task.tokenLevel === true ? 'token' : taskLevel(task.kind);
}
