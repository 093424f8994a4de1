/**
 * The inspector panel (`#inspector`): edits the selected arrow, task or block, or — with nothing
 * selected — the experiment's global settings (K, β, λ, Gumbel temperatures, training). Controls
 * are `@vscode-elements/elements`; every committed change becomes one intent. The panel is rebuilt
 * from the model after every document change (the document is the truth); focus is restored by
 * control name.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-divider/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { GraphArrow, GraphBadges, GraphIssue, GraphModel, GraphTask, IntentDraft } from '../../src/shared/graphEditorProtocol';
import { blockNodeId } from '../../src/shared/graphEditorProtocol';
import { isTextEncoder, TASK_KINDS } from '../../src/shared/experimentTypes';
import type { GraphSelection } from './graphView';
import { candidateBlocks } from './layout';
import { issuesByTarget } from './issues';

export interface InspectorCallbacks {
  send(intent: IntentDraft): void;
  select(sel: GraphSelection | undefined): void;
  /** A local input problem (not a number...), shown like a refusal. */
  invalid(message: string, at?: string): void;
}

export interface InspectorState {
  model: GraphModel;
  badges?: GraphBadges;
  issues: GraphIssue[];
  selection?: GraphSelection;
  readOnly: boolean;
}

const ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'gelu', 'linear'];
/** Task kinds for the kind selects: value and words. */
const KIND_OPTIONS: [string, string][] = TASK_KINDS.map((k) => [k, k === 'language-model' ? 'language model (next word)' : k]);

type Opt = [value: string, label: string];
type EncoderPatch = NonNullable<Extract<IntentDraft, { type: 'graph/updateSettings' }>['patch']['encoder']>;

export class Inspector {
  private state?: InspectorState;
  /** Task whose "Add feedback" target list should take focus after the next render. */
  private focusAddFeedback?: string;

  constructor(private readonly el: HTMLElement, private readonly cb: InspectorCallbacks) {}

  /** Keyboard path: show the task and put focus on its feedback target list. */
  startAddFeedback(taskId: string): void {
    this.focusAddFeedback = taskId;
  }

  render(state: InspectorState): void {
    this.state = state;
    const active = document.activeElement as (HTMLElement & { value?: unknown }) | null;
    const focusName = active && this.el.contains(active) ? active.getAttribute('name') : null;
    // Text the user is typing (not yet committed) survives a rebuild caused by another change.
    const typing = focusName && active && typeof active.value === 'string' && active.dataset.initial !== undefined && active.value !== active.dataset.initial
      ? active.value : undefined;
    this.el.replaceChildren();
    const { model, selection } = state;
    const arrow = selection?.kind === 'arrow' ? model.arrows.find((a) => a.id === selection.id) : undefined;
    const taskId = selection?.kind === 'node' ? selection.id.split('/')[0] : undefined;
    const task = taskId ? model.tasks.find((t) => t.id === taskId) : undefined;
    const block = selection?.kind === 'node' && selection.id.includes('/') ? Number(selection.id.split('/')[1]) : undefined;
    if (arrow) this.arrowPanel(arrow);
    else if (task) this.taskPanel(task, block);
    else this.settingsPanel();
    if (state.readOnly) for (const c of this.el.querySelectorAll('vscode-textfield, vscode-single-select, vscode-checkbox, vscode-button')) c.setAttribute('disabled', '');
    let focusEl: HTMLElement | null = null;
    if (this.focusAddFeedback && task?.id === this.focusAddFeedback) focusEl = this.el.querySelector('[name="feedback.target"]');
    else if (focusName) focusEl = this.el.querySelector(`[name="${CSS.escape(focusName)}"]`);
    if (focusEl && typing !== undefined) (focusEl as HTMLElement & { value: string }).value = typing;
    this.focusAddFeedback = undefined;
    if (focusEl) requestAnimationFrame(() => focusEl!.focus());
  }

  // ------------------------------------------------------------------ panels

