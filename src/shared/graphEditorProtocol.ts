/**
 * Messages between the extension host and the task-graph editor webview (`webview/graph`).
 *
 * The experiment file's TextDocument is the only truth. The webview never sends documents: it sends
 * *intents* (`graph/addFeedback`, ...) that the host turns into minimal text edits
 * (`src/editor/edits.ts`); every resulting document change comes back to every open panel as a
 * `graph/snapshot` tagged with the document version. A refused intent comes back as `graph/refused`.
 *
 * Wire format: these bodies travel inside `channel.ts` envelopes (`Channel<In, Out>`).
 */
import type { Activation, AmplifierSpec, BlockSpec, CharFeaturesSpec, FeedbackSpec, GumbelSpec, LossWeightingType, LrScheduleSpec, TaskKind, TextEncoderSpec, TrainingSpec } from './experimentTypes';

// ---------------------------------------------------------------------------------------------
// The drawing model (host -> webview)
// ---------------------------------------------------------------------------------------------

/** A position in graph units (the same units stored in the file's `layout.nodes`). */
export interface Point {
  x: number;
  y: number;
}

/** One task block h^n as written in the file. Fields the file lacks are `undefined`. */
export interface GraphBlock {
  /** 1-based block number n of h^n. */
  n: number;
  type: string;
  units?: number;
  activation?: string;
  dropout?: number;
  /** `transformer` blocks: attention heads and feed-forward width. */
  heads?: number;
  ffn?: number;
}

/** One task as written in the file (read leniently: a half-typed task still draws). */
export interface GraphTask {
  id: string;
  /** Index in the file's `tasks` array. */
  index: number;
  kind: string;
  label?: string;
  title?: string;
  lossWeight?: number;
  /** `output` as written (tagging: 'softmax' or 'crf'). */
  output?: string;
  /** `tokenLevel` and `vote` as written (classification over text). */
  tokenLevel?: boolean;
  vote?: string;
  blocks: GraphBlock[];
}

/** One feedback arrow as written in the file. */
export interface GraphArrow {
  id: string;
  /** Index in the file's `feedback` array. */
  index: number;
  from: string;
  to: string;
  amplifier: { type: string; units?: number; hidden?: number; activation?: string };
  /** Fixed 1-based block or `gumbel`; `undefined` when the file has neither. */
  injection?: number | 'gumbel';
  candidates?: number[];
  /** As written; the trainer's default is `concat`. */
  combine?: string;
  /** As written; the trainer's default is `true`. */
  enabled?: boolean;
}

/** Global settings as written in the file; missing values are `undefined` (defaults apply). */
export interface GraphSettings {
  iterations?: number;
  convergence: { beta?: number; lambda?: number; startK?: number; dropoutMasks?: string };
  gumbel: { tau0?: number; tauMin?: number; anneal?: string; hard?: boolean; annealEpochs?: number };
  training: {
    epochs?: number; batchSize?: number; learningRate?: number; optimizer?: string; seed?: number;
    /** `training.lrSchedule` as written (absent: constant rate). */
    lrSchedule?: { decay?: string; warmupSteps?: number };
    /** `training.weightAveraging` as written (absent: the trained weights are scored). */
    weightAveraging?: { decay?: number };
  };
  /** `lossWeighting` as written (type and the options of its type). */
  lossWeighting: { type?: string; temperature?: number; gamma?: number; alpha?: number; learningRate?: number };
  /**
   * `sharing` as written: the type (absent = hard), soft sharing's l2, the cross-stitch depths
   * (whole numbers only) and the initial self weight.
   */
  sharing: { type?: string; l2?: number; crossStitch?: { after: number[]; self?: number } };
  /**
   * The encoder's options as written (text encoders: the type, word representation and the type's
   * own sizes; `mlp` only its type).
   */
  encoder: {
    type?: string; embeddingDim?: number; wordDropout?: number; chars?: { embeddingDim?: number; filters?: number; widths?: number[] };
    hidden?: number; layers?: number; dropout?: number;
    /** `cnn` */
    filters?: number; widths?: number[]; activation?: string;
    /** `transformer` */
    width?: number; heads?: number; ffn?: number; positions?: string;
  };
}

