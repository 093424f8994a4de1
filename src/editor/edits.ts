/**
 * Graph-editor intents -> minimal text edits of the experiment file (pure: no vscode, no DOM).
 *
 * Each intent becomes a list of non-overlapping edits of the current text (one WorkspaceEdit, one
 * undo step) or a refusal with a reason for the user. Comments and formatting outside the changed
 * values survive (see `jsonTextEditor.ts`). Intents name things by id, never by offset, so an intent
 * made against an older version still applies correctly to newer text, or is refused.
 *
 * Decisions:
 * - Removing a task removes the arrows that start or end at it and its layout positions in the same
 *   edit (one undo step brings all back); the note says which arrows went. The last task cannot go.
 * - Removing a block renumbers fixed injections, Gumbel candidates and layout keys above it. It is
 *   refused while a fixed arrow injects into exactly that block, or a Gumbel arrow has it as its only
 *   candidate (the arrow would lose its meaning silently): retarget or delete the arrow first.
 *   The last block of a task cannot go.
 * - New arrow ids are `<from>-to-<to>` (as in the samples) and new task ids `task`, with `-2`, `-3`... on collision.
 *   Arrow ids do not follow task renames: run folders refer to arrows by id.
 * - Switching an arrow to a fixed injection drops its `candidates` (they only mean something for
 *   Gumbel).
 */
import { parse } from 'jsonc-parser';
import type { ParseError } from 'jsonc-parser';
import type { Activation, BlockSpec } from '../shared/experimentTypes';
import type { IntentMessage, Point } from '../shared/graphEditorProtocol';
import { blockNodeId, ENCODER_NODE_ID } from '../shared/graphEditorProtocol';
import { assertNever } from '../shared/assertNever';
import { ID_PATTERN, LOSS_WEIGHTING_KEYS, RESERVED_TASK_IDS, TEXT_ENCODER_KEYS } from '../shared/experiment';
import { isTextEncoder, LOSS_WEIGHTING_TYPES, TASK_KINDS, TEXT_ENCODER_TYPES, type LossWeightingType, type TextEncoderSpec } from '../shared/experimentTypes';
import { JsonTextEditor } from './jsonTextEditor';
import type { Json, TextEdit } from './jsonTextEditor';

export type { TextEdit } from './jsonTextEditor';
export { applyTextEdits, invertEdits } from './jsonTextEditor';

/** Result of one intent. */
export type EditOutcome =
  | {
      ok: true;
      /** Non-overlapping edits of the input text; empty when the intent changes nothing. */
      edits: TextEdit[];
      /** Side effects worth telling the user (e.g. arrows removed with their task). */
      note?: string;
      /** Id of the created task or arrow. */
      created?: string;
    }
  | {
      ok: false;
      /** Why, for the user. */
      reason: string;
      /** Node or arrow id where to show the refusal. */
      at?: string;
    };


const ACTIVATIONS: readonly Activation[] = ['relu', 'tanh', 'sigmoid', 'gelu', 'linear'];
const AMPLIFIERS = ['linear', 'mlp', 'label-embedding'] as const;
const BLOCK_TYPES: readonly BlockSpec['type'][] = ['dense', 'bigru', 'bilstm', 'transformer'];
const OPTIMIZERS = ['adam', 'sgd', 'rmsprop'] as const;
const ANNEALS = ['exp', 'linear', 'none'] as const;
const LR_DECAYS = ['none', 'linear', 'cosine', 'plateau'] as const;

/** The default amplifier of a new arrow. */
export const DEFAULT_AMPLIFIER = { type: 'linear', units: 16 } as const;
/** The default block of a new task. */
export const DEFAULT_BLOCK = { type: 'dense', units: 64, activation: 'relu' } as const;

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const arr = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);
const isPosInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 1;

/** A lenient view of the parsed document used to check intents. */
class DocView {
  readonly tasks: { id?: string; blocks: unknown[]; raw: Obj }[];
  readonly arrows: { id?: string; from?: string; to?: string; injection: unknown; candidates?: unknown; raw: Obj }[];
  readonly layoutKeys: string[];

  constructor(readonly root: Obj) {
    this.tasks = arr(root.tasks).map((t) => (isObj(t) ? t : {})).map((t) => ({ id: str(t.id), blocks: arr(t.blocks), raw: t }));
    this.arrows = arr(root.feedback).map((f) => (isObj(f) ? f : {})).map((f) => ({
      id: str(f.id), from: str(f.from), to: str(f.to), injection: f.injection, candidates: f.candidates, raw: f,
    }));
    const nodes = isObj(root.layout) && isObj(root.layout.nodes) ? root.layout.nodes : {};
    this.layoutKeys = Object.keys(nodes);
  }

  taskIndex(id: string): number {
    return this.tasks.findIndex((t) => t.id === id);
  }

  arrowIndex(id: string): number {
    return this.arrows.findIndex((a) => a.id === id);
  }
}

class Refusal extends Error {
  constructor(readonly reason: string, readonly at?: string) {
    super(reason);
  }
}

function refuse(reason: string, at?: string): never {
  throw new Refusal(reason, at);
}

/** First of `base`, `base-2`, `base-3`, ... not in `taken`. */
export function uniqueId(base: string, taken: Iterable<string | undefined>): string {
  const set = new Set(taken);
  if (!set.has(base)) return base;
  for (let i = 2; ; i++) if (!set.has(`${base}-${i}`)) return `${base}-${i}`;
}