  private arrowPanel(a: GraphArrow): void {
    const { model, badges } = this.state!;
    const target = model.tasks.find((t) => t.id === a.to);
    const blocks = target?.blocks ?? [];
    this.heading(`Feedback ${a.from} → ${a.to}`, a.id);
    const send = (patch: Extract<IntentDraft, { type: 'graph/updateFeedback' }>['patch']) => this.cb.send({ type: 'graph/updateFeedback', id: a.id, patch });

    this.section('Amplifier');
    this.row('Type', this.select('amplifier.type', [['linear', 'linear'], ['mlp', 'MLP'], ['label-embedding', 'label embedding']], a.amplifier.type,
      (v) => send({ amplifier: { type: v as 'linear' } })));
    this.row('Units', this.number('amplifier.units', a.amplifier.units, { integer: true, min: 1, required: true, at: a.id },
      (v) => send({ amplifier: { units: v! } })));
    if (a.amplifier.type === 'mlp') {
      this.row('Hidden', this.number('amplifier.hidden', a.amplifier.hidden, { integer: true, min: 1, placeholder: 'units', at: a.id },
        (v) => send({ amplifier: { hidden: v } })));
    }
    this.row('Activation', this.select('amplifier.activation', [['', '(default)'], ...ACTIVATIONS.map((x): Opt => [x, x])], a.amplifier.activation ?? '',
      (v) => send({ amplifier: { activation: v ? (v as 'relu') : null } })));

    this.section('Injection');
    const gumbelOffered = blocks.length > 1 || a.injection === 'gumbel';
    const inj: Opt[] = [...(gumbelOffered ? [['gumbel', 'Gumbel gate (learn the block)'] as Opt] : []), ...blocks.map((b): Opt => [String(b.n), `h${b.n} · ${b.type}${b.units ? ` ${b.units}` : ''}`])];
    this.row('Into', this.select('injection', inj, a.injection === undefined ? '' : String(a.injection),
      (v) => send({ injection: v === 'gumbel' ? 'gumbel' : Number(v) })));
    if (a.injection === 'gumbel') {
      const cands = new Set(candidateBlocks(a, model));
      const wrap = document.createElement('div');
      wrap.className = 'checks';
      for (const b of blocks) {
        wrap.append(this.checkbox(`candidates.${b.n}`, `h${b.n}`, cands.has(b.n), (on) => {
          const next = blocks.map((x) => x.n).filter((n) => (n === b.n ? on : cands.has(n)));
          send({ candidates: next.length === blocks.length ? null : next });
        }));
      }
      this.row('Candidates', wrap);
    }
    this.row('Combine', this.select('combine', [['concat', 'concat (default)'], ['add', 'add']], a.combine ?? 'concat',
      (v) => send({ combine: v === 'concat' ? null : 'add' })));
    this.row('', this.checkbox('enabled', 'Enabled', a.enabled !== false, (on) => send({ enabled: on ? null : false })));

    const gate = badges?.arrows[a.id];
    if (gate) {
      this.section(`Learned gate (run ${badges!.runId})`);
      const table = document.createElement('table');
      table.className = 'gate-table';
      gate.blocks.forEach((n, i) => {
        const tr = table.insertRow();
        tr.insertCell().textContent = `h${n}`;
        const bar = tr.insertCell();
        const fill = document.createElement('div');
        fill.className = 'gate-bar' + (n === gate.argmax ? ' argmax' : '');
        fill.style.width = `${Math.round(gate.probs[i] * 100)}%`;
        bar.append(fill);
        tr.insertCell().textContent = `${(gate.probs[i] * 100).toFixed(1)}%`;
      });
      this.el.append(table);
    }
    this.problems(a.id);
    this.actions(this.button('Delete arrow', () => this.cb.send({ type: 'graph/deleteFeedback', id: a.id }), true, 'delete-arrow'));
  }