/**
 * What the graph draws: a lenient, normalised reading of the experiment text (no defaults filled
 * in, so the inspector can tell "as written" from "default"). Built by `src/editor/graphModel.ts`.
 */
export interface GraphModel {
  name: string;
  /** Short encoder description, e.g. `BiGRU 64×2` or `MLP 32-16`. */
  encoder: string;
  tasks: GraphTask[];
  arrows: GraphArrow[];
  settings: GraphSettings;
  /** `layout.nodes` from the file: node id -> position. */
  layout: Record<string, Point>;
}

/** A JSON syntax error of the text, with a 1-based line and column. */
export interface TextIssue {
  message: string;
  line: number;
  column: number;
  offset: number;
  length: number;
}

/**
 * A semantic problem (structurally the same as `ExperimentIssue` of `experiment.ts`): the JSON path
 * lets the webview put it on the offending node or arrow.
 */
export interface GraphIssue {
  path: (string | number)[];
  pathText: string;
  message: string;
  severity: 'error' | 'warning';
}

/** Latest-run figures drawn on the graph. */
export interface GraphBadges {
  runId: string;
  /** e.g. `completed`, `running`, `stopped`. */
  status: string;
  /**
   * task id -> the latest run's headline figure (`shared/metrics/headline.ts`): validation value at
   * the best-validation checkpoint, `text` as drawn (`acc 93.1`), the test value of the same
   * checkpoint when scored, and `label` in words for tooltips and the inspector.
   */
  tasks: Record<string, { metric: string; value: number; text: string; label: string; test?: number; testText?: string }>;
  /** Where every task figure comes from: `valid, best epoch 7`. */
  where?: string;
  /** arrow id -> learned gate distribution (Gumbel arrows) and its argmax. */
  arrows: Record<string, { blocks: number[]; probs: number[]; argmax: number; prob: number }>;
}

// ---------------------------------------------------------------------------------------------
// Host -> webview
// ---------------------------------------------------------------------------------------------

/** The full state for one document version; sent on `webview/ready` and after every change. */
export interface SnapshotMessage {
  type: 'graph/snapshot';
  /** `TextDocument.version` this snapshot was derived from. */
  version: number;
  /** File name for titles and labels. */
  fileName: string;
  /** The drawing model; absent when the text is not parseable JSON (then `parseErrors` is non-empty). */
  model?: GraphModel;
  /** JSON syntax errors; while non-empty the webview keeps its last good drawing read-only. */
  parseErrors: TextIssue[];
  /** `validateExperiment` issues of a parseable text. */
  issues: GraphIssue[];
  badges?: GraphBadges;
}

/** Run figures changed (a run is progressing); the document did not. */
export interface BadgesMessage {
  type: 'graph/badges';
  badges?: GraphBadges;
}

/** An intent could not be applied; nothing in the document changed. */
export interface RefusedMessage {
  type: 'graph/refused';
  /** The refused intent's type, e.g. `graph/addFeedback`. */
  intent: IntentMessage['type'];
  /** Why, in words for the user (e.g. "intent already feeds slots (arrow intent_to_slots)"). */
  reason: string;
  /** Node or arrow id where the refusal is shown, when there is one. */
  at?: string;
}

/** An intent was applied; `note` tells about side effects (e.g. arrows removed with a task). */
export interface AppliedMessage {
  type: 'graph/applied';
  intent: IntentMessage['type'];
  /** Document version after the edit. */
  version: number;
  note?: string;
  /** Id of a newly created task or arrow, so the webview can select it. */
  created?: string;
}

/**
 * A command of the graph editor run from VS Code (palette, keybinding, walkthrough): zoom to fit,
 * or start adding feedback from the selected task (else the first task).
 */