/**
 * Turn one intent into edits of `text`. Never throws for a bad intent: it returns `{ ok: false }`
 * with the reason.
 */
export function computeEdits(text: string, intent: IntentMessage): EditOutcome {
  const errors: ParseError[] = [];
  const root = parse(text, errors, { allowTrailingComma: true });
  if (errors.length > 0 || !isObj(root)) {
    return { ok: false, reason: 'The file has JSON syntax errors: fix the text first (the graph is read-only until then).' };
  }
  const ed = new JsonTextEditor(text);
  try {
    const r = run(ed, new DocView(root), intent);
    return { ok: true, edits: ed.edits, ...r };
  } catch (e) {
    if (e instanceof Refusal) return { ok: false, reason: e.reason, ...(e.at ? { at: e.at } : {}) };
    throw e;
  }
}

function run(ed: JsonTextEditor, doc: DocView, intent: IntentMessage): { note?: string; created?: string } {
  switch (intent.type) {
    case 'graph/addFeedback': return addFeedback(ed, doc, intent);
    case 'graph/deleteFeedback': {
      const i = doc.arrowIndex(intent.id);
      if (i < 0) refuse(`There is no arrow "${intent.id}".`);
      ed.remove(['feedback', i]);
      return {};
    }
    case 'graph/updateFeedback': return updateFeedback(ed, doc, intent);
    case 'graph/addTask': return addTask(ed, doc, intent);
    case 'graph/removeTask': return removeTask(ed, doc, intent.id);
    case 'graph/renameTask': return renameTask(ed, doc, intent.id, intent.newId);
    case 'graph/updateTask': return updateTask(ed, doc, intent);
    case 'graph/addBlock': return addBlock(ed, doc, intent);
    case 'graph/removeBlock': return removeBlock(ed, doc, intent.taskId, intent.block);
    case 'graph/updateBlock': return updateBlock(ed, doc, intent);
    case 'graph/updateSettings': return updateSettings(ed, doc, intent);
    case 'graph/moveNodes': return moveNodes(ed, doc, intent.positions);
    default: return assertNever(intent, 'intent');
  }
}

function task(doc: DocView, id: string): number {
  const i = doc.taskIndex(id);
  if (i < 0) refuse(`There is no task "${id}".`);
  return i;
}

function checkBlock(doc: DocView, ti: number, n: unknown, at?: string): number {
  const m = doc.tasks[ti].blocks.length;
  if (!isPosInt(n) || n > m) refuse(`Task "${doc.tasks[ti].id}" has no block ${String(n)} (it has h^1..h^${m}).`, at);
  return n;
}

function addFeedback(ed: JsonTextEditor, doc: DocView, it: Extract<IntentMessage, { type: 'graph/addFeedback' }>) {
  const fi = task(doc, it.from);
  const ti = task(doc, it.to);
  if (fi === ti) refuse(`A task cannot feed its own output back into itself (self-loop on "${it.from}").`, it.from);
  const dup = doc.arrows.find((a) => a.from === it.from && a.to === it.to);
  if (dup) refuse(`"${it.from}" already feeds "${it.to}" (arrow "${dup.id}"): edit that arrow instead.`, dup.id ?? it.to);
  if (it.injection !== 'gumbel') checkBlock(doc, ti, it.injection, it.to);
  if (it.amplifier) checkAmplifier(it.amplifier);
  const id = uniqueId(`${it.from}-to-${it.to}`, doc.arrows.map((a) => a.id));
  const amplifier = (it.amplifier ?? { ...DEFAULT_AMPLIFIER }) as unknown as Json;
  ed.append(['feedback'], { id, from: it.from, to: it.to, amplifier, injection: it.injection });
  return { created: id };
}

function checkAmplifier(a: { type?: unknown; units?: unknown; hidden?: unknown; activation?: unknown }) {
  if (a.type !== undefined && a.type !== null && !(AMPLIFIERS as readonly unknown[]).includes(a.type)) refuse(`Unknown amplifier type "${String(a.type)}" (use ${AMPLIFIERS.join(', ')}).`);
  if (a.units !== undefined && !isPosInt(a.units)) refuse('Amplifier units must be a whole number >= 1.');
  if (a.hidden !== undefined && a.hidden !== null && !isPosInt(a.hidden)) refuse('Amplifier hidden width must be a whole number >= 1.');
  if (a.activation !== undefined && a.activation !== null && !(ACTIVATIONS as readonly unknown[]).includes(a.activation)) refuse(`Unknown activation "${String(a.activation)}".`);
}