  private taskPanel(t: GraphTask, focusBlock?: number): void {
    const { model, badges } = this.state!;
    this.heading(`Task ${t.id}`, t.id);
    const send = (patch: Extract<IntentDraft, { type: 'graph/updateTask' }>['patch']) => this.cb.send({ type: 'graph/updateTask', id: t.id, patch });
    const b = badges?.tasks[t.id];
    if (b) this.note(`Latest run ${badges!.runId} (${badges!.status}): ${b.label}${badges!.where ? ` (${badges!.where})` : ''}${b.testText ? `; test ${b.testText} (same checkpoint)` : ''}`);
    this.row('Id', this.text('task.id', t.id, (v) => this.cb.send({ type: 'graph/renameTask', id: t.id, newId: v.trim() })));
    this.row('Title', this.text('task.title', t.title ?? '', (v) => send({ title: v.trim() || null }), 'optional'));
    this.row('Kind', this.select('task.kind', KIND_OPTIONS, t.kind, (v) => send({ kind: v as 'tagging' })));
    if (t.kind === 'language-model') this.note('Targets: each token\'s next word (the last token: end of sentence), no label file. Reads the forward direction of the BiGRU/BiLSTM encoder, so it never sees the word it predicts; its blocks must be dense. Scored by perplexity (lower is better).');
    else this.row('Label', this.text('task.label', t.label ?? '', (v) => send({ label: v.trim() })));
    this.row('Loss weight', this.number('task.lossWeight', t.lossWeight, { min: 0, placeholder: '1', at: t.id }, (v) => send({ lossWeight: v })));
    if (t.kind === 'tagging') {
      this.row('Output', this.select('task.output', [['softmax', 'softmax per token (default)'], ['crf', 'CRF (Viterbi decoding)']], t.output === 'crf' ? 'crf' : 'softmax',
        (v) => send({ output: v === 'crf' ? 'crf' : null })));
    }
    if (t.kind === 'classification' && model.tasks.some((o) => o.kind === 'tagging')) {
      // Text data (a tagging task exists): the label may be predicted at every token.
      this.row('', this.checkbox('task.tokenLevel', 'Predict at every token (token-level)', t.tokenLevel === true, (on) => send({ tokenLevel: on ? true : null, ...(on ? {} : { vote: null }) })));
      if (t.tokenLevel === true) {
        this.row('Vote', this.select('task.vote', [['mean', 'mean log-probability (default)'], ['majority', 'majority of tokens']], t.vote === 'majority' ? 'majority' : 'mean',
          (v) => send({ vote: v === 'majority' ? 'majority' : null })));
      }
    }

    this.section(`Blocks (h1 is nearest the encoder)`);
    for (const blk of [...t.blocks].reverse()) {
      const row = document.createElement('div');
      row.className = 'block-row' + (blk.n === focusBlock ? ' highlight' : '');
      row.dataset.block = String(blk.n);
      const at = blockNodeId(t.id, blk.n);
      const upd = (patch: Extract<IntentDraft, { type: 'graph/updateBlock' }>['patch']) => this.cb.send({ type: 'graph/updateBlock', taskId: t.id, block: blk.n, patch });
      const name = document.createElement('span');
      name.className = 'block-name';
      name.textContent = `h${blk.n}`;
      row.append(
        name,
        this.select(`block.${blk.n}.type`, [['dense', 'dense'], ['bigru', 'BiGRU'], ['bilstm', 'BiLSTM'], ['transformer', 'Transformer']], blk.type, (v) => upd({ type: v as 'dense' })),
        this.number(`block.${blk.n}.units`, blk.units, { integer: true, min: 1, required: true, at }, (v) => upd({ units: v! })),
        // A Transformer block has no activation; its heads and feed-forward width take the place.
        blk.type === 'transformer' ? this.transformerFields(blk, at, upd)
          : this.select(`block.${blk.n}.activation`, [['', '(default)'], ...ACTIVATIONS.map((x): Opt => [x, x])], blk.activation ?? '',
            (v) => upd({ activation: v ? (v as 'relu') : null })),
        this.button('✕', () => this.cb.send({ type: 'graph/removeBlock', taskId: t.id, block: blk.n }), true, `block.${blk.n}.remove`, `Remove block h${blk.n} of ${t.id}`),
      );
      this.el.append(row);
    }
    this.actions(this.button('Add block on top', () => this.cb.send({ type: 'graph/addBlock', taskId: t.id }), true, 'block.add'));

    this.section('Add feedback from this task');
    const targets: Opt[] = [];
    for (const o of model.tasks) {
      if (o.id === t.id) continue;
      // A gate over a single block has nothing to choose: offered only from two blocks on.
      if (o.blocks.length > 1) targets.push([`${o.id}|gumbel`, `${o.id} · Gumbel gate over its ${o.blocks.length} blocks`]);
      for (const bb of o.blocks) targets.push([`${o.id}|${bb.n}`, `${o.id} · h${bb.n} (${bb.type})`]);
    }
    if (targets.length) {
      // Preselect a task this one does not feed yet (the same pair again would be refused).
      const fed = new Set(model.arrows.filter((a) => a.from === t.id).map((a) => a.to));
      const first = targets.find(([v]) => !fed.has(v.split('|')[0])) ?? targets[0];
      const pick = this.select('feedback.target', targets, first[0], () => undefined) as HTMLElement & { value: string; open?: boolean };
      pick.setAttribute('aria-label', `Target of a new feedback arrow from ${t.id}; Enter adds it`);
      this.row('Target', pick);
      const add = () => {
        const [to, inj] = String(pick.value).split('|');
        this.cb.send({ type: 'graph/addFeedback', from: t.id, to, injection: inj === 'gumbel' ? 'gumbel' : Number(inj) });
      };
      // Keyboard path (A on a task, then Enter): Enter on the closed list adds; with the list open,
      // Enter picks an option as usual. Capture on the row runs before the control's own handler.
      pick.parentElement!.addEventListener('keydown', (ev) => {
        if (ev.key !== 'Enter' || pick.open || this.state?.readOnly) return;
        ev.preventDefault();
        ev.stopPropagation();
        add();
      }, true);
      this.actions(this.button('Add feedback', add, false, 'feedback.add'));
    } else {
      this.note('Add another task first: feedback goes from one task to another.');
    }
    for (const blk of t.blocks) this.problems(blockNodeId(t.id, blk.n));
    this.problems(t.id);
    this.actions(this.button('Remove task', () => this.cb.send({ type: 'graph/removeTask', id: t.id }), true, 'task.remove'));
  }

