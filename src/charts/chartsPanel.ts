/**
 * Run charts panels: `feedbackMtl.openRunCharts` opens one webview panel per run (or one compare
 * panel for several), fed from the RunStore's bounded buffers.
 *
 * Protocol (`runViewProtocol.ts`): the webview says `webview/ready`, the panel answers with a full
 * `run/snapshot`, then forwards the store's new events as coalesced `run/events` (at most one
 * message per run every 100 ms). Hidden panels drop their webview (no retained context), stop
 * streaming, and are re-hydrated from the store when shown again: the new webview says ready.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Channel, type Port } from '../shared/channel';
import type {
  ChartsExportRequest, ChartsExportResult, ChartsToHostMessage, ExamplesLoadResult, HostToChartsMessage, RunSnapshot, RunViewMode, TryModelResult,
} from '../shared/runViewProtocol';
import type { TrainerEvent } from '../shared/trainerProtocol';
import { assertNever } from '../shared/assertNever';
import { escapeHtml } from '../shared/escape';
import { makeNonce, webviewMessagePage, webviewPage } from '../shared/webviewPage';
import { thinEvents } from '../shared/series/thinEvents';
import { hasEventLog, readEvents, readPredictions } from '../runFolder/runFolderReader';
import type { RunStore } from '../runs/runStore';
import type { TryModel } from '../runs/tryModel';

export const RUN_CHARTS_VIEW_TYPE = 'feedbackMtl.runCharts';
/** Coalescing window of live events (ms). */
const FLUSH_MS = 100;

export interface ChartsPanelDeps {
  runStore: RunStore;
  output?: vscode.OutputChannel;
  /** Try the model: a run's trained model on typed text, in a trainer process. */
  tryModel?: Pick<TryModel, 'predict'>;
}

/** Registers `feedbackMtl.openRunCharts` (arg: run id, run folder path or Uri, or an array of them). */
export function registerChartsPanels(context: vscode.ExtensionContext, deps: ChartsPanelDeps): vscode.Disposable {
  const panels = new Map<string, RunChartsPanel>();
  /** `opts.beside`: open in the column beside the active editor without taking focus (used on train). */
  const open = async (arg?: unknown, opts?: { beside?: boolean }): Promise<void> => {
    try {
      let refs = toRefs(arg);
      if (!refs.length) {
        const runs = deps.runStore.listRuns();
        if (!runs.length) { void vscode.window.showInformationMessage('Feedback MTL: no runs yet. Train an experiment first.'); return; }
        const pick = await vscode.window.showQuickPick(runs.map((r) => ({ label: r.name, description: r.status, id: r.id })), { title: 'Open the charts of which run?' });
        if (!pick) return;
        refs = [pick.id];
      }
      const ids: string[] = [];
      const adhoc = new Map<string, RunSnapshot>();
      for (const ref of refs) {
        const id = await resolveRun(deps.runStore, ref);
        if (id) { ids.push(id); continue; }
        const snap = readFolderSnapshot(ref);
        if (snap) { ids.push(snap.id); adhoc.set(snap.id, snap); continue; }
        void vscode.window.showErrorMessage(`Feedback MTL: no run "${ref}" (not a known run id, and no events.jsonl in that folder).`);
        return;
      }
      const unique = [...new Set(ids)];
      const key = unique.slice().sort().join('\n');
      const existing = panels.get(key);
      if (existing) { existing.reveal(); return; }
      const panel = new RunChartsPanel(context, deps, unique, adhoc, () => panels.delete(key), opts?.beside === true);
      panels.set(key, panel);
    } catch (e) {
      void vscode.window.showErrorMessage(`Feedback MTL: could not open the run charts: ${(e as Error).message}`);
    }
  };
  const cmd = vscode.commands.registerCommand('feedbackMtl.openRunCharts', open);
  return { dispose: () => { cmd.dispose(); for (const p of [...panels.values()]) p.dispose(); panels.clear(); } };
}

/** Accepts a string, Uri, `{ runId }`, `{ id }` or arrays of them. */
function toRefs(arg: unknown): string[] {
  const one = (a: unknown): string | undefined => {
    if (typeof a === 'string') return a;
    if (a instanceof vscode.Uri) return a.fsPath;
    if (a && typeof a === 'object') {
      const o = a as { runId?: unknown; id?: unknown; runDir?: unknown };
      if (typeof o.runId === 'string') return o.runId;
      if (typeof o.id === 'string') return o.id;
      if (typeof o.runDir === 'string') return o.runDir;
    }
    return undefined;
  };
  return (Array.isArray(arg) ? arg : arg === undefined ? [] : [arg]).map(one).filter((s): s is string => !!s);
}