function updateFeedback(ed: JsonTextEditor, doc: DocView, it: Extract<IntentMessage, { type: 'graph/updateFeedback' }>) {
  const i = doc.arrowIndex(it.id);
  if (i < 0) refuse(`There is no arrow "${it.id}".`);
  const a = doc.arrows[i];
  const ti = a.to === undefined ? -1 : doc.taskIndex(a.to);
  const { amplifier, ...rest } = it.patch;
  if (rest.injection !== undefined && rest.injection !== null && rest.injection !== 'gumbel') {
    if (ti < 0) refuse(`Arrow "${it.id}" points to an unknown task "${a.to}".`, it.id);
    checkBlock(doc, ti, rest.injection, it.id);
  }
  if (rest.candidates !== undefined && rest.candidates !== null) {
    if (!Array.isArray(rest.candidates) || rest.candidates.length === 0) refuse('Pick at least one candidate block.', it.id);
    if (ti < 0) refuse(`Arrow "${it.id}" points to an unknown task "${a.to}".`, it.id);
    for (const c of rest.candidates) checkBlock(doc, ti, c, it.id);
    if (new Set(rest.candidates).size !== rest.candidates.length) refuse('Candidate blocks must be distinct.', it.id);
  }
  if (rest.combine !== undefined && rest.combine !== null && rest.combine !== 'concat' && rest.combine !== 'add') refuse(`Unknown combine mode "${String(rest.combine)}" (use concat or add).`, it.id);
  if (rest.enabled !== undefined && rest.enabled !== null && typeof rest.enabled !== 'boolean') refuse('"enabled" must be true or false.', it.id);
  if (amplifier) {
    if (amplifier.units === null) refuse('Amplifier units are required.', it.id);
    if (amplifier.type === null) refuse('Amplifier type is required.', it.id);
    checkAmplifier(amplifier);
  }
  const path = ['feedback', i];
  for (const [k, v] of Object.entries(rest)) {
    if (v === undefined) continue;
    if (v === null) ed.remove([...path, k]); else ed.set([...path, k], v as Json);
  }
  if (typeof rest.injection === 'number' && a.candidates !== undefined && rest.candidates === undefined) ed.remove([...path, 'candidates']);
  if (amplifier) {
    if (!isObj(a.raw.amplifier)) ed.set([...path, 'amplifier'], { ...DEFAULT_AMPLIFIER });
    for (const [k, v] of Object.entries(amplifier)) {
      if (v === undefined) continue;
      if (v === null) ed.remove([...path, 'amplifier', k]); else ed.set([...path, 'amplifier', k], v as Json);
    }
  }
  return {};
}

function addTask(ed: JsonTextEditor, doc: DocView, it: Extract<IntentMessage, { type: 'graph/addTask' }>) {
  if (!(TASK_KINDS as readonly string[]).includes(it.kind)) refuse(`Unknown task kind "${it.kind}".`);
  let id: string;
  if (it.id !== undefined) {
    if (!ID_PATTERN.test(it.id)) refuse(`"${it.id}" is not a valid id: start with a letter or _, then letters, digits, _ or -.`);
    if (doc.taskIndex(it.id) >= 0) refuse(`A task "${it.id}" already exists.`, it.id);
    if (RESERVED_TASK_IDS.includes(it.id)) refuse(`"${it.id}" is reserved (encoder node / overall metric).`);
    id = it.id;
  } else {
    id = uniqueId('task', doc.tasks.map((t) => t.id));
  }
  // A language model reads no label: its targets are the sentence's next words.
  const blocks = [{ ...DEFAULT_BLOCK }];
  ed.append(['tasks'], it.kind === 'language-model' ? { id, kind: it.kind, blocks } : { id, kind: it.kind, label: it.label ?? defaultLabel(it.kind), blocks });
  return { created: id };
}

/** The label source a new task of `kind` starts with (SLU file names, the common case). */
function defaultLabel(kind: string): string {
  return kind === 'tagging' ? 'seq.out' : 'label';
}

function removeTask(ed: JsonTextEditor, doc: DocView, id: string) {
  const ti = task(doc, id);
  if (doc.tasks.length === 1) refuse('An experiment needs at least one task.', id);
  const gone = doc.arrows.map((a, i) => ({ a, i })).filter(({ a }) => a.from === id || a.to === id);
  for (const { i } of [...gone].reverse()) ed.remove(['feedback', i]);
  for (const k of doc.layoutKeys) if (k === id || k.startsWith(`${id}/`)) ed.remove(['layout', 'nodes', k]);
  ed.remove(['tasks', ti]);
  const names = gone.map(({ a }) => `"${a.id}"`).join(', ');
  return gone.length ? { note: `Removed task "${id}" and ${gone.length === 1 ? 'its arrow' : `its ${gone.length} arrows`} ${names}.` } : {};
}

function renameTask(ed: JsonTextEditor, doc: DocView, id: string, newId: string) {
  const ti = task(doc, id);
  if (newId === id) return {};
  if (!ID_PATTERN.test(newId)) refuse(`"${newId}" is not a valid id: start with a letter or _, then letters, digits, _ or -.`, id);
  if (RESERVED_TASK_IDS.includes(newId)) refuse(`"${newId}" is reserved (encoder node / overall metric).`, id);
  if (doc.taskIndex(newId) >= 0) refuse(`A task "${newId}" already exists.`, id);
  ed.replace(['tasks', ti, 'id'], newId);
  doc.arrows.forEach((a, i) => {
    if (a.from === id) ed.replace(['feedback', i, 'from'], newId);
    if (a.to === id) ed.replace(['feedback', i, 'to'], newId);
  });
  for (const k of doc.layoutKeys) {
    if (k === id) ed.renameKey(['layout', 'nodes', k], newId);
    else if (k.startsWith(`${id}/`)) ed.renameKey(['layout', 'nodes', k], newId + k.slice(id.length));
  }
  const training = isObj(doc.root.training) ? doc.root.training : {};
  const es = isObj(training.earlyStopping) ? training.earlyStopping : {};
  if (typeof es.metric === 'string' && es.metric.startsWith(`${id}.`)) {
    ed.replace(['training', 'earlyStopping', 'metric'], newId + es.metric.slice(id.length));
  }
  return {};
}