  private settingsPanel(): void {
    const s = this.state!.model.settings;
    this.heading('Experiment', this.state!.model.name);
    const set = (patch: Extract<IntentDraft, { type: 'graph/updateSettings' }>['patch']) => this.cb.send({ type: 'graph/updateSettings', patch });
    this.section('Feedback iterations');
    this.row('K', this.number('iterations', s.iterations, { integer: true, min: 0, required: true }, (v) => set({ iterations: v! })));
    this.row('β', this.number('convergence.beta', s.convergence.beta, { required: true }, (v) => set({ convergence: { beta: v! } })));
    this.row('λ', this.number('convergence.lambda', s.convergence.lambda, { min: 0, required: true }, (v) => set({ convergence: { lambda: v! } })));
    this.row('Sum from k', this.select('convergence.startK', [['1', '1 (paper)'], ['0', '0 (also y¹ − y⁰)']], String(s.convergence.startK ?? 1),
      (v) => set({ convergence: { startK: v === '0' ? 0 : null } })));
    this.section('Gumbel gate');
    this.row('τ₀', this.number('gumbel.tau0', s.gumbel.tau0, { required: true }, (v) => set({ gumbel: { tau0: v! } })));
    this.row('τmin', this.number('gumbel.tauMin', s.gumbel.tauMin, { required: true }, (v) => set({ gumbel: { tauMin: v! } })));
    this.row('Anneal', this.select('gumbel.anneal', [['exp', 'exponential (default)'], ['linear', 'linear'], ['none', 'none']], s.gumbel.anneal ?? 'exp',
      (v) => set({ gumbel: { anneal: v === 'exp' ? null : (v as 'linear') } })));
    this.row('', this.checkbox('gumbel.hard', 'Hard (straight-through) samples', s.gumbel.hard === true, (on) => set({ gumbel: { hard: on ? true : null } })));
    this.row('Anneal over', this.number('gumbel.annealEpochs', s.gumbel.annealEpochs, { placeholder: 'epochs (default: all)' }, (v) => set({ gumbel: { annealEpochs: v } })));
    if (isTextEncoder(s.encoder)) {
      this.encoderSection(s.encoder, (encoder) => set({ encoder }));
      this.section('Words (text encoder)');
      const chars = s.encoder.chars;
      this.row('', this.checkbox('encoder.chars', 'Character features (CNN over each word)', chars !== undefined, (on) => set({ encoder: { chars: on ? {} : null } })));
      if (chars) {
        this.row('Char filters', this.number('encoder.chars.filters', chars.filters, { integer: true, min: 1, placeholder: '100' }, (v) => set({ encoder: { chars: { filters: v } } })));
        this.row('Char width', this.number('encoder.chars.embeddingDim', chars.embeddingDim, { integer: true, min: 1, placeholder: '32' }, (v) => set({ encoder: { chars: { embeddingDim: v } } })));
      }
      this.row('Word dropout', this.number('encoder.wordDropout', s.encoder.wordDropout, { min: 0, placeholder: '0' }, (v) => set({ encoder: { wordDropout: v } })));
    }
    this.section('Loss weighting');
    const lw = s.lossWeighting;
    const lwType = lw.type ?? 'fixed';
    this.row('Weighting', this.select('lossWeighting.type', [
      ['fixed', 'fixed (each task\'s loss weight)'], ['uncertainty', 'uncertainty (learned log-variances)'], ['dwa', 'DWA (loss-ratio softmax)'],
      ['dtp', 'DTP (focal weight on accuracy)'], ['gradnorm', 'GradNorm (equal gradient norms)'],
    ], lwType, (v) => set({ lossWeighting: { type: v as 'fixed' } })));
    if (lwType === 'dwa') this.row('Temperature', this.number('lossWeighting.temperature', lw.temperature, { placeholder: '2' }, (v) => set({ lossWeighting: { temperature: v } })));
    if (lwType === 'dtp') {
      this.row('γ (focus)', this.number('lossWeighting.gamma', lw.gamma, { min: 0, placeholder: '1' }, (v) => set({ lossWeighting: { gamma: v } })));
      this.row('α (KPI average)', this.number('lossWeighting.alpha', lw.alpha, { placeholder: '0.1' }, (v) => set({ lossWeighting: { alpha: v } })));
    }
    if (lwType === 'gradnorm') {
      this.row('α (asymmetry)', this.number('lossWeighting.alpha', lw.alpha, { min: 0, placeholder: '1.5' }, (v) => set({ lossWeighting: { alpha: v } })));
      this.row('Weights LR', this.number('lossWeighting.learningRate', lw.learningRate, { placeholder: '0.025' }, (v) => set({ lossWeighting: { learningRate: v } })));
    }
    this.section('Parameter sharing');
    const sh = s.sharing;
    const shType = sh.type === 'soft' ? 'soft' : 'hard';
    this.row('Encoder', this.select('sharing.type', [['hard', 'hard (one shared encoder)'], ['soft', 'soft (a copy per task, L2 tie)']], shType,
      (v) => set({ sharing: { type: v as 'hard' } })));
    if (shType === 'soft') this.row('L2 tie', this.number('sharing.l2', sh.l2, { min: 0, placeholder: '0.001' }, (v) => set({ sharing: { l2: v } })));
    const cs = sh.crossStitch;
    this.row('', this.checkbox('sharing.crossStitch', 'Cross-stitch units between the towers', cs !== undefined, (on) => set({ sharing: { crossStitch: on ? { after: [1] } : null } })));
    if (cs) {
      this.row('After blocks', this.text('sharing.crossStitch.after', cs.after.join(', '), (v) => {
        const after = v.split(/[\s,]+/).filter(Boolean).map(Number);
        if (after.length && after.every((n) => Number.isInteger(n) && n >= 1) && new Set(after).size === after.length) set({ sharing: { crossStitch: { after } } });
        else this.cb.invalid('Cross-stitch depths are different whole numbers >= 1, separated by commas (e.g. 1, 2).');
      }, '1'));
      this.row('α self', this.number('sharing.crossStitch.self', cs.self, { placeholder: '0.9' }, (v) => set({ sharing: { crossStitch: { self: v } } })));
    }
    this.section('Training');
    this.row('Epochs', this.number('training.epochs', s.training.epochs, { integer: true, min: 1, required: true }, (v) => set({ training: { epochs: v! } })));
    this.row('Batch size', this.number('training.batchSize', s.training.batchSize, { integer: true, min: 1, required: true }, (v) => set({ training: { batchSize: v! } })));
    this.row('Learning rate', this.number('training.learningRate', s.training.learningRate, { required: true }, (v) => set({ training: { learningRate: v! } })));
    this.row('Optimizer', this.select('training.optimizer', [['adam', 'Adam'], ['sgd', 'SGD'], ['rmsprop', 'RMSprop']], s.training.optimizer ?? 'adam',
      (v) => set({ training: { optimizer: v as 'adam' } })));
    this.row('Seed', this.number('training.seed', s.training.seed, { integer: true, required: true }, (v) => set({ training: { seed: v! } })));
    const ls = s.training.lrSchedule;
    this.row('LR schedule', this.select('training.lrSchedule.decay',
      [['', 'constant'], ['none', 'warm-up only'], ['linear', 'linear decay'], ['cosine', 'cosine decay'], ['plateau', 'reduce on plateau']],
      ls ? ls.decay ?? 'none' : '', (v) => set({ training: { lrSchedule: v === '' ? null : { decay: v as 'linear' } } })));
    if (ls) this.row('Warm-up steps', this.number('training.lrSchedule.warmupSteps', ls.warmupSteps, { integer: true, min: 0, placeholder: '0' }, (v) => set({ training: { lrSchedule: { warmupSteps: v } } })));
    const wa = s.training.weightAveraging;
    this.row('', this.checkbox('training.weightAveraging', 'Score a moving average of the weights', wa !== undefined,
      (on) => set({ training: { weightAveraging: on ? { decay: 0.999 } : null } })));
    if (wa) {
      this.row('Averaging decay', this.number('training.weightAveraging.decay', wa.decay, { placeholder: '0.999' }, (v) => {
        if (v !== undefined && v !== null && v > 0 && v < 1) set({ training: { weightAveraging: { decay: v } } });
        else this.cb.invalid('The averaging decay is a number between 0 and 1 (0.999: about the last 1,000 steps).');
      }));
    }
    this.section('Tasks');
    const kind = this.select('newTask.kind', KIND_OPTIONS, 'classification', () => undefined);
    this.row('New task kind', kind);
    this.actions(this.button('Add task', () => this.cb.send({ type: 'graph/addTask', kind: (kind as HTMLElement & { value: string }).value as 'tagging' }), true, 'task.add'));
    this.note('Select a task to edit it or add feedback from it; select an arrow to edit its amplifier and injection.');
    this.problems('encoder');
  }

