/**
 * Sweeps in the extension: the "Run sweep" command on a `*.sweep.json`, "Train ablation" (static /
 * fixed / Gumbel of one experiment at `feedbackMtl.ablation.seeds` seeds, as a sweep), the Sweeps view (each sweep
 * with its cells and their progress) and the sweep panel (progress per cell, the table with
 * mean ± std, the paired comparison, and a button that overlays the curves per cell in the charts'
 * Compare view, which groups seeds of one config into mean ± spread).
 *
 * The runs go through the same local pool as `fmtl sweep` (src/sweeps/localPool.ts) with the
 * extension's trainer bundle and settings; their events also feed the run store, so the runs show
 * live in the Runs view and the charts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatIssue, parseExperiment } from '../shared/experiment';
import { pickExperiment } from '../runs/trainCommands';
import type { Sweep } from '../shared/sweep';
import { confirmDataAccess } from '../runs/dataAccess';
import type { SweepTable } from '../shared/sweepTable';
import type { TrainRequestOptions } from '../shared/trainerProtocol';
import { formatDuration } from '../shared/duration';
import type { HostDeps } from '../runs/hostDeps';
import { nativeKernelsEnv } from '../runs/nativeKernels';
import { isSweepUri } from '../runs/workspaceRuns';
import { runLocalPool, type PoolRunUpdate } from '../sweeps/localPool';
import { cellRecords, cellRunsDir, defaultSweepDir, readSweepInfo, runState, SWEEP_FILES, writeSweepInfo } from '../sweeps/sweepFolder';
import { cellExperiments, loadSweepFile, sweepName, type LoadedSweep } from '../sweeps/sweepFile';
import { writeSweepTable } from '../sweeps/sweepResults';
import { sweepPageHtml, type CellProgress } from './sweepHtml';
import { makeNonce } from '../shared/webviewPage';

/** A sweep the extension knows: running now, or found on disk. */
interface SweepSession {
  name: string;
  sweepDir: string;
  sweep: Sweep;
  experimentPath: string;
  state: 'running' | 'done' | 'stopped' | 'failed' | 'on disk';
  updates: Map<string, PoolRunUpdate>;
  table?: SweepTable;
  abort?: AbortController;
}