function updateTask(ed: JsonTextEditor, doc: DocView, it: Extract<IntentMessage, { type: 'graph/updateTask' }>) {
  const ti = task(doc, it.id);
  const p = it.patch;
  if (p.kind !== undefined && !(TASK_KINDS as readonly string[]).includes(p.kind)) refuse(`Unknown task kind "${p.kind}".`, it.id);
  if (p.label !== undefined && (typeof p.label !== 'string' || p.label.trim() === '')) refuse('The label source cannot be empty.', it.id);
  if (p.lossWeight !== undefined && p.lossWeight !== null && !(typeof p.lossWeight === 'number' && p.lossWeight >= 0 && Number.isFinite(p.lossWeight))) refuse('Loss weight must be a number >= 0.', it.id);
  if (p.output !== undefined && p.output !== null && p.output !== 'crf') refuse(`Unknown task output "${String(p.output)}".`, it.id);
  if (p.tokenLevel !== undefined && p.tokenLevel !== null && p.tokenLevel !== true) refuse('tokenLevel is true or absent.', it.id);
  if (p.vote !== undefined && p.vote !== null && p.vote !== 'majority') refuse(`Unknown vote "${String(p.vote)}".`, it.id);
  for (const [k, v] of Object.entries(p)) {
    if (v === undefined) continue;
    if (v === null || v === '') ed.remove(['tasks', ti, k]); else ed.set(['tasks', ti, k], v as Json);
  }
  // A language model has no label; a task that stops being one needs one again.
  const raw = doc.tasks[ti].raw;
  const kind: string | undefined = p.kind;
  if (kind === 'language-model') {
    for (const k of ['label', 'output', 'tokenLevel', 'vote'] as const) if (raw[k] !== undefined && p[k] === undefined) ed.remove(['tasks', ti, k]);
  }
  else if (kind !== undefined && raw.label === undefined && p.label === undefined) ed.set(['tasks', ti, 'label'], defaultLabel(kind));
  return {};
}

/** Renumber block references of arrows into task `taskId`: `map(n)` gives the new number. */
function renumberArrows(ed: JsonTextEditor, doc: DocView, taskId: string, map: (n: number) => number | undefined) {
  doc.arrows.forEach((a, i) => {
    if (a.to !== taskId) return;
    if (typeof a.injection === 'number') {
      const n = map(a.injection);
      if (n !== undefined && n !== a.injection) ed.replace(['feedback', i, 'injection'], n);
    }
    if (Array.isArray(a.candidates)) {
      const old = a.candidates.filter((c): c is number => typeof c === 'number');
      const next = old.map(map).filter((c): c is number => c !== undefined);
      if (next.length !== a.candidates.length || next.some((c, j) => c !== old[j])) ed.replace(['feedback', i, 'candidates'], next);
    }
  });
}

function blockKeyNumber(key: string, taskId: string): number | undefined {
  if (!key.startsWith(`${taskId}/`)) return undefined;
  const n = Number(key.slice(taskId.length + 1));
  return Number.isInteger(n) ? n : undefined;
}

function addBlock(ed: JsonTextEditor, doc: DocView, it: Extract<IntentMessage, { type: 'graph/addBlock' }>) {
  const ti = task(doc, it.taskId);
  const m = doc.tasks[ti].blocks.length;
  const at = it.at ?? m + 1;
  if (!isPosInt(at) || at > m + 1) refuse(`Cannot insert a block at position ${at} (task "${it.taskId}" has ${m} blocks).`, it.taskId);
  if (it.block) checkBlockSpec(it.block, it.taskId);
  const neighbour = doc.tasks[ti].blocks[at - 2] ?? doc.tasks[ti].blocks[at - 1];
  const block = (it.block ?? (isObj(neighbour) ? neighbour : { ...DEFAULT_BLOCK })) as Json;
  renumberArrows(ed, doc, it.taskId, (n) => (n >= at ? n + 1 : n));
  const keys = doc.layoutKeys.map((k) => ({ k, n: blockKeyNumber(k, it.taskId) }))
    .filter((x): x is { k: string; n: number } => x.n !== undefined && x.n >= at)
    .sort((a, b) => b.n - a.n);
  for (const { k, n } of keys) ed.renameKey(['layout', 'nodes', k], blockNodeId(it.taskId, n + 1));
  if (Array.isArray(doc.tasks[ti].raw.blocks)) ed.insert(['tasks', ti, 'blocks'], at - 1, block);
  else ed.set(['tasks', ti, 'blocks'], [block]);
  return { created: blockNodeId(it.taskId, at) };
}