  /** Heads and feed-forward width of a Transformer block, side by side in the activation's column. */
  private transformerFields(blk: GraphTask['blocks'][number], at: string, upd: (patch: { heads?: number | null; ffn?: number | null }) => void): HTMLElement {
    const pair = document.createElement('div');
    pair.className = 'pair';
    const heads = this.number(`block.${blk.n}.heads`, blk.heads, { integer: true, min: 1, placeholder: '1 head', at }, (v) => upd({ heads: v }));
    const ffn = this.number(`block.${blk.n}.ffn`, blk.ffn, { integer: true, min: 1, placeholder: 'ffn', at }, (v) => upd({ ffn: v }));
    heads.title = `Attention heads of h${blk.n} (a divisor of its units; default 1)`;
    ffn.title = `Feed-forward width of h${blk.n} (default 4 × units)`;
    heads.setAttribute('aria-label', heads.title);
    ffn.setAttribute('aria-label', ffn.title);
    pair.append(heads, ffn);
    return pair;
  }

  /** The text encoder's type and the sizes of that type (the encoder node opens this panel). */
  private encoderSection(e: GraphModel['settings']['encoder'], send: (patch: EncoderPatch) => void): void {
    this.section('Encoder');
    this.row('Type', this.select('encoder.type', [['bigru', 'BiGRU'], ['bilstm', 'BiLSTM'], ['cnn', 'CNN (1-D convolutions)'], ['transformer', 'Transformer']], e.type ?? '',
      (v) => send({ type: v as 'cnn' })));
    this.row('Embedding', this.number('encoder.embeddingDim', e.embeddingDim, { integer: true, min: 1, required: true, at: 'encoder' }, (v) => send({ embeddingDim: v! })));
    if (e.type === 'bigru' || e.type === 'bilstm') {
      this.row('Hidden', this.number('encoder.hidden', e.hidden, { integer: true, min: 1, required: true, at: 'encoder' }, (v) => send({ hidden: v! })));
      this.row('Layers', this.number('encoder.layers', e.layers, { integer: true, min: 1, placeholder: '1', at: 'encoder' }, (v) => send({ layers: v })));
    } else if (e.type === 'cnn') {
      this.row('Filters', this.number('encoder.filters', e.filters, { integer: true, min: 1, required: true, at: 'encoder' }, (v) => send({ filters: v! })));
      this.row('Widths', this.text('encoder.widths', (e.widths ?? []).join(', '), (v) => {
        if (!v.trim()) { send({ widths: null }); return; }
        const widths = v.split(/[\s,]+/).filter(Boolean).map(Number);
        if (widths.every((w) => Number.isInteger(w) && w >= 1)) send({ widths });
        else this.cb.invalid('Window widths are whole numbers >= 1, separated by commas (e.g. 3, 5).', 'encoder');
      }, '3'));
      this.row('Layers', this.number('encoder.layers', e.layers, { integer: true, min: 1, placeholder: '1', at: 'encoder' }, (v) => send({ layers: v })));
      this.row('Activation', this.select('encoder.activation', [['', '(default relu)'], ...ACTIVATIONS.map((x): Opt => [x, x])], e.activation ?? '',
        (v) => send({ activation: v ? (v as 'relu') : null })));
    } else if (e.type === 'transformer') {
      this.row('Width', this.number('encoder.width', e.width, { integer: true, min: 1, required: true, at: 'encoder' }, (v) => send({ width: v! })));
      this.row('Heads', this.number('encoder.heads', e.heads, { integer: true, min: 1, required: true, at: 'encoder' }, (v) => send({ heads: v! })));
      this.row('Layers', this.number('encoder.layers', e.layers, { integer: true, min: 1, placeholder: '2', at: 'encoder' }, (v) => send({ layers: v })));
      this.row('FFN width', this.number('encoder.ffn', e.ffn, { integer: true, min: 1, placeholder: '4 × width', at: 'encoder' }, (v) => send({ ffn: v })));
      this.row('Positions', this.select('encoder.positions', [['sinusoidal', 'sinusoidal (default)'], ['learned', 'learned']], e.positions ?? 'sinusoidal',
        (v) => send({ positions: v === 'learned' ? 'learned' : null })));
    }
    this.row('Dropout', this.number('encoder.dropout', e.dropout, { min: 0, placeholder: '0', at: 'encoder' }, (v) => send({ dropout: v })));
  }

