/**
 * Graph editor webview entry. Holds no document: it draws the host's latest `graph/snapshot` and
 * turns gestures into intents. View state (zoom, pan, selection) lives in `vscode.setState`.
 */
import { Channel } from '../../src/shared/channel';
import type { Port } from '../../src/shared/channel';
import { assertNever } from '../../src/shared/assertNever';
import type {
  GraphBadges, GraphIssue, GraphModel, GraphToHostMessage, HostToGraphMessage, IntentDraft, IntentMessage, TextIssue,
} from '../../src/shared/graphEditorProtocol';
import { ENCODER_NODE_ID } from '../../src/shared/graphEditorProtocol';
import { GraphView } from './graphView';
import type { GraphSelection } from './graphView';
import { Inspector } from './inspector';
import { issueTarget } from './issues';
import { keepOpaque } from '../opaqueColors';

keepOpaque({
  '--fmtl-orange': ['--vscode-charts-orange', '--vscode-editorWarning-foreground'],
  '--fmtl-blue': ['--vscode-charts-blue', '--vscode-focusBorder'],
  '--fmtl-green': ['--vscode-charts-green', '--vscode-focusBorder'],
});

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** What survives the webview being hidden (retainContextWhenHidden is off). */
interface SavedState {
  view?: { x: number; y: number; k: number; auto: boolean };
  selection?: GraphSelection;
}

const vscode = acquireVsCodeApi();
const saved = (vscode.getState() as SavedState | undefined) ?? {};

const port: Port = {
  post: (m) => vscode.postMessage(m),
  onMessage: (l) => {
    const h = (e: MessageEvent) => l(e.data);
    window.addEventListener('message', h);
    return { dispose: () => window.removeEventListener('message', h) };
  },
};
const channel = new Channel<HostToGraphMessage, GraphToHostMessage>(port);

// ------------------------------------------------------------------ DOM

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

const root = document.getElementById('graph-root') ?? document.body.appendChild(el('div', { id: 'graph-root' }));
const title = el('span', { class: 'title' }, 'Task graph');
const status = el('span', { class: 'status', role: 'status', 'aria-live': 'polite' });
const fitBtn = el('button', { class: 'tool', title: 'Zoom to fit', 'aria-label': 'Zoom to fit' }, 'Fit');
const textBtn = el('button', { class: 'tool', title: 'Open the file as text beside the graph', 'aria-label': 'Open as text' }, 'Open as text');
const toolbar = el('div', { class: 'toolbar' }, title, status, el('span', { class: 'spacer' }), fitBtn, textBtn);
const canvas = el('div', { id: 'graph-canvas' });
const banner = el('div', { id: 'graph-banner', role: 'alert', hidden: '' });
const inspectorEl = el('aside', { id: 'inspector', 'aria-label': 'Inspector' });
const errorsEl = el('section', { id: 'graph-errors', 'aria-label': 'Problems' });
const toast = el('div', { id: 'graph-toast', role: 'alert', hidden: '' });
const help = el('div', { class: 'help' },
  'Drag a task\'s output port (●) onto another task or block to add feedback · Tab to a task, A = add feedback · Delete removes the selected arrow · Alt+arrows move a node');
root.replaceChildren(toolbar, el('div', { class: 'main' }, el('div', { class: 'canvas-wrap' }, canvas, banner, help), inspectorEl), errorsEl, toast);

// ------------------------------------------------------------------ state

let version = -1;
let model: GraphModel | undefined;
let issues: GraphIssue[] = [];
let parseErrors: TextIssue[] = [];
let badges: GraphBadges | undefined;
let selection: GraphSelection | undefined = saved.selection;
let viewState = saved.view;
/** Where the last gesture happened, to show a refusal there. */
let gestureAt: { clientX: number; clientY: number } | undefined;

function save(): void {
  vscode.setState({ view: viewState, selection } satisfies SavedState);
}

