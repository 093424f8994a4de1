/**
 * The Runs view: experiments of the workspace, each with its runs (newest first) showing status,
 * headline metrics and backend. Items carry `runId` / `experimentPath` so the run commands accept
 * them as arguments; `contextValue` (`fmtlRun:<status>[:resumable]`, `fmtlExperiment`) drives the
 * context menu's `when` clauses in package.json.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatAgo } from '../shared/duration';
import { escapeMarkdown } from '../shared/escape';
import { formatMetric, headlineMetric, metricInfo } from '../shared/metrics/catalogue';
import { runFigures } from './runFigures';
import type { HostDeps } from './hostDeps';
import { isResumable, type RunInfo } from './runStore';

type Node =
  | { kind: 'experiment'; experimentPath: string; label: string; description?: string; exists: boolean }
  | { kind: 'sweep'; sweepDir: string }
  | { kind: 'cell'; sweepDir: string; cellId: string }
  | { kind: 'run'; runId: string }
  | { kind: 'empty'; experimentPath: string };

const OTHER = '\0other';

export function registerRunsTree(_context: vscode.ExtensionContext, deps: HostDeps): vscode.Disposable {
  const provider = new RunsTreeProvider(deps);
  const view = vscode.window.createTreeView('feedbackMtl.runs', { treeDataProvider: provider, canSelectMany: true, showCollapseAll: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const refreshSoon = () => { timer ??= setTimeout(() => { timer = undefined; provider.refresh(); }, 500); };
  return vscode.Disposable.from(
    view,
    provider,
    deps.runStore.onDidChange(refreshSoon),
    deps.workspaceRuns.onDidChangeExperiments(refreshSoon),
    ...(deps.sweeps ? [deps.sweeps.onDidChange(refreshSoon)] : []),
    view.onDidChangeVisibility((e) => { if (e.visible) void deps.workspaceRuns.ensureScanned(); }),
    { dispose: () => { if (timer) clearTimeout(timer); } },
  );
}

class RunsTreeProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly deps: HostDeps) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  dispose(): void {
    this.changed.dispose();
  }

  async getChildren(node?: Node): Promise<Node[]> {
    const { runStore, workspaceRuns } = this.deps;
    if (!node) {
      const [files] = await Promise.all([workspaceRuns.experiments(), workspaceRuns.ensureScanned()]);
      const byPath = new Map<string, Node & { kind: 'experiment' }>();
      for (const f of files) byPath.set(f.fsPath, expNode(f.fsPath, true));
      let orphans = false;
      for (const r of runStore.listRuns()) {
        if (!r.experimentPath) orphans = true;
        else if (!byPath.has(r.experimentPath)) byPath.set(r.experimentPath, expNode(r.experimentPath, false));
      }
      const nodes: Node[] = [...byPath.values()].sort((a, b) => a.label.localeCompare(b.label) || a.experimentPath.localeCompare(b.experimentPath));
      if (orphans) nodes.push({ kind: 'experiment', experimentPath: OTHER, label: 'Other runs', description: 'experiment unknown', exists: false });
      return nodes;
    }
    if (node.kind === 'experiment') {
      const runs = node.experimentPath === OTHER ? runStore.listRuns().filter((r) => !r.experimentPath) : runStore.listRuns(node.experimentPath);
      // Sweeps of this experiment first, each with its cells' progress.
      const sweeps: Node[] = (this.deps.sweeps?.list() ?? []).filter((s) => s.experimentPath === node.experimentPath).map((s) => ({ kind: 'sweep', sweepDir: s.sweepDir }));
      if (!runs.length && !sweeps.length) return [{ kind: 'empty', experimentPath: node.experimentPath }];
      return [...sweeps, ...runs.map((r): Node => ({ kind: 'run', runId: r.id }))];
    }
    if (node.kind === 'sweep') {
      const s = this.sweep(node.sweepDir);
      return s ? s.cells.map((c): Node => ({ kind: 'cell', sweepDir: s.sweepDir, cellId: c.cellId })) : [];
    }
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'experiment') {
      const runs = node.experimentPath === OTHER ? [] : this.deps.runStore.listRuns(node.experimentPath);
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `exp:${node.experimentPath}`;
      item.description = node.description;
      item.iconPath = new vscode.ThemeIcon(node.exists ? 'beaker' : 'beaker-stop');
      if (node.experimentPath !== OTHER) {
        item.resourceUri = vscode.Uri.file(node.experimentPath);
        item.contextValue = node.exists ? 'fmtlExperiment' : 'fmtlExperimentMissing';
        item.tooltip = `${node.experimentPath}\n${runs.length} run${runs.length === 1 ? '' : 's'}${node.exists ? '' : '\nThe experiment file no longer exists.'}`;
        if (node.exists) item.command = { title: 'Open experiment', command: 'vscode.open', arguments: [vscode.Uri.file(node.experimentPath)] };
      }
      return item;
    }
    if (node.kind === 'sweep' || node.kind === 'cell') {
      const s = this.sweep(node.sweepDir);
      const open = { title: 'Open sweep', command: 'feedbackMtl.openSweep', arguments: [node.sweepDir] };
      if (!s) return new vscode.TreeItem('(sweep removed)');
      if (node.kind === 'sweep') {
        const done = s.cells.reduce((a, c) => a + c.done, 0);
        const item = new vscode.TreeItem(`sweep ${s.name}`, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `sweep:${s.sweepDir}`;
        item.description = `${done}/${s.runs} runs · ${s.state}`;
        item.iconPath = new vscode.ThemeIcon(s.state === 'running' ? 'sync~spin' : 'table');
        item.tooltip = `${s.sweepDir}\n${s.cells.length} cells; click for the table (mean ± std, paired comparison)`;
        item.contextValue = 'fmtlSweep';
        item.command = open;
        return item;
      }
      const c = s.cells.find((x) => x.cellId === node.cellId);
      if (!c) return new vscode.TreeItem('(cell removed)');
      const item = new vscode.TreeItem(c.label, vscode.TreeItemCollapsibleState.None);
      item.id = `sweep:${s.sweepDir}:${c.cellId}`;
      item.description = `${c.done}/${c.seeds} seeds${c.failed ? `, ${c.failed} failed` : ''}${c.running.length ? ` · ${c.running.join(', ')}` : ''}`;
      item.iconPath = new vscode.ThemeIcon(c.running.length ? 'loading~spin' : c.done === c.seeds ? 'pass' : 'circle-outline');
      item.command = open;
      return item;
    }
    if (node.kind === 'empty') {
      const item = new vscode.TreeItem('No runs yet — train it', vscode.TreeItemCollapsibleState.None);
      item.iconPath = new vscode.ThemeIcon('play');
      item.command = { title: 'Train feedback MTL', command: 'feedbackMtl.train', arguments: [node.experimentPath] };
      return item;
    }
    const run = this.deps.runStore.getRun(node.runId);
    if (!run) return new vscode.TreeItem('(run removed)');
    return runItem(run);
  }

  private sweep(dir: string) {
    return this.deps.sweeps?.list().find((s) => s.sweepDir === dir);
  }

  getParent(node: Node): Node | undefined {
    if (node.kind === 'run') {
      const r = this.deps.runStore.getRun(node.runId);
      return r?.experimentPath ? expNode(r.experimentPath, true) : undefined;
    }
    return undefined;
  }
}

function expNode(experimentPath: string, exists: boolean): Node & { kind: 'experiment' } {
  return { kind: 'experiment', experimentPath, label: path.basename(experimentPath, '.fmtl.json'), description: folderLabel(path.dirname(experimentPath)), exists };
}

/** Folder of an experiment as the user thinks of it: relative to its workspace folder, nothing at a root, the full path outside. */
function folderLabel(dir: string): string | undefined {
  const uri = vscode.Uri.file(dir);
  const ws = vscode.workspace.getWorkspaceFolder(uri);
  if (!ws) return dir;
  const rel = path.relative(ws.uri.fsPath, dir).split(path.sep).join('/');
  const multi = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
  return multi ? [ws.name, rel].filter(Boolean).join('/') : rel || undefined;
}