  // ------------------------------------------------------------------ bits

  private heading(text: string, sub?: string): void {
    const h = document.createElement('h2');
    h.textContent = text;
    this.el.append(h);
    if (sub && sub !== text) {
      const p = document.createElement('div');
      p.className = 'sub';
      p.textContent = sub;
      this.el.append(p);
    }
  }

  private section(text: string): void {
    const h = document.createElement('h3');
    h.textContent = text;
    this.el.append(h);
  }

  private note(text: string): void {
    const p = document.createElement('p');
    p.className = 'note';
    p.textContent = text;
    this.el.append(p);
  }

  private problems(id: string): void {
    const list = issuesByTarget(this.state!.issues, this.state!.model).get(id);
    if (!list) return;
    const ul = document.createElement('ul');
    ul.className = 'problems';
    for (const i of list) {
      const li = document.createElement('li');
      li.className = i.severity;
      li.textContent = `${i.pathText}: ${i.message}`;
      ul.append(li);
    }
    this.el.append(ul);
  }

  private row(label: string, control: HTMLElement): void {
    const row = document.createElement('div');
    row.className = 'row';
    const l = document.createElement('vscode-label');
    l.textContent = label;
    const id = `ctl-${control.getAttribute('name') ?? Math.random().toString(36).slice(2)}`.replace(/[^\w-]/g, '-');
    control.id = id;
    l.setAttribute('for', id);
    row.append(l, control);
    this.el.append(row);
  }