export interface GraphCommandMessage {
  type: 'graph/command';
  command: 'fit' | 'addFeedback';
}

/** Host -> graph webview. */
export type HostToGraphMessage = SnapshotMessage | BadgesMessage | RefusedMessage | AppliedMessage | GraphCommandMessage;

// ---------------------------------------------------------------------------------------------
// Webview -> host
// ---------------------------------------------------------------------------------------------

/** The webview's script is running; the host answers with a `graph/snapshot`. */
export interface ReadyMessage {
  type: 'webview/ready';
}

/** Fields every intent carries. */
interface IntentBase {
  /** Document version the webview saw; informative (intents name things by id, not offset). */
  baseVersion: number;
}

/** Add a feedback arrow `from` task output -> `to` task. */
export interface AddFeedbackIntent extends IntentBase {
  type: 'graph/addFeedback';
  from: string;
  to: string;
  /** Fixed 1-based block of `to`, or `gumbel` to learn it over all blocks. */
  injection: number | 'gumbel';
  /** Default: `{ type: 'linear', units: 16 }`. */
  amplifier?: AmplifierSpec;
}

export interface DeleteFeedbackIntent extends IntentBase {
  type: 'graph/deleteFeedback';
  id: string;
}

/** A partial update; `null` removes the key from the file (so its default applies). */
export type Patch<T> = { [K in keyof T]?: T[K] | null };

/** Change an arrow's amplifier, injection, candidates, combine mode or enabled flag. */
export interface UpdateFeedbackIntent extends IntentBase {
  type: 'graph/updateFeedback';
  id: string;
  patch: Patch<Pick<FeedbackSpec, 'injection' | 'candidates' | 'combine' | 'enabled'>> & {
    amplifier?: Patch<AmplifierSpec>;
  };
}

/** Append a task (with one dense block). `id` default: `task`, `task-2`, ... */
export interface AddTaskIntent extends IntentBase {
  type: 'graph/addTask';
  id?: string;
  kind: TaskKind;
  /** Label source; default `label` (tagging: `seq.out`); a `language-model` task gets none. */
  label?: string;
}

/** Remove a task, the arrows that start or end at it, and its layout positions (one undo step). */
export interface RemoveTaskIntent extends IntentBase {
  type: 'graph/removeTask';
  id: string;
}

/** Rename a task: its id, every arrow's from/to, layout keys and the early-stopping metric. */
export interface RenameTaskIntent extends IntentBase {
  type: 'graph/renameTask';
  id: string;
  newId: string;
}

/** Change a task's kind, label, title, loss weight or output options (null removes the key: its default). */
export interface UpdateTaskIntent extends IntentBase {
  type: 'graph/updateTask';
  id: string;
  patch: { kind?: TaskKind; label?: string; title?: string | null; lossWeight?: number | null; output?: 'crf' | null; tokenLevel?: true | null; vote?: 'majority' | null };
}

/** Insert a block into a task (default: on top, `at` = m + 1); later block numbers shift up. */
export interface AddBlockIntent extends IntentBase {
  type: 'graph/addBlock';
  taskId: string;
  /** 1-based position of the new block. */
  at?: number;
  block?: BlockSpec;
}

/** Remove block `block` (1-based) of a task; arrows pointing past it are renumbered. */
export interface RemoveBlockIntent extends IntentBase {
  type: 'graph/removeBlock';
  taskId: string;
  block: number;
}

export interface UpdateBlockIntent extends IntentBase {
  type: 'graph/updateBlock';
  taskId: string;
  block: number;
  /** A type other than `transformer` drops `heads` and `ffn`. */
  patch: { type?: BlockSpec['type']; units?: number; activation?: Activation | null; dropout?: number | null; heads?: number | null; ffn?: number | null };
}