function runItem(run: RunInfo): vscode.TreeItem {
  const f = runFigures(run);
  const when = run.startedAt ? new Date(run.startedAt) : undefined;
  const label = [when ? shortTime(when) : run.name, f.tag].filter(Boolean).join(' · ');
  const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
  item.id = `run:${run.id}`;
  const metrics: string[] = [];
  const tasks = run.config?.tasks ?? [];
  for (const t of tasks) {
    const m = f.valid?.[t.id];
    const s = headlineMetric(t.kind, m);
    if (m && s) metrics.push(`${t.id} ${formatMetric(s.name, m[s.name])}`);
  }
  const status = run.status === 'running' && f.epoch ? `epoch ${f.epoch}${f.epochs ? `/${f.epochs}` : ''}` : run.status;
  item.description = [status, metrics.length ? `${metrics.join(' ')} (${f.where})` : '', run.backend].filter(Boolean).join(' · ');
  item.iconPath = statusIcon(run);
  const resumable = isResumable(run);
  item.contextValue = `fmtlRun:${run.status}${resumable ? ':resumable' : ''}`;
  item.command = { title: 'Open run', command: 'feedbackMtl.openRun', arguments: [run.id] };

  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${escapeMarkdown(run.name)}** — ${run.status}${run.live ? ' (live)' : ''}\n\n`);
  const facts = [
    run.startedAt ? `started ${formatAgo(Date.now() - run.startedAt)}` : '',
    run.backend ? `backend ${run.backend}` : '',
    run.seed !== undefined ? `seed ${run.seed}` : '',
    run.summary ? `${run.summary.epochs} epochs, ${run.summary.steps} steps, best epoch ${run.summary.bestEpoch}` : '',
    run.resumedAtStep !== undefined ? `resumed at step ${run.resumedAtStep}`
      : run.resumedFrom && run.resumedFrom !== run.runDir ? `resumed from ${path.basename(run.resumedFrom)}` : '',
  ].filter(Boolean);
  if (facts.length) md.appendMarkdown(`${facts.join(' · ')}\n\n`);
  const rows: string[] = [];
  const cell = (m: Record<string, number> | undefined) => (m ? Object.entries(m).map(([k, v]) => `${metricInfo(k).label} ${formatMetric(k, v)}`).join(', ') : '–');
  for (const [task, m] of Object.entries(f.valid ?? {})) {
    rows.push(`| ${escapeMarkdown(task === '_overall' ? 'overall' : task)} | ${cell(m)} |${f.test ? ` ${cell(f.test[task])} |` : ''}`);
  }
  if (rows.length) {
    const head = f.test ? `| task | validation (${f.where}) | test (same checkpoint) |\n|---|---|---|` : `| task | validation (${f.where}) |\n|---|---|`;
    md.appendMarkdown(`${head}\n${rows.join('\n')}\n\n`);
  }
  const gates = Object.entries(f.gates);
  if (gates.length) md.appendMarkdown(`Gates: ${gates.map(([a, g]) => `${escapeMarkdown(a)} → block ${g.block} (${g.prob.toFixed(2)})`).join(', ')}\n\n`);
  if (run.error) md.appendMarkdown(`**Error:** ${escapeMarkdown(run.error)}\n\n`);
  if (run.runDir) md.appendMarkdown(`\`${run.runDir}\``);
  item.tooltip = md;
  return item;
}

/** `14:05` today, `Nov 23 14:05` otherwise. */
function shortTime(d: Date): string {
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });
  return d.toDateString() === new Date().toDateString() ? time : `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${time}`;
}

function statusIcon(run: RunInfo): vscode.ThemeIcon {
  switch (run.status) {
    case 'running': return new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue'));
    case 'completed': return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
    case 'early-stopped': return new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed'));
    case 'stopped': return new vscode.ThemeIcon('debug-pause', new vscode.ThemeColor('charts.yellow'));
    case 'failed': return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    case 'unknown': return new vscode.ThemeIcon('question');
  }
}