  private actions(...buttons: HTMLElement[]): void {
    const d = document.createElement('div');
    d.className = 'actions';
    d.append(...buttons);
    this.el.append(d);
  }

  private text(name: string, value: string, commit: (v: string) => void, placeholder?: string): HTMLElement {
    const t = document.createElement('vscode-textfield') as HTMLElement & { value: string };
    t.setAttribute('name', name);
    t.value = value;
    t.dataset.initial = value;
    if (placeholder) t.setAttribute('placeholder', placeholder);
    t.addEventListener('change', () => { if (t.value !== value) commit(t.value); });
    return t;
  }

  /**
   * A number field. Empty commits `null` (remove: the default applies) unless `required`; bad input
   * is reported without sending anything.
   */
  private number(name: string, value: number | undefined, o: { integer?: boolean; min?: number; required?: boolean; placeholder?: string; at?: string },
    commit: (v: number | null) => void): HTMLElement {
    const t = document.createElement('vscode-textfield') as HTMLElement & { value: string };
    t.setAttribute('name', name);
    // type=text: the native number input flags 0.5 as a step mismatch and hides bad input from
    // `value`; we validate ourselves and say what is wrong.
    t.setAttribute('inputmode', 'decimal');
    t.value = value === undefined ? '' : String(value);
    t.dataset.initial = t.value;
    if (o.placeholder) t.setAttribute('placeholder', o.placeholder);
    t.addEventListener('change', () => {
      const raw = t.value.trim();
      if (raw === (value === undefined ? '' : String(value))) return;
      if (raw === '') {
        if (o.required) { this.cb.invalid(`${name} is required.`, o.at); t.value = value === undefined ? '' : String(value); return; }
        commit(null);
        return;
      }
      const v = Number(raw);
      if (!Number.isFinite(v) || (o.integer && !Number.isInteger(v)) || (o.min !== undefined && v < o.min)) {
        this.cb.invalid(`${name}: "${raw}" is not ${o.integer ? 'a whole number' : 'a number'}${o.min !== undefined ? ` ≥ ${o.min}` : ''}.`, o.at);
        t.value = value === undefined ? '' : String(value);
        return;
      }
      commit(v);
    });
    return t;
  }