/** Id of a run in the store, scanning its parent folder first when `ref` is a run folder on disk. */
async function resolveRun(store: RunStore, ref: string): Promise<string | undefined> {
  const known = store.getRun(ref);
  if (known) return known.id;
  if (path.isAbsolute(ref) && hasEventLog(ref)) {
    await store.scanRunsDir(path.dirname(ref));
    return store.getRun(ref)?.id;
  }
  return undefined;
}

/** A run folder the store does not manage (e.g. copied from elsewhere): read its event log once. */
function readFolderSnapshot(dir: string): RunSnapshot | undefined {
  if (!hasEventLog(dir)) return undefined;
  const events = thinEvents(readEvents(dir), { steps: 8000, deltas: 4000, gates: 4000 });
  const start = events.find((e) => e.type === 'run/start');
  const done = events.find((e) => e.type === 'run/done');
  return {
    id: start?.runId ?? path.basename(dir), name: path.basename(dir), colorIndex: 0, runDir: dir,
    config: start?.type === 'run/start' ? start.config : undefined,
    status: done?.type === 'run/done' ? done.summary.status : 'unknown', events,
  };
}

class RunChartsPanel {
  private readonly panel: vscode.WebviewPanel;
  private readonly disposables: vscode.Disposable[] = [];
  private channel?: Channel<ChartsToHostMessage, HostToChartsMessage>;
  private hydrated = false;
  private readonly pending = new Map<string, TrainerEvent[]>();
  private readonly statusSent = new Map<string, string>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly deps: ChartsPanelDeps,
    private readonly runIds: string[],
    private readonly adhoc: Map<string, RunSnapshot>,
    private readonly onDispose: () => void,
    beside = false,
  ) {
    const distWebview = vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview');
    const column = beside ? { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true } : vscode.ViewColumn.Active;
    this.panel = vscode.window.createWebviewPanel(RUN_CHARTS_VIEW_TYPE, this.title(), column, {
      enableScripts: true, retainContextWhenHidden: false, localResourceRoots: [distWebview],
    });
    this.disposables.push(
      this.panel.onDidDispose(() => this.dispose()),
      this.panel.onDidChangeViewState(() => { if (!this.panel.visible) { this.hydrated = false; this.pending.clear(); } }),
      deps.runStore.onDidAppend((runId, events) => this.onAppend(runId, events)),
      deps.runStore.onDidChange((run, runId) => {
        if (!run || !this.runIds.includes(runId) || !this.hydrated) return;
        // Epoch ends also count as changes (many a second on a small model): only a new status is news here.
        if (this.statusSent.get(runId) === run.status) return;
        this.statusSent.set(runId, run.status);
        this.flush();
        this.channel?.notify({ type: 'run/status', runId, status: run.status });
        this.panel.title = this.title();
      }),
    );
    this.setHtml(distWebview);
  }

  reveal(): void {
    this.panel.reveal();
  }

  private get mode(): RunViewMode {
    return this.runIds.length > 1 ? 'compare' : 'single';
  }

  private title(): string {
    if (this.runIds.length > 1) return `Compare ${this.runIds.length} runs`;
    const id = this.runIds[0];
    const info = this.deps.runStore.getRun(id);
    const name = info?.name ?? this.adhoc.get(id)?.name ?? id;
    return `${info?.status === 'running' ? '● ' : ''}${name}`;
  }

  private setHtml(distWebview: vscode.Uri): void {
    const webview = this.panel.webview;
    const scriptFile = vscode.Uri.joinPath(distWebview, 'charts.js');
    if (!fs.existsSync(scriptFile.fsPath)) {
      webview.html = webviewMessagePage('Charts', `The charts bundle is missing (${escapeHtml(scriptFile.fsPath)}). Run <code>npm run build</code>.`);
      return;
    }
    this.channel?.dispose();
    const port: Port = {
      post: (m) => { void webview.postMessage(m); },
      onMessage: (listener) => webview.onDidReceiveMessage(listener),
    };
    this.channel = new Channel<ChartsToHostMessage, HostToChartsMessage>(port);
    this.channel.onAny((m) => this.onMessage(m));
    this.channel.on('charts/export', (m) => this.save(m));
    this.channel.on('examples/load', async (m): Promise<ExamplesLoadResult> => {
      const dir = this.runDirOf(m.runId);
      if (!dir) return { error: 'This run has no folder on disk.' };
      const t0 = performance.now();
      const r = await readPredictions(dir, m.split);
      this.deps.output?.appendLine(`[charts] ${m.split} predictions of ${path.basename(dir)}: ${r.file ? `${r.file.examples.length} examples read in ${Math.round(performance.now() - t0)} ms` : r.error}`);
      return r;
    });
    this.channel.on('model/try', async (m): Promise<TryModelResult> => {
      const dir = this.runDirOf(m.runId);
      if (!dir) return { error: 'This run has no folder on disk.' };
      if (!this.deps.tryModel) return { error: 'Try the model is not available here.' };
      try { return { reply: await this.deps.tryModel.predict(dir, m.text) }; } catch (e) { return { error: (e as Error).message }; }
    });
    webview.html = webviewPage({
      cspSource: webview.cspSource, nonce: makeNonce(), scriptUri: webview.asWebviewUri(scriptFile).toString(),
      title: this.title(), body: '<main id="charts-root"></main>', inlineStyles: true, blobImages: true,
    });
  }

  private onMessage(m: ChartsToHostMessage): void {
    switch (m.type) {
      case 'webview/ready':
        void this.hydrate();
        break;
      case 'charts/export':
      case 'examples/load':
      case 'model/try':
        break; // answered by the request handlers
      case 'charts/log':
        this.deps.output?.appendLine(`[charts] ${m.level}: ${m.message}`);
        if (m.level === 'error') void vscode.window.showErrorMessage(`Feedback MTL: ${m.message}`);
        break;
      default:
        assertNever(m);
    }
  }

  /** Full snapshot from the store (disk runs are loaded first, off the UI thread's hot path). */
  private async hydrate(): Promise<void> {
    this.hydrated = false;
    this.pending.clear();
    const runs: RunSnapshot[] = [];
    for (const id of this.runIds) {
      const adhoc = this.adhoc.get(id);
      if (adhoc) { runs.push(adhoc); continue; }
      await this.deps.runStore.load(id);
      const snap = this.deps.runStore.runSnapshot(id);
      if (snap) runs.push(snap);
    }
    if (this.disposed) return;
    // Events appended while loading were already in the snapshot or arrive after it: the webview
    // drops repeated steps, so starting to stream now loses nothing.
    this.channel?.notify({ type: 'run/snapshot', mode: this.mode, runs });
    this.hydrated = true;
  }

  private onAppend(runId: string, events: TrainerEvent[]): void {
    if (!this.hydrated || !this.runIds.includes(runId) || !this.panel.visible) return;
    // A run resumed in its folder: the steps after its checkpoint are trained again, so the webview
    // starts over from the store's history (which no longer has the superseded ones).
    if (events.some((e) => e.type === 'run/start' && e.resumed)) { void this.hydrate(); return; }
    const q = this.pending.get(runId);
    if (q) q.push(...events); else this.pending.set(runId, events.slice());
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const [runId, events] of this.pending) if (events.length) this.channel?.notify({ type: 'run/events', runId, events });
    this.pending.clear();
  }

  private runDirOf(runId: string): string | undefined {
    if (!this.runIds.includes(runId)) return undefined;
    return this.deps.runStore.getRun(runId)?.runDir ?? this.adhoc.get(runId)?.runDir;
  }

  /** Save dialog in the run folder (or the workspace), then write the file. */
  private async save(m: ChartsExportRequest): Promise<ChartsExportResult> {
    const info = this.deps.runStore.getRun(this.runIds[0]);
    const dir = info?.runDir ?? this.adhoc.get(this.runIds[0])?.runDir ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const label = { png: 'PNG image', svg: 'SVG image', csv: 'CSV', json: 'JSON' }[m.format];
    const filters = { [label]: [m.format] };
    const target = await vscode.window.showSaveDialog({
      defaultUri: dir ? vscode.Uri.file(path.join(dir, safeFileName(m.fileName))) : undefined,
      filters, title: `Export ${m.format.toUpperCase()}`,
    });
    if (!target) return {};
    const bytes = m.encoding === 'base64' ? Buffer.from(m.content, 'base64') : Buffer.from(m.content, 'utf8');
    await vscode.workspace.fs.writeFile(target, bytes);
    this.deps.output?.appendLine(`[charts] exported ${target.fsPath}`);
    void vscode.window.showInformationMessage(`Feedback MTL: saved ${path.basename(target.fsPath)}`, 'Reveal').then((a) => {
      if (a === 'Reveal') void vscode.commands.executeCommand('revealFileInOS', target);
    });
    return { savedPath: target.fsPath };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.channel?.dispose();
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
    this.onDispose();
  }
}

/** File names from the webview are suggestions: keep them to one safe path segment. */
export function safeFileName(name: string): string {
  return path.basename(name).replace(/[^\w.-]+/g, '-').slice(0, 120) || 'export';
}