function send(draft: IntentDraft, at?: { clientX: number; clientY: number }): void {
  gestureAt = at;
  channel.notify({ ...draft, baseVersion: version } as IntentMessage);
}

function setSelection(sel: GraphSelection | undefined): void {
  selection = sel;
  save();
  render();
}

const view = new GraphView(canvas, {
  select: setSelection,
  moveNodes: (positions) => send({ type: 'graph/moveNodes', positions }),
  connect: (from, target, at) => {
    if (!model || !target || target === ENCODER_NODE_ID) {
      showMessage(target === ENCODER_NODE_ID ? 'The encoder takes no feedback: drop on a task or one of its blocks.' : 'Drop on another task or one of its blocks to add feedback.', undefined, at);
      return;
    }
    const [to, n] = target.split('/');
    const t = model.tasks.find((x) => x.id === to);
    const injection = n !== undefined ? Number(n) : (t && t.blocks.length > 1 ? 'gumbel' : 1);
    send({ type: 'graph/addFeedback', from, to, injection }, at);
  },
  deleteArrow: (id) => send({ type: 'graph/deleteFeedback', id }),
  startAddFeedback: (taskId) => {
    inspector.startAddFeedback(taskId);
    setSelection({ kind: 'node', id: taskId });
  },
  viewChanged: (t) => { viewState = t; save(); },
});
if (viewState && !viewState.auto) view.setTransform(viewState);

const inspector = new Inspector(inspectorEl, {
  send: (d) => send(d),
  select: setSelection,
  invalid: (message, at) => showMessage(message, at),
});

fitBtn.addEventListener('click', () => view.fit());
textBtn.addEventListener('click', () => channel.notify({ type: 'graph/showText' }));

document.addEventListener('keydown', (ev) => {
  const inForm = ev.target instanceof HTMLElement && inspectorEl.contains(ev.target);
  if (inForm) return;
  if ((ev.key === 'Delete' || ev.key === 'Backspace') && selection?.kind === 'arrow' && !readOnly()) {
    ev.preventDefault();
    send({ type: 'graph/deleteFeedback', id: selection.id });
  } else if (ev.key === 'Escape') {
    setSelection(undefined);
  }
});

function readOnly(): boolean {
  return parseErrors.length > 0;
}

// ------------------------------------------------------------------ messages

let toastTimer: ReturnType<typeof setTimeout> | undefined;

/** A message in place: next to the node/arrow `at`, or at the gesture's point, else top centre. */
function showMessage(text: string, at?: string, point?: { clientX: number; clientY: number }, kind: 'refused' | 'info' = 'refused'): void {
  toast.textContent = text;
  toast.className = kind;
  toast.hidden = false;
  const r = at ? view.rectOf(at) : undefined;
  const box = root.getBoundingClientRect();
  const x = r ? r.left + r.width / 2 : point?.clientX ?? box.left + box.width / 2;
  const y = r ? r.bottom + 8 : (point ? point.clientY + 14 : box.top + 48);
  toast.style.left = `${Math.max(8, Math.min(x - 160, box.width - 330))}px`;
  toast.style.top = `${Math.max(40, y)}px`;
  if (toastTimer) clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toast.hidden = true; }, kind === 'refused' ? 7000 : 4000);
}