function removeBlock(ed: JsonTextEditor, doc: DocView, taskId: string, block: number) {
  const ti = task(doc, taskId);
  const at = blockNodeId(taskId, block);
  checkBlock(doc, ti, block, at);
  if (doc.tasks[ti].blocks.length === 1) refuse(`Task "${taskId}" needs at least one block.`, at);
  const fixed = doc.arrows.filter((a) => a.to === taskId && a.injection === block).map((a) => `"${a.id}"`);
  if (fixed.length) refuse(`Arrow ${fixed.join(', ')} injects into ${taskId} h^${block}: retarget or delete it first.`, at);
  const only = doc.arrows.filter((a) => a.to === taskId && a.injection === 'gumbel' && Array.isArray(a.candidates)
    && a.candidates.length === 1 && a.candidates[0] === block).map((a) => `"${a.id}"`);
  if (only.length) refuse(`Gumbel arrow ${only.join(', ')} has h^${block} as its only candidate: change its candidates first.`, at);
  renumberArrows(ed, doc, taskId, (n) => (n === block ? undefined : n > block ? n - 1 : n));
  const keys = doc.layoutKeys.map((k) => ({ k, n: blockKeyNumber(k, taskId) }))
    .filter((x): x is { k: string; n: number } => x.n !== undefined && x.n >= block)
    .sort((a, b) => a.n - b.n);
  for (const { k, n } of keys) {
    if (n === block) ed.remove(['layout', 'nodes', k]);
    else ed.renameKey(['layout', 'nodes', k], blockNodeId(taskId, n - 1));
  }
  ed.remove(['tasks', ti, 'blocks', block - 1]);
  return {};
}

function checkBlockSpec(b: { type?: unknown; units?: unknown; activation?: unknown; dropout?: unknown; heads?: unknown; ffn?: unknown }, at?: string) {
  if (b.heads !== undefined && b.heads !== null && !isPosInt(b.heads)) refuse('Heads must be a whole number >= 1.', at);
  if (b.ffn !== undefined && b.ffn !== null && !isPosInt(b.ffn)) refuse('Feed-forward width must be a whole number >= 1.', at);
  if (b.type !== undefined && !(BLOCK_TYPES as readonly unknown[]).includes(b.type)) refuse(`Unknown block type "${String(b.type)}" (use ${BLOCK_TYPES.join(', ')}).`, at);
  if (b.units !== undefined && !isPosInt(b.units)) refuse('Block units must be a whole number >= 1.', at);
  if (b.activation !== undefined && b.activation !== null && !(ACTIVATIONS as readonly unknown[]).includes(b.activation)) refuse(`Unknown activation "${String(b.activation)}".`, at);
  if (b.dropout !== undefined && b.dropout !== null && !(typeof b.dropout === 'number' && b.dropout >= 0 && b.dropout < 1)) refuse('Dropout must be in [0, 1).', at);
}

function updateBlock(ed: JsonTextEditor, doc: DocView, it: Extract<IntentMessage, { type: 'graph/updateBlock' }>) {
  const ti = task(doc, it.taskId);
  const at = blockNodeId(it.taskId, it.block);
  checkBlock(doc, ti, it.block, at);
  checkBlockSpec(it.patch, at);
  const cur = doc.tasks[ti].blocks[it.block - 1];
  if (!isObj(cur)) refuse(`Block ${it.block} of "${it.taskId}" is not an object: fix it in the text.`, at);
  const type = it.patch.type ?? (cur as Record<string, unknown>).type;
  const patch: Record<string, unknown> = { ...it.patch };
  // heads and ffn belong to transformer blocks: a change to another type drops them.
  if (type !== 'transformer') for (const k of ['heads', 'ffn']) if (patch[k] === undefined && k in (cur as object)) patch[k] = null;
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    if (v === null) ed.remove(['tasks', ti, 'blocks', it.block - 1, k]); else ed.set(['tasks', ti, 'blocks', it.block - 1, k], v as Json);
  }
  return {};
}

function num(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}

/** Refuses a loss-weighting patch that validate() would reject (unknown type, bad number, option of another type). */
function checkLossWeighting(doc: DocView, lw: NonNullable<Extract<IntentMessage, { type: 'graph/updateSettings' }>['patch']['lossWeighting']>): void {
  const cur = isObj(doc.root.lossWeighting) ? doc.root.lossWeighting : {};
  if (lw.type !== undefined && !(LOSS_WEIGHTING_TYPES as readonly string[]).includes(lw.type)) refuse(`Unknown loss weighting "${lw.type}".`);
  const type = (lw.type ?? (typeof cur.type === 'string' ? cur.type : 'fixed')) as LossWeightingType;
  const allowed = LOSS_WEIGHTING_KEYS[type] ?? [];
  for (const k of ['temperature', 'gamma', 'alpha', 'learningRate'] as const) {
    const v = lw[k];
    if (v === undefined || v === null) continue;
    if (!allowed.includes(k)) refuse(`'${k}' is not an option of the ${type} loss weighting.`);
    if (typeof v !== 'number' || !Number.isFinite(v)) refuse(`The loss weighting's ${k} must be a number.`);
    if (k === 'temperature' && !(v > 0)) refuse('The DWA temperature must be a number > 0.');
    if (k === 'gamma' && !(v >= 0)) refuse('The DTP focusing exponent γ must be a number >= 0.');
    if (k === 'alpha' && type === 'dtp' && !(v > 0 && v <= 1)) refuse("DTP's α (the moving average's weight of the newest batch) must be in (0, 1].");
    if (k === 'alpha' && type === 'gradnorm' && !(v >= 0)) refuse("GradNorm's asymmetry α must be a number >= 0.");
    if (k === 'learningRate' && !(v > 0)) refuse("GradNorm's learning rate must be a number > 0.");
  }
  if (lw.type === 'dtp') {
    const reg = doc.tasks.find((x) => x.raw.kind === 'regression');
    if (reg) refuse(`DTP weighs each task by its accuracy; regression task '${String(reg.id)}' has none.`);
  }
}

