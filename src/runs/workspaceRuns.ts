/**
 * Finds the workspace's experiments and their run folders and keeps the RunStore in step with the
 * disk (watchers on experiment files and run summaries). Lazy: nothing is searched until a view,
 * a lens or a command asks.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXPERIMENT_GLOB, isExperimentPath, isSweepPath } from '../shared/fileKinds';
import type { RunStore } from './runStore';

const EXCLUDE = '**/{node_modules,.fmtl,.git}/**';

/** True for `*.fmtl.json` URIs / documents on disk. */
export function isExperimentUri(uri: vscode.Uri | undefined): uri is vscode.Uri {
  return !!uri && uri.scheme === 'file' && isExperimentPath(uri.path);
}

/** True for `*.sweep.json` URIs / documents on disk. */
export function isSweepUri(uri: vscode.Uri | undefined): uri is vscode.Uri {
  return !!uri && uri.scheme === 'file' && isSweepPath(uri.path);
}

/**
 * Parent folder of an experiment's run folders: the `feedbackMtl.runsDirectory` setting (relative
 * to the experiment's workspace folder) or `.fmtl/runs` beside the experiment.
 */
export function runsDirFor(experimentPath: string): string {
  const uri = vscode.Uri.file(experimentPath);
  const setting = vscode.workspace.getConfiguration('feedbackMtl', uri).get<string>('runsDirectory', '').trim();
  if (!setting) return path.join(path.dirname(experimentPath), '.fmtl', 'runs');
  if (path.isAbsolute(setting)) return setting;
  const folder = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath ?? path.dirname(experimentPath);
  return path.join(folder, setting);
}

/** The runs directory only when the user set one (the trainer's default is the same as ours). */
export function runsDirOverride(experimentPath: string): string | undefined {
  const setting = vscode.workspace.getConfiguration('feedbackMtl', vscode.Uri.file(experimentPath)).get<string>('runsDirectory', '').trim();
  return setting ? runsDirFor(experimentPath) : undefined;
}

export class WorkspaceRuns implements vscode.Disposable {
  private experimentsCache: vscode.Uri[] | undefined;
  private scanning: Promise<void> | undefined;
  /** Runs folder -> the experiment its runs belong to when they do not say (undefined if shared). */
  private readonly scannedDirs = new Map<string, string | undefined>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  /** The list of experiment files changed. */
  readonly onDidChangeExperiments = this.changed.event;
  private rescanTimer: ReturnType<typeof setTimeout> | undefined;
  private watching = false;

  constructor(private readonly store: RunStore) {}

  /** Experiment files of the workspace (cached; kept fresh by a watcher). */
  async experiments(): Promise<vscode.Uri[]> {
    this.watch();
    if (!this.experimentsCache) {
      const found = await vscode.workspace.findFiles(EXPERIMENT_GLOB, EXCLUDE, 500);
      this.experimentsCache = found.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
    }
    return this.experimentsCache;
  }

  /** Read every experiment's run folders once (later calls wait for the same scan). */
  ensureScanned(): Promise<void> {
    this.scanning ??= this.scanAll();
    return this.scanning;
  }

  /** Scan one experiment's runs (for a lens on a file outside the workspace, or after a run). */
  async scanExperiment(experimentPath: string): Promise<void> {
    const dir = runsDirFor(experimentPath);
    if (!this.scannedDirs.has(dir)) this.scannedDirs.set(dir, experimentPath);
    await this.store.scanRunsDir(dir, this.scannedDirs.get(dir));
  }

  /** Forget caches and read everything again. */
  async refresh(): Promise<void> {
    this.experimentsCache = undefined;
    this.scanning = this.scanAll();
    this.changed.fire();
    await this.scanning;
  }

  dispose(): void {
    if (this.rescanTimer) clearTimeout(this.rescanTimer);
    for (const d of this.disposables) d.dispose();
    this.changed.dispose();
  }

  private async scanAll(): Promise<void> {
    const exps = await this.experiments();
    // Several experiments may share one runs folder: each run says which experiment it trained
    // (meta.json / run/start); the folder's only experiment is the fallback.
    const byDir = new Map<string, string[]>();
    for (const e of exps) {
      const d = runsDirFor(e.fsPath);
      byDir.set(d, [...(byDir.get(d) ?? []), e.fsPath]);
    }
    await Promise.all([...byDir].map(async ([dir, paths]) => {
      const owner = paths.length === 1 ? paths[0] : undefined;
      this.scannedDirs.set(dir, owner);
      await this.store.scanRunsDir(dir, owner);
    }));
  }

  private watch(): void {
    if (this.watching) return;
    this.watching = true;
    const exps = vscode.workspace.createFileSystemWatcher(EXPERIMENT_GLOB, false, true, false);
    const onExp = (uri: vscode.Uri) => {
      if (uri.path.includes('/node_modules/') || uri.path.includes('/.fmtl/')) return;
      this.experimentsCache = undefined;
      this.changed.fire();
    };
    exps.onDidCreate(onExp);
    exps.onDidDelete(onExp);
    // Runs written by the CLI or another window, and deleted run folders.
    const runs = vscode.workspace.createFileSystemWatcher('**/.fmtl/runs/*/{summary.json,events.jsonl}');
    const onRun = () => this.rescanSoon();
    runs.onDidCreate(onRun);
    runs.onDidChange(onRun);
    runs.onDidDelete(onRun);
    this.disposables.push(exps, runs);
  }

  private rescanSoon(): void {
    if (this.rescanTimer) return;
    this.rescanTimer = setTimeout(() => {
      this.rescanTimer = undefined;
      for (const [dir, owner] of this.scannedDirs) void this.store.scanRunsDir(dir, owner);
    }, 1000);
  }
}