/** Global settings: K, beta, lambda, Gumbel temperatures, training. */
export interface UpdateSettingsIntent extends IntentBase {
  type: 'graph/updateSettings';
  patch: {
    iterations?: number;
    convergence?: { beta?: number; lambda?: number; startK?: 0 | 1 | null };
    gumbel?: Patch<GumbelSpec>;
    training?: Patch<Pick<TrainingSpec, 'epochs' | 'batchSize' | 'learningRate' | 'optimizer' | 'seed'>> & {
      /** null removes the schedule (constant rate); an object patches its keys (null removes a key). */
      lrSchedule?: Patch<Pick<LrScheduleSpec, 'decay' | 'warmupSteps'>> | null;
      /** null removes weight averaging; an object writes its decay. */
      weightAveraging?: { decay: number } | null;
    };
    /**
     * Loss weighting: a new `type` drops the options the new type does not have; an option patches
     * its key (null removes it: its default).
     */
    lossWeighting?: { type?: LossWeightingType; temperature?: number | null; gamma?: number | null; alpha?: number | null; learningRate?: number | null };
    /**
     * Parameter sharing: `type` 'hard' removes `type` and `l2` (hard is the default, l2 is soft's);
     * 'soft' writes it. `l2` / `self` patch their key (null removes it: its default). `crossStitch`
     * null removes the units, an object writes its `after` / `self`. A `sharing` left empty is removed.
     */
    sharing?: { type?: 'hard' | 'soft'; l2?: number | null; crossStitch?: { after?: number[]; self?: number | null } | null };
    /**
     * A text encoder: a new `type` (text encoders only) drops the options the new type does not
     * have and writes its required sizes when missing (BiGRU/BiLSTM hidden 64, CNN filters 64,
     * Transformer width 128 with 4 heads); each option patches its key (null removes it: its
     * default). chars null removes the character features, {} adds them with defaults.
     */
    encoder?: {
      type?: TextEncoderSpec['type'];
      wordDropout?: number | null; chars?: Patch<Pick<CharFeaturesSpec, 'embeddingDim' | 'filters'>> | null;
      embeddingDim?: number; hidden?: number; layers?: number | null; dropout?: number | null;
      filters?: number; widths?: number[] | null; activation?: Activation | null;
      width?: number; heads?: number; ffn?: number | null; positions?: 'sinusoidal' | 'learned' | null;
    };
  };
}

/** Dragged node positions (node id -> position), saved in `layout.nodes`. */
export interface MoveNodesIntent extends IntentBase {
  type: 'graph/moveNodes';
  positions: Record<string, Point>;
}

/** Every intent: each becomes one WorkspaceEdit (one undo step) or one `graph/refused`. */
export type IntentMessage =
  | AddFeedbackIntent
  | DeleteFeedbackIntent
  | UpdateFeedbackIntent
  | AddTaskIntent
  | RemoveTaskIntent
  | RenameTaskIntent
  | UpdateTaskIntent
  | AddBlockIntent
  | RemoveBlockIntent
  | UpdateBlockIntent
  | UpdateSettingsIntent
  | MoveNodesIntent;

/** An intent before the webview stamps it with `baseVersion`. */
export type IntentDraft = IntentMessage extends infer I ? (I extends IntentMessage ? Omit<I, 'baseVersion'> : never) : never;

/** Open the same document as text beside the graph. */
export interface ShowTextMessage {
  type: 'graph/showText';
}

/** Graph webview -> host. */
export type GraphToHostMessage = ReadyMessage | IntentMessage | ShowTextMessage;

/** Node id of block n of a task (also the layout key). */
export function blockNodeId(taskId: string, n: number): string {
  return `${taskId}/${n}`;
}

/** The encoder's node id (also the layout key). */
export const ENCODER_NODE_ID = 'encoder';

/** Node id (and layout key) of a task's own encoder copy under soft sharing. */
export function encoderCopyId(taskId: string): string {
  return `${ENCODER_NODE_ID}@${taskId}`;
}