export function registerSweeps(context: vscode.ExtensionContext, deps: HostDeps): vscode.Disposable {
  const sessions = new Map<string, SweepSession>();
  const changed = new vscode.EventEmitter<void>();
  const panels = new Map<string, vscode.WebviewPanel>();
  let redrawTimer: ReturnType<typeof setTimeout> | undefined;
  const redrawSoon = () => {
    if (redrawTimer) return;
    redrawTimer = setTimeout(() => { redrawTimer = undefined; changed.fire(); for (const [dir, p] of panels) draw(p, sessions.get(dir)); }, 250);
  };

  // ------------------------------------------------------------------ running a sweep

  async function runSweep(arg?: unknown): Promise<void> {
    if (!vscode.workspace.isTrusted) { void vscode.window.showWarningMessage('Feedback MTL: sweeps train on this folder\'s data; trust the workspace first.'); return; }
    const uri = await pickSweep(arg);
    if (!uri) return;
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (doc?.isDirty) await doc.save();
    await start(loadSweepFile(uri.fsPath), uri.fsPath);
  }

  /** "Train ablation": static / fixed / Gumbel of one experiment, each at `feedbackMtl.ablation.seeds` seeds, as a sweep. */
  async function ablation(experimentPath: string, name: string, seed: number): Promise<void> {
    const seeds = Math.max(1, vscode.workspace.getConfiguration('feedbackMtl', vscode.Uri.file(experimentPath)).get<number>('ablation.seeds', 3));
    const text = JSON.stringify({ name: `${name}-ablation`, experiment: path.basename(experimentPath), seeds: { count: seeds, start: seed }, variants: ['static', 'fixed', 'gumbel'], baseline: { variant: 'static' } });
    // Not written: the sweep lives in its folder (sweep.json there holds it whole).
    const s = await start(loadSweepFile(path.join(path.dirname(experimentPath), `${name}-ablation.sweep.json`), text), undefined);
    // The three variants' curves side by side (seeds of a variant as mean ± spread), as the
    // one-seed ablation did.
    if (s && s.state !== 'stopped') await overlayCurves(s.sweepDir);
  }

  async function start(loaded: LoadedSweep, file: string | undefined): Promise<SweepSession | undefined> {
    if (!loaded.sweep) {
      const first = loaded.issues.find((i) => i.severity === 'error');
      const where = first ? formatIssue(first, vscode.workspace.asRelativePath(loaded.path), loaded.text) : loaded.path;
      const b = await vscode.window.showErrorMessage(`Feedback MTL: the sweep has errors: ${where}`, ...(file ? ['Show Problems'] : []));
      if (b) await vscode.commands.executeCommand('workbench.actions.view.problems');
      return undefined;
    }
    const sweep = loaded.sweep;
    const name = sweepName(loaded.path, sweep);
    const sweepDir = defaultSweepDir(loaded.path, name);
    if (sessions.get(sweepDir)?.state === 'running') { void vscode.window.showInformationMessage(`Feedback MTL: sweep ${name} is already running.`); openPanel(sweepDir); return undefined; }
    // Every cell's data (an axis may set a data path); the decision goes to every trainer process.
    const dataAccess = await confirmDataAccess(context, loaded.experimentPath!, cellExperiments(loaded));
    if (!dataAccess) return undefined;
    writeSweepInfo(sweepDir, { name, sweepPath: loaded.path, experimentPath: loaded.experimentPath!, sweep });
    const s: SweepSession = { name, sweepDir, sweep, experimentPath: loaded.experimentPath!, state: 'running', updates: new Map(), abort: new AbortController() };
    sessions.set(sweepDir, s);
    refreshTable(s);
    openPanel(sweepDir);
    redrawSoon();

    const cfg = vscode.workspace.getConfiguration('feedbackMtl', vscode.Uri.file(s.experimentPath));
    const workers = Math.max(1, cfg.get<number>('sweep.workers', 1));
    const nodePath = cfg.get<string>('nodePath', '').trim();
    const trainerPath = context.asAbsolutePath(path.join('dist', 'trainer.js'));
    deps.output.appendLine(`[host] sweep ${name}: ${sweep.runs.length} runs (${sweep.cells.length} cells x ${sweep.seeds.length} seeds) on ${workers} worker${workers === 1 ? '' : 's'} into ${sweepDir}`);
    const t0 = Date.now();
    const walls: number[] = [];
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Feedback MTL: sweep ${name}`, cancellable: true }, async (progress, token) => {
      token.onCancellationRequested(() => s.abort!.abort());
      const report = () => {
        const all = [...s.updates.values()];
        const done = all.filter((u) => u.status === 'done').length;
        const running = all.filter((u) => u.status === 'running');
        let left = all.filter((u) => u.status === 'pending').length;
        for (const u of running) left += u.epochs ? 1 - (u.epoch ?? 0) / u.epochs : 1;
        const eta = walls.length ? formatDuration((left * walls.reduce((a, b) => a + b, 0)) / walls.length / workers) : '–';
        progress.report({ message: `${done}/${sweep.runs.length} runs · ${running.length} running · ETA ${eta}` });
      };
      const result = await runLocalPool({
        launch: { trainerPath, execPath: nodePath || undefined, env: nativeKernelsEnv(context) },
        workers, sweep, sweepName: name, sweepDir,
        experimentPath: s.experimentPath,
        backend: cfg.get<TrainRequestOptions['backend']>('backend', 'auto'),
        dataAccess,
        signal: s.abort!.signal,
        onUpdate: (u) => {
          s.updates.set(u.key, u);
          if (u.status === 'done' && !u.skipped && u.wallMs !== undefined) walls.push(u.wallMs);
          if (u.status === 'done' || u.status === 'failed') refreshTable(s);
          if (u.message && u.status !== 'running') deps.output.appendLine(`[sweep ${name}] ${u.key}: ${u.status}: ${u.message}`);
          report();
          redrawSoon();
        },
        onLog: (line) => deps.output.appendLine(`[sweep ${name}] ${line}`),
        onEvent: (_run, e) => { try { deps.runStore.append(e); } catch { /* the store is a view; the run folder is the record */ } },
      });
      s.state = result.stopped ? 'stopped' : result.failed.length ? 'failed' : 'done';
      refreshTable(s);
      redrawSoon();
      deps.output.appendLine(`[host] sweep ${name} ${s.state} after ${formatDuration(Date.now() - t0)}: ${result.done}/${sweep.runs.length} runs done${result.skipped ? ` (${result.skipped} already done)` : ''}${result.failed.length ? `, ${result.failed.length} failed` : ''}`);
      for (const f of result.failed) deps.output.appendLine(`[host]   failed ${f.key}: ${f.message}`);
    });
    const msg = s.state === 'done' ? `sweep ${name} done: ${sweep.runs.length} runs; the table is in its view.`
      : s.state === 'stopped' ? `sweep ${name} stopped; Run sweep again resumes it.` : `sweep ${name}: some runs failed (see the log).`;
    void vscode.window.showInformationMessage(`Feedback MTL: ${msg}`);
    return s;
  }

  function refreshTable(s: SweepSession): void {
    try {
      s.table = writeSweepTable(s.sweepDir, s.name, s.sweep).table;
    } catch (e) {
      deps.output.appendLine(`[host] sweep ${s.name}: could not write the table: ${(e as Error).message}`);
    }
  }

  async function pickSweep(arg: unknown): Promise<vscode.Uri | undefined> {
    if (arg instanceof vscode.Uri && isSweepUri(arg)) return arg;
    if (typeof arg === 'string' && arg.endsWith('.sweep.json')) return vscode.Uri.file(arg);
    const active = vscode.window.activeTextEditor?.document.uri;
    if (isSweepUri(active)) return active;
    const all = await vscode.workspace.findFiles('**/*.sweep.json', '**/{node_modules,.fmtl,.git}/**');
    if (all.length === 1) return all[0];
    if (!all.length) { void vscode.window.showInformationMessage('Feedback MTL: no *.sweep.json in this workspace. A sweep file names an experiment, seeds, variants and axes (see the README).'); return undefined; }
    return (await vscode.window.showQuickPick(all.map((uri) => ({ label: path.basename(uri.fsPath), description: vscode.workspace.asRelativePath(path.dirname(uri.fsPath)), uri })), { title: 'Run which sweep?' }))?.uri;
  }

  // ------------------------------------------------------------------ sweeps on disk

  async function scanDisk(): Promise<void> {
    const found = await vscode.workspace.findFiles(`**/.fmtl/sweeps/*/${SWEEP_FILES.sweep}`, '**/node_modules/**');
    for (const uri of found) {
      const dir = path.dirname(uri.fsPath);
      if (sessions.has(dir)) continue;
      const info = readSweepInfo(dir);
      if (!info?.sweep?.cells) continue;
      const s: SweepSession = { name: info.name, sweepDir: dir, sweep: info.sweep, experimentPath: info.experimentPath, state: 'on disk', updates: new Map() };
      try { s.table = JSON.parse(fs.readFileSync(path.join(dir, SWEEP_FILES.tableJson), 'utf8')) as SweepTable; } catch { /* not yet */ }
      sessions.set(dir, s);
    }
    changed.fire();
  }

  /** Progress per cell: live updates over what the run folders say. */
  function cellProgress(s: SweepSession): CellProgress[] {
    return s.sweep.cells.map((cell) => {
      const records = cellRecords(s.sweepDir, cell.id);
      const runs = s.sweep.runs.filter((r) => r.cellId === cell.id);
      let done = 0, failed = 0;
      const running: string[] = [];
      for (const r of runs) {
        const u = s.updates.get(r.key);
        if (u?.status === 'running') { running.push(`seed ${r.seed}${u.epochs ? ` epoch ${u.epoch ?? 0}/${u.epochs}` : ''}`); continue; }
        if (u?.status === 'failed') { failed++; continue; }
        if (u?.status === 'done' || runState(records, r).kind === 'done') done++;
      }
      return { cellId: cell.id, label: cell.label, seeds: runs.length, done, failed, running };
    });
  }

  // ------------------------------------------------------------------ the panel

  function openPanel(sweepDir: string): void {
    const s = sessions.get(sweepDir);
    if (!s) return;
    let panel = panels.get(sweepDir);
    if (panel) { panel.reveal(undefined, true); draw(panel, s); return; }
    panel = vscode.window.createWebviewPanel('feedbackMtl.sweep', `Sweep: ${s.name}`, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: true, retainContextWhenHidden: false });
    panels.set(sweepDir, panel);
    panel.onDidDispose(() => panels.delete(sweepDir));
    panel.webview.onDidReceiveMessage((m: { type?: string }) => { if (m?.type === 'sweep/curves') void overlayCurves(sweepDir); });
    draw(panel, s);
  }

  function draw(panel: vscode.WebviewPanel, s: SweepSession | undefined): void {
    if (!s) return;
    const nonce = makeNonce();
    panel.webview.html = sweepPageHtml({ name: s.name, sweepDir: s.sweepDir, state: s.state, cells: cellProgress(s), table: s.table, nonce, cspSource: panel.webview.cspSource });
  }

  /** The finished runs of every cell in the Compare view (seeds of one cell -> mean ± spread). */
  async function overlayCurves(sweepDir: string): Promise<void> {
    const s = sessions.get(sweepDir);
    if (!s) return;
    const ids: string[] = [];
    for (const cell of s.sweep.cells) {
      const runs = await deps.runStore.scanRunsDir(cellRunsDir(sweepDir, cell.id), s.experimentPath);
      const done = new Set(cellRecords(sweepDir, cell.id).filter((r) => r.status === 'completed' || r.status === 'early-stopped').map((r) => path.basename(r.dir)));
      ids.push(...runs.filter((r) => done.has(path.basename(r.runDir ?? r.id))).map((r) => r.id));
    }
    if (ids.length < 2) { void vscode.window.showInformationMessage('Feedback MTL: the curves need at least two finished runs.'); return; }
    await vscode.commands.executeCommand('feedbackMtl.openRunCharts', ids);
  }

  // ------------------------------------------------------------------ the Sweeps view

  type Node = { kind: 'sweep'; s: SweepSession } | { kind: 'cell'; s: SweepSession; c: CellProgress };
  const provider: vscode.TreeDataProvider<Node> = {
    onDidChangeTreeData: changed.event,
    getChildren: (n?: Node) => {
      if (!n) return [...sessions.values()].sort((a, b) => a.name.localeCompare(b.name)).map((s) => ({ kind: 'sweep' as const, s }));
      if (n.kind === 'sweep') return cellProgress(n.s).map((c) => ({ kind: 'cell' as const, s: n.s, c }));
      return [];
    },
    getTreeItem: (n: Node) => {
      if (n.kind === 'sweep') {
        const cells = cellProgress(n.s);
        const done = cells.reduce((a, c) => a + c.done, 0);
        const item = new vscode.TreeItem(n.s.name, vscode.TreeItemCollapsibleState.Expanded);
        item.description = `${done}/${n.s.sweep.runs.length} runs · ${n.s.state}`;
        item.iconPath = new vscode.ThemeIcon(n.s.state === 'running' ? 'sync~spin' : 'beaker');
        item.contextValue = 'fmtlSweep';
        item.tooltip = n.s.sweepDir;
        item.command = { command: 'feedbackMtl.openSweep', title: 'Open sweep', arguments: [n.s.sweepDir] };
        return item;
      }
      const item = new vscode.TreeItem(n.c.label, vscode.TreeItemCollapsibleState.None);
      item.description = `${n.c.done}/${n.c.seeds} seeds${n.c.failed ? `, ${n.c.failed} failed` : ''}${n.c.running.length ? ` · ${n.c.running.join(', ')}` : ''}`;
      item.iconPath = new vscode.ThemeIcon(n.c.running.length ? 'loading~spin' : n.c.done === n.c.seeds ? 'pass' : 'circle-outline');
      item.command = { command: 'feedbackMtl.openSweep', title: 'Open sweep', arguments: [n.s.sweepDir] };
      return item;
    },
  };
  void scanDisk();
  // The Runs view lists each sweep under its experiment with the same per-cell progress.
  deps.sweeps = {
    list: () => [...sessions.values()].map((s) => ({ sweepDir: s.sweepDir, name: s.name, experimentPath: s.experimentPath, state: s.state, runs: s.sweep.runs.length, cells: cellProgress(s) })),
    onDidChange: changed.event,
  };

  return vscode.Disposable.from(
    changed,
    vscode.window.createTreeView('feedbackMtl.sweeps', { treeDataProvider: provider }),
    vscode.commands.registerCommand('feedbackMtl.runSweep', (arg?: unknown) => runSweep(arg).catch((e: Error) => {
      deps.output.appendLine(`[host] Run sweep failed: ${e.stack ?? e.message}`);
      void vscode.window.showErrorMessage(`Feedback MTL: ${e.message}`);
    })),
    vscode.commands.registerCommand('feedbackMtl.openSweep', async (dir?: unknown) => {
      if (typeof dir !== 'string') {
        await scanDisk();
        const pick = await vscode.window.showQuickPick([...sessions.values()].map((s) => ({ label: s.name, description: s.state, dir: s.sweepDir })), { title: 'Open which sweep?' });
        if (!pick) return;
        dir = pick.dir;
      }
      openPanel(dir as string);
    }),
    vscode.commands.registerCommand('feedbackMtl.stopSweep', () => { for (const s of sessions.values()) s.abort?.abort(); }),
    vscode.commands.registerCommand('feedbackMtl.trainAblation', async (arg?: unknown) => {
      if (!vscode.workspace.isTrusted) return;
      const exp = await pickExperiment(arg, deps.workspaceRuns, 'Train ablation: which experiment?');
      if (!exp) return;
      const parsed = parseExperiment(fs.readFileSync(exp.fsPath, 'utf8'));
      if (!parsed.experiment) { void vscode.window.showErrorMessage(`Feedback MTL: ${vscode.workspace.asRelativePath(exp)} has errors; see the Problems panel.`); return; }
      if (!parsed.experiment.feedback.some((f) => f.enabled !== false)) { void vscode.window.showWarningMessage(`Feedback MTL: ${parsed.experiment.name} has no feedback arrows, so the three variants would be the same model.`); return; }
      await ablation(exp.fsPath, parsed.experiment.name, parsed.experiment.training.seed);
    }),
    { dispose: () => { if (redrawTimer) clearTimeout(redrawTimer); for (const s of sessions.values()) s.abort?.abort(); for (const p of panels.values()) p.dispose(); } },
  );
}