channel.onAny((msg) => {
  switch (msg.type) {
    case 'graph/snapshot':
      if (msg.version < version) return; // out of order; a newer one is already drawn
      version = msg.version;
      title.textContent = msg.fileName;
      parseErrors = msg.parseErrors;
      if (msg.model) {
        model = msg.model;
        issues = msg.issues;
        badges = msg.badges;
      }
      if (!view.dragging) view.clearOverrides();
      render();
      return;
    case 'graph/badges':
      badges = msg.badges;
      render({ badgesOnly: true });
      return;
    case 'graph/refused':
      view.clearOverrides();
      render();
      showMessage(`Not done: ${msg.reason}`, msg.at, msg.at ? undefined : gestureAt);
      return;
    case 'graph/applied':
      if (msg.note) showMessage(msg.note, undefined, undefined, 'info');
      if (msg.created && model) {
        // The snapshot with the new element may come before or after this message.
        const created = msg.created;
        const kind = model.tasks.some((t) => t.id === created) || created.includes('/') ? 'node' : 'arrow';
        selection = { kind, id: created };
        save();
        render();
        requestAnimationFrame(() => view.focus(created));
      }
      return;
    case 'graph/command':
      if (msg.command === 'fit') { view.fit(); return; }
      if (model && !readOnly()) {
        // From the selected task (or a selected block's task), else the first task.
        const selTask = selection?.kind === 'node' ? selection.id.split('/')[0] : undefined;
        const from = model.tasks.find((t) => t.id === selTask)?.id ?? model.tasks[0]?.id;
        if (from) { inspector.startAddFeedback(from); setSelection({ kind: 'node', id: from }); }
      }
      return;
    default:
      assertNever(msg);
  }
});

function render(opts: { badgesOnly?: boolean } = {}): void {
  const ro = readOnly();
  banner.hidden = !ro;
  banner.textContent = ro
    ? `The file has ${parseErrors.length} JSON syntax error${parseErrors.length > 1 ? 's' : ''}; showing the last good graph, read-only, until the text is fixed.`
    : '';
  if (!model) {
    canvas.classList.add('empty');
    renderErrors();
    return;
  }
  if (selection && !exists(selection, model)) selection = undefined;
  view.render({ model, badges, issues, selection, readOnly: ro });
  // Live badge updates (every ~0.5 s while training) must not rebuild a panel the user is typing in.
  const typing = document.activeElement instanceof HTMLElement && inspectorEl.contains(document.activeElement);
  if (!(opts.badgesOnly && typing)) inspector.render({ model, badges, issues, selection, readOnly: ro });
  renderErrors();
  const nErr = issues.filter((i) => i.severity === 'error').length;
  status.textContent = [
    `v${version}`,
    `${model.tasks.length} task${model.tasks.length === 1 ? '' : 's'}`,
    `${model.arrows.length} arrow${model.arrows.length === 1 ? '' : 's'}`,
    ro ? 'read-only' : nErr ? `${nErr} error${nErr > 1 ? 's' : ''}` : 'valid',
    badges ? `run ${badges.runId} (${badges.status})${badges.where ? `, figures: ${badges.where}` : ''}` : '',
  ].filter(Boolean).join(' · ');
}

function exists(sel: GraphSelection, m: GraphModel): boolean {
  if (sel.kind === 'arrow') return m.arrows.some((a) => a.id === sel.id);
  if (sel.id === ENCODER_NODE_ID) return true;
  const [t, n] = sel.id.split('/');
  const task = m.tasks.find((x) => x.id === t);
  return Boolean(task && (n === undefined || task.blocks.some((b) => String(b.n) === n)));
}

function renderErrors(): void {
  const items: HTMLElement[] = [];
  for (const e of parseErrors) {
    items.push(el('li', { class: 'error' }, `Line ${e.line}, column ${e.column}: JSON syntax error: ${e.message}`));
  }
  if (!parseErrors.length && model) {
    for (const i of issues) {
      const target = issueTarget(i, model);
      const li = el('li', { class: i.severity });
      const text = `${i.pathText || '(file)'}: ${i.message}`;
      if (target) {
        const b = el('button', { class: 'link', title: 'Show on the graph' }, text);
        b.addEventListener('click', () => { setSelection({ kind: target.kind, id: target.id }); view.focus(target.id); });
        li.append(b);
      } else {
        li.append(text);
      }
      items.push(li);
    }
  }
  errorsEl.hidden = items.length === 0;
  errorsEl.replaceChildren(
    el('h2', {}, parseErrors.length ? 'JSON syntax errors' : `Problems (${items.length})`),
    el('ul', {}, ...items),
  );
}

channel.notify({ type: 'webview/ready' });