  private select(name: string, options: Opt[], value: string, change: (v: string) => void): HTMLElement {
    const s = document.createElement('vscode-single-select') as HTMLElement & { value: string };
    s.setAttribute('name', name);
    let has = false;
    for (const [v, label] of options) {
      const o = document.createElement('vscode-option') as HTMLElement & { value: string };
      o.setAttribute('value', v);
      o.textContent = label;
      if (v === value) { o.setAttribute('selected', ''); has = true; }
      s.append(o);
    }
    if (!has && value !== '') {
      // The file holds a value this UI does not know: show it rather than pretend.
      const o = document.createElement('vscode-option');
      o.setAttribute('value', value);
      o.setAttribute('selected', '');
      o.textContent = `${value} (invalid)`;
      s.append(o);
    }
    s.addEventListener('change', () => { if (s.value !== value) change(s.value); });
    return s;
  }

  private checkbox(name: string, label: string, checked: boolean, change: (on: boolean) => void): HTMLElement {
    const c = document.createElement('vscode-checkbox') as HTMLElement & { checked: boolean };
    c.setAttribute('name', name);
    c.setAttribute('label', label);
    c.checked = checked;
    c.addEventListener('change', () => { if (c.checked !== checked) change(c.checked); });
    return c;
  }

  private button(label: string, click: () => void, secondary: boolean, name: string, aria?: string): HTMLElement {
    const b = document.createElement('vscode-button');
    b.textContent = label;
    b.setAttribute('name', name);
    if (secondary) b.setAttribute('secondary', '');
    if (aria) b.setAttribute('aria-label', aria);
    b.addEventListener('click', () => { if (!this.state?.readOnly) click(); });
    return b;
  }
}