/** Writes a loss-weighting patch: a new type keeps only the options it has; options set or removed in place. */
function writeLossWeighting(ed: JsonTextEditor, doc: DocView, lw: NonNullable<Extract<IntentMessage, { type: 'graph/updateSettings' }>['patch']['lossWeighting']>): void {
  const cur = isObj(doc.root.lossWeighting) ? doc.root.lossWeighting : undefined;
  if (!cur) ed.set(['lossWeighting'], { type: lw.type ?? 'fixed' });
  else if (lw.type !== undefined) {
    if (cur.type !== lw.type) ed.set(['lossWeighting', 'type'], lw.type);
    for (const k of Object.keys(cur)) if (k !== 'type' && !LOSS_WEIGHTING_KEYS[lw.type].includes(k)) ed.remove(['lossWeighting', k]);
  }
  for (const k of ['temperature', 'gamma', 'alpha', 'learningRate'] as const) {
    const v = lw[k];
    if (v === undefined) continue;
    if (v === null) { if (cur && k in cur) ed.remove(['lossWeighting', k]); } else ed.set(['lossWeighting', k], v);
  }
}

function updateSettings(ed: JsonTextEditor, doc: DocView, it: Extract<IntentMessage, { type: 'graph/updateSettings' }>) {
  const { iterations, convergence: c, gumbel: g, training: t, encoder: enc, lossWeighting: lw, sharing } = it.patch;
  if (lw) checkLossWeighting(doc, lw);
  if (sharing) checkSharing(doc, sharing);
  if (iterations !== undefined) {
    if (!(Number.isInteger(iterations) && iterations >= 0)) refuse('K (iterations) must be a whole number >= 0.');
    if (iterations === 0 && doc.arrows.length > 0) refuse('K must be at least 1 while feedback arrows exist.');
  }
  if (c?.beta !== undefined && !(c.beta > 0 && c.beta < 1)) refuse('β must be strictly between 0 and 1.');
  if (c?.lambda !== undefined && !(c.lambda >= 0 && Number.isFinite(c.lambda))) refuse('λ must be a number >= 0.');
  if (c?.startK !== undefined && c.startK !== null && c.startK !== 0 && c.startK !== 1) refuse('The convergence sum starts at k = 0 or k = 1.');
  const gum = isObj(doc.root.gumbel) ? doc.root.gumbel : {};
  if (g) {
    for (const k of ['tau0', 'tauMin'] as const) {
      const v = g[k];
      if (v !== undefined && v !== null && !(typeof v === 'number' && v > 0 && Number.isFinite(v))) refuse(`Gumbel ${k === 'tau0' ? 'τ0' : 'τmin'} must be a number > 0.`);
    }
    const tau0 = g.tau0 ?? num(gum.tau0);
    const tauMin = g.tauMin ?? num(gum.tauMin);
    if (tau0 != null && tauMin != null && tauMin > tau0) refuse('Gumbel τmin cannot exceed τ0.');
    if (g.anneal !== undefined && g.anneal !== null && !(ANNEALS as readonly string[]).includes(g.anneal)) refuse(`Unknown anneal schedule "${g.anneal}".`);
    if (g.hard !== undefined && g.hard !== null && typeof g.hard !== 'boolean') refuse('"hard" must be true or false.');
    if (g.annealEpochs !== undefined && g.annealEpochs !== null && !(g.annealEpochs > 0 && Number.isFinite(g.annealEpochs))) refuse('The Gumbel annealing horizon must be a number of epochs > 0.');
  }
  if (t) {
    if (t.epochs !== undefined && t.epochs !== null && !isPosInt(t.epochs)) refuse('Epochs must be a whole number >= 1.');
    if (t.batchSize !== undefined && t.batchSize !== null && !isPosInt(t.batchSize)) refuse('Batch size must be a whole number >= 1.');
    if (t.learningRate !== undefined && t.learningRate !== null && !(t.learningRate > 0 && Number.isFinite(t.learningRate))) refuse('Learning rate must be a number > 0.');
    if (t.optimizer !== undefined && t.optimizer !== null && !(OPTIMIZERS as readonly string[]).includes(t.optimizer)) refuse(`Unknown optimizer "${t.optimizer}".`);
    if (t.seed !== undefined && t.seed !== null && !Number.isInteger(t.seed)) refuse('Seed must be a whole number.');
    const ls = t.lrSchedule;
    if (ls?.decay !== undefined && ls.decay !== null && !(LR_DECAYS as readonly string[]).includes(ls.decay)) refuse(`Unknown learning-rate decay "${ls.decay}".`);
    if (ls?.warmupSteps !== undefined && ls.warmupSteps !== null && !(Number.isInteger(ls.warmupSteps) && ls.warmupSteps >= 0)) refuse('Warm-up steps must be a whole number >= 0.');
    const wa = t.weightAveraging;
    if (wa && !(typeof wa.decay === 'number' && wa.decay > 0 && wa.decay < 1)) refuse('The weight-averaging decay must be a number between 0 and 1 (e.g. 0.999).');
  }
  if (enc) checkEncoderPatch(doc, enc);
  if (iterations !== undefined) ed.set(['iterations'], iterations);
  const setAll = (section: string[], patch: Record<string, unknown> | undefined) => {
    for (const [k, v] of Object.entries(patch ?? {})) {
      if (v === undefined) continue;
      if (v === null) ed.remove([...section, k]); else ed.set([...section, k], v as Json);
    }
  };
  setAll(['convergence'], c);
  setAll(['gumbel'], g);
  if (lw) writeLossWeighting(ed, doc, lw);
  const { lrSchedule, weightAveraging, ...plainTraining } = t ?? {};
  setAll(['training'], plainTraining);
  if (lrSchedule === null) ed.remove(['training', 'lrSchedule']);
  else if (lrSchedule) {
    if (!isObj((doc.root.training as Record<string, unknown> | undefined)?.lrSchedule)) ed.set(['training', 'lrSchedule'], {});
    setAll(['training', 'lrSchedule'], lrSchedule);
  }
  if (weightAveraging === null) ed.remove(['training', 'weightAveraging']);
  else if (weightAveraging) {
    if (!isObj((doc.root.training as Record<string, unknown> | undefined)?.weightAveraging)) ed.set(['training', 'weightAveraging'], { decay: weightAveraging.decay });
    else ed.set(['training', 'weightAveraging', 'decay'], weightAveraging.decay);
  }
  if (enc) writeEncoder(ed, doc, enc);
  if (sharing) writeSharing(ed, doc, sharing);
  return {};
}

