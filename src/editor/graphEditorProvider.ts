/**
 * The task-graph custom editor for `*.fmtl.json` (viewType `feedbackMtl.graphEditor`).
 *
 * The TextDocument is the only truth (as in the custom-editor sample, but with minimal edits): the
 * webview sends intents, `edits.ts` turns each into minimal text edits applied as ONE WorkspaceEdit
 * (one gesture = one undo step; dirty state, save, revert, hot exit all come from VS Code). Every
 * change of the document — ours, the text editor, git, undo — reaches every open panel of that
 * document through onDidChangeTextDocument as a snapshot tagged with the document version; a panel
 * is never sent a version it already has.
 */
import * as vscode from 'vscode';
import { Channel } from '../shared/channel';
import type { Disposable, Port } from '../shared/channel';
import { assertNever } from '../shared/assertNever';
import type { GraphBadges, GraphToHostMessage, HostToGraphMessage, IntentMessage, SnapshotMessage } from '../shared/graphEditorProtocol';
import type { EpochEvent } from '../shared/trainerProtocol';
import type { RunStore } from '../runs/runStore';
import { computeEdits } from './edits';
import { computeBadges, readGraph } from './graphModel';
import type { ReadResult } from './graphModel';
import { makeNonce } from '../shared/webviewPage';
import { graphHtml } from './graphHtml';

export const GRAPH_EDITOR_VIEW_TYPE = 'feedbackMtl.graphEditor';

/** What the graph editor needs from the host. */
export interface GraphEditorDeps {
  runStore: RunStore;
  /** When present, the experiment's run folders are scanned on open so badges show at once. */
  workspaceRuns?: { scanExperiment(experimentPath: string): Promise<void> };
}

/** Register the custom editor. */
export function registerGraphEditor(context: vscode.ExtensionContext, deps: GraphEditorDeps): vscode.Disposable {
  /** The graph editor the user is in (keybindings are scoped to it by `activeCustomEditorId`). */
  const active = (): GraphPanel | undefined => [...GraphPanel.open].find((p) => p.isActive());
  const inActive = (f: (p: GraphPanel) => void) => () => {
    const p = active();
    if (p) f(p);
    else void vscode.window.showInformationMessage('Feedback MTL: open an experiment in the task graph editor first.');
  };
  return vscode.Disposable.from(
    vscode.window.registerCustomEditorProvider(GRAPH_EDITOR_VIEW_TYPE, new GraphEditorProvider(context, deps), {
      // State survives hiding through vscode.setState + a fresh snapshot on `webview/ready`.
      webviewOptions: { retainContextWhenHidden: false },
      supportsMultipleEditorsPerDocument: true,
    }),
    vscode.commands.registerCommand('feedbackMtl.graph.fit', inActive((p) => p.command('fit'))),
    vscode.commands.registerCommand('feedbackMtl.graph.addFeedback', inActive((p) => p.command('addFeedback'))),
    vscode.commands.registerCommand('feedbackMtl.graph.openAsText', inActive((p) => p.showText())),
  );
}

/** Intents of one document run one at a time, each against the text its predecessor produced. */
const queues = new Map<string, Promise<void>>();

function enqueue(key: string, job: () => Promise<void>): Promise<void> {
  const next = (queues.get(key) ?? Promise.resolve()).then(job, job);
  const tail = next.catch(() => undefined);
  queues.set(key, tail);
  void tail.then(() => { if (queues.get(key) === tail) queues.delete(key); });
  return next;
}

class GraphEditorProvider implements vscode.CustomTextEditorProvider {
  constructor(private readonly context: vscode.ExtensionContext, private readonly deps: GraphEditorDeps) {}

  resolveCustomTextEditor(document: vscode.TextDocument, panel: vscode.WebviewPanel): void {
    const { extensionUri } = this.context;
    const webview = panel.webview;
    webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
    };
    webview.html = graphHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', 'graph.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'graph.css')).toString(),
      nonce: makeNonce(),
    });
    new GraphPanel(document, panel, this.deps);
  }
}

/** One open graph editor: a panel bound to a document. */
class GraphPanel {
  /** Every open graph editor (for the commands that act on the active one). */
  static readonly open = new Set<GraphPanel>();
  private readonly channel: Channel<GraphToHostMessage, HostToGraphMessage>;
  private readonly subs: Disposable[] = [];
  private ready = false;
  /** Document version of the last snapshot sent (echo guard). */
  private sentVersion = -1;
  private snapshotTimer: ReturnType<typeof setTimeout> | undefined;
  private badgeTimer: ReturnType<typeof setTimeout> | undefined;
  private cache?: { version: number; read: ReadResult };
  private badges?: GraphBadges;

  constructor(private readonly document: vscode.TextDocument, private readonly panel: vscode.WebviewPanel, private readonly deps: GraphEditorDeps) {
    const port: Port = {
      post: (m) => { void panel.webview.postMessage(m); },
      onMessage: (l) => panel.webview.onDidReceiveMessage(l),
    };
    this.channel = new Channel(port);
    this.channel.onAny((msg) => this.receive(msg));
    const key = document.uri.toString();
    this.subs.push(
      this.channel,
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.toString() === key && e.contentChanges.length) this.scheduleSnapshot();
      }),
      deps.runStore.onDidAppend(() => this.scheduleBadges()),
      deps.runStore.onDidChange(() => this.scheduleBadges()),
    );
    GraphPanel.open.add(this);
    panel.onDidDispose(() => this.dispose());
    if (document.uri.scheme === 'file') void deps.workspaceRuns?.scanExperiment(document.uri.fsPath).then(() => this.scheduleBadges(), () => undefined);
  }

  isActive(): boolean {
    return this.panel.active;
  }

  /** Run a graph command in the webview. */
  command(command: 'fit' | 'addFeedback'): void {
    this.channel.notify({ type: 'graph/command', command });
  }

  /** The file as text beside the graph. */
  showText(): void {
    void vscode.commands.executeCommand('vscode.openWith', this.document.uri, 'default', vscode.ViewColumn.Beside);
  }

  private receive(msg: GraphToHostMessage): void {
    switch (msg.type) {
      case 'webview/ready':
        // A (re)loaded webview has nothing: always send the full state.
        this.ready = true;
        this.sentVersion = -1;
        void this.refreshBadges().then(() => this.sendSnapshot());
        return;
      case 'graph/showText':
        this.showText();
        return;
      case 'graph/addFeedback': case 'graph/deleteFeedback': case 'graph/updateFeedback': case 'graph/addTask':
      case 'graph/removeTask': case 'graph/renameTask': case 'graph/updateTask': case 'graph/addBlock':
      case 'graph/removeBlock': case 'graph/updateBlock': case 'graph/updateSettings': case 'graph/moveNodes':
        void enqueue(this.document.uri.toString(), () => this.applyIntent(msg));
        return;
      default:
        assertNever(msg);
    }
  }

  /** Intent -> one WorkspaceEdit, or a refusal with the reason. */
  private async applyIntent(intent: IntentMessage): Promise<void> {
    const outcome = computeEdits(this.document.getText(), intent);
    if (!outcome.ok) {
      this.channel.notify({ type: 'graph/refused', intent: intent.type, reason: outcome.reason, ...(outcome.at ? { at: outcome.at } : {}) });
      return;
    }
    if (outcome.edits.length) {
      const edit = new vscode.WorkspaceEdit();
      for (const e of outcome.edits) {
        edit.replace(this.document.uri, new vscode.Range(this.document.positionAt(e.offset), this.document.positionAt(e.offset + e.length)), e.content);
      }
      const ok = await vscode.workspace.applyEdit(edit);
      if (!ok) {
        this.channel.notify({ type: 'graph/refused', intent: intent.type, reason: 'VS Code did not apply the edit (is the file read-only?).' });
        return;
      }
    }
    this.flushSnapshot();
    this.channel.notify({
      type: 'graph/applied', intent: intent.type, version: this.document.version,
      ...(outcome.note ? { note: outcome.note } : {}), ...(outcome.created ? { created: outcome.created } : {}),
    });
  }

  private read(): ReadResult {
    if (this.cache?.version !== this.document.version) this.cache = { version: this.document.version, read: readGraph(this.document.getText()) };
    return this.cache.read;
  }

  private scheduleSnapshot(): void {
    // Coalesce bursts (typing in the text editor beside) into one snapshot.
    if (this.snapshotTimer) return;
    this.snapshotTimer = setTimeout(() => { this.snapshotTimer = undefined; this.sendSnapshot(); }, 25);
  }

  private flushSnapshot(): void {
    if (this.snapshotTimer) { clearTimeout(this.snapshotTimer); this.snapshotTimer = undefined; }
    this.sendSnapshot();
  }

  private sendSnapshot(): void {
    if (!this.ready || this.document.version === this.sentVersion) return;
    const r = this.read();
    if (r.model) this.badges = this.computeBadges();
    const msg: SnapshotMessage = {
      type: 'graph/snapshot', version: this.document.version, fileName: this.document.uri.path.split('/').pop() ?? '',
      model: r.model, parseErrors: r.parseErrors, issues: r.issues, badges: this.badges,
    };
    this.sentVersion = this.document.version;
    this.channel.notify(msg);
  }

  private scheduleBadges(): void {
    // Runs emit many events a second; badges move slowly.
    if (this.badgeTimer || !this.ready) return;
    this.badgeTimer = setTimeout(() => {
      this.badgeTimer = undefined;
      void this.refreshBadges().then((changed) => { if (changed) this.channel.notify({ type: 'graph/badges', badges: this.badges }); });
    }, 500);
  }

  /** Recompute badges from the latest run of this experiment; true if they changed. */
  private async refreshBadges(): Promise<boolean> {
    const before = JSON.stringify(this.badges ?? null);
    const run = this.latestRun();
    if (run) await this.deps.runStore.load(run.id).catch(() => undefined);
    this.badges = this.computeBadges();
    return JSON.stringify(this.badges ?? null) !== before;
  }

  private latestRun() {
    if (this.document.uri.scheme !== 'file') return undefined;
    return this.deps.runStore.listRuns(this.document.uri.fsPath)[0];
  }

  private computeBadges(): GraphBadges | undefined {
    const model = this.read().model;
    const run = this.latestRun();
    if (!model || !run) return undefined;
    const epochs = this.deps.runStore.snapshot(run.id).filter((e): e is EpochEvent => e.type === 'run/epoch');
    return computeBadges(model, { id: run.id, status: run.status, summary: run.summary, epochs, lastGates: run.lastGates });
  }

  private dispose(): void {
    GraphPanel.open.delete(this);
    if (this.snapshotTimer) clearTimeout(this.snapshotTimer);
    if (this.badgeTimer) clearTimeout(this.badgeTimer);
    for (const s of this.subs) s.dispose();
  }
}