type SharingPatch = NonNullable<Extract<IntentMessage, { type: 'graph/updateSettings' }>['patch']['sharing']>;

/** Refuses a sharing patch that validate() would reject as a value (the tower shapes are left to validate()). */
function checkSharing(doc: DocView, sh: SharingPatch): void {
  if (sh.type !== undefined && sh.type !== 'hard' && sh.type !== 'soft') refuse(`Unknown sharing type "${String(sh.type)}" (use hard or soft).`);
  if (sh.l2 !== undefined && sh.l2 !== null && !(typeof sh.l2 === 'number' && sh.l2 >= 0 && Number.isFinite(sh.l2))) refuse('The soft-sharing weight l2 must be a number >= 0.');
  const cs = sh.crossStitch;
  if (cs?.after !== undefined) {
    if (!cs.after.length || !cs.after.every(isPosInt) || new Set(cs.after).size !== cs.after.length) refuse('Cross-stitch depths are different whole numbers >= 1, separated by commas (e.g. 1, 2).');
  }
  if (cs?.self !== undefined && cs.self !== null && !(cs.self > 0 && cs.self <= 1)) refuse("The cross-stitch self weight must be in (0, 1].");
  if (cs && doc.tasks.length < 2) refuse('A cross-stitch unit mixes the towers of several tasks; add a second task first.');
}

/** Writes a sharing patch with minimal edits; an emptied `sharing` is removed. */
function writeSharing(ed: JsonTextEditor, doc: DocView, sh: SharingPatch): void {
  const cur = isObj(doc.root.sharing) ? doc.root.sharing : undefined;
  const next: Record<string, unknown> = { ...(cur ?? {}) };
  if (sh.type === 'hard') { delete next.type; delete next.l2; } else if (sh.type === 'soft') next.type = 'soft';
  if (sh.l2 === null) delete next.l2; else if (sh.l2 !== undefined) next.l2 = sh.l2;
  if (sh.crossStitch === null) delete next.crossStitch;
  else if (sh.crossStitch) {
    const c: Record<string, unknown> = { ...(isObj(next.crossStitch) ? next.crossStitch : {}) };
    if (sh.crossStitch.after !== undefined) c.after = sh.crossStitch.after;
    if (sh.crossStitch.self === null) delete c.self; else if (sh.crossStitch.self !== undefined) c.self = sh.crossStitch.self;
    if (c.after === undefined) c.after = [1];
    next.crossStitch = c;
  }
  if (!Object.keys(next).length) { if (cur || doc.root.sharing !== undefined) ed.remove(['sharing']); return; }
  if (!cur) { ed.set(['sharing'], next as Json); return; }
  for (const k of Object.keys(cur)) if (!(k in next)) ed.remove(['sharing', k]);
  for (const [k, v] of Object.entries(next)) {
    if (k === 'crossStitch' && isObj(cur.crossStitch) && isObj(v)) {
      for (const ck of Object.keys(cur.crossStitch)) if (!(ck in v)) ed.remove(['sharing', 'crossStitch', ck]);
      for (const [ck, cv] of Object.entries(v)) if (JSON.stringify(cur.crossStitch[ck]) !== JSON.stringify(cv)) ed.set(['sharing', 'crossStitch', ck], cv as Json);
    } else if (JSON.stringify(cur[k]) !== JSON.stringify(v)) ed.set(['sharing', k], v as Json);
  }
}

type EncoderPatch = NonNullable<Extract<IntentMessage, { type: 'graph/updateSettings' }>['patch']['encoder']>;

/** Sizes a text encoder type needs, written when a type change finds them missing. */
const REQUIRED_ENCODER_SIZES: Record<TextEncoderSpec['type'], Record<string, number>> = {
  bigru: { hidden: 64 }, bilstm: { hidden: 64 }, cnn: { filters: 64 }, transformer: { width: 128, heads: 4 },
};

function checkEncoderPatch(doc: DocView, enc: EncoderPatch): void {
  if (!isObj(doc.root.encoder) || !isTextEncoder(doc.root.encoder)) refuse(`The encoder options here belong to a text encoder (${TEXT_ENCODER_TYPES.join(', ')}).`);
  if (enc.type !== undefined && !(TEXT_ENCODER_TYPES as readonly unknown[]).includes(enc.type)) refuse(`Unknown text encoder "${String(enc.type)}" (use ${TEXT_ENCODER_TYPES.join(', ')}).`);
  if (enc.wordDropout !== undefined && enc.wordDropout !== null && !(enc.wordDropout >= 0 && enc.wordDropout < 1)) refuse('Word dropout must be a probability in [0, 1).');
  if (enc.dropout !== undefined && enc.dropout !== null && !(enc.dropout >= 0 && enc.dropout < 1)) refuse('Dropout must be in [0, 1).');
  for (const k of ['embeddingDim', 'filters'] as const) {
    const v = enc.chars?.[k];
    if (v !== undefined && v !== null && !isPosInt(v)) refuse(`Character ${k === 'filters' ? 'filters' : 'embedding width'} must be a whole number >= 1.`);
  }
  const sizes = { embeddingDim: 'Embedding width', hidden: 'Hidden units', layers: 'Layers', filters: 'Filters', width: 'Model width', heads: 'Heads', ffn: 'Feed-forward width' } as const;
  for (const [k, label] of Object.entries(sizes)) {
    const v = enc[k as keyof typeof sizes];
    if (v !== undefined && v !== null && !isPosInt(v)) refuse(`${label} must be a whole number >= 1.`);
  }
  if (enc.widths !== undefined && enc.widths !== null && !(Array.isArray(enc.widths) && enc.widths.length > 0 && enc.widths.every(isPosInt))) refuse('Window widths must be whole numbers >= 1, e.g. 3, 5.');
  if (enc.activation !== undefined && enc.activation !== null && !(ACTIVATIONS as readonly unknown[]).includes(enc.activation)) refuse(`Unknown activation "${String(enc.activation)}".`);
  if (enc.positions !== undefined && enc.positions !== null && enc.positions !== 'sinusoidal' && enc.positions !== 'learned') refuse(`Unknown positions "${String(enc.positions)}" (use sinusoidal or learned).`);
}

/** Writes an encoder patch: a type change drops the old type's own options and adds the new type's required sizes. */
function writeEncoder(ed: JsonTextEditor, doc: DocView, enc: EncoderPatch): void {
  const cur = doc.root.encoder as Record<string, unknown>;
  const { chars, type, ...options } = enc;
  if (type !== undefined && type !== cur.type) {
    ed.set(['encoder', 'type'], type);
    for (const k of Object.keys(cur)) if (!TEXT_ENCODER_KEYS[type].includes(k)) ed.remove(['encoder', k]);
    for (const [k, v] of Object.entries(REQUIRED_ENCODER_SIZES[type])) if (cur[k] === undefined && options[k as keyof typeof options] === undefined) ed.set(['encoder', k], v);
  }
  const keep = TEXT_ENCODER_KEYS[type ?? (cur.type as TextEncoderSpec['type'])];
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined) continue;
    if (!keep.includes(k)) refuse(`"${k}" is not an option of a ${String(type ?? cur.type)} encoder.`);
    if (v === null) { if (k in cur) ed.remove(['encoder', k]); } else ed.set(['encoder', k], v as Json);
  }
  if (chars === null) ed.remove(['encoder', 'chars']);
  else if (chars) {
    if (!isObj(cur.chars)) ed.set(['encoder', 'chars'], {});
    for (const [k, v] of Object.entries(chars)) {
      if (v === undefined) continue;
      if (v === null) ed.remove(['encoder', 'chars', k]); else ed.set(['encoder', 'chars', k], v as Json);
    }
  }
}

function moveNodes(ed: JsonTextEditor, doc: DocView, positions: Record<string, Point>) {
  const known = new Set<string>([ENCODER_NODE_ID]);
  for (const t of doc.tasks) {
    if (!t.id) continue;
    known.add(t.id);
    t.blocks.forEach((_, j) => known.add(blockNodeId(t.id!, j + 1)));
  }
  for (const [id, p] of Object.entries(positions)) {
    if (!known.has(id)) refuse(`There is no node "${id}" to move.`);
    if (!Number.isFinite(p?.x) || !Number.isFinite(p?.y)) refuse(`Bad position for "${id}".`, id);
  }
  for (const [id, p] of Object.entries(positions)) {
    const x = Math.round(p.x);
    const y = Math.round(p.y);
    const existing = ed.node(['layout', 'nodes', id]);
    if (existing?.type === 'object') {
      ed.set(['layout', 'nodes', id, 'x'], x);
      ed.set(['layout', 'nodes', id, 'y'], y);
    } else {
      ed.set(['layout', 'nodes', id], { x, y });
    }
  }
  return {};
}
