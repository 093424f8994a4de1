/**
 * The run commands of the palette, editor title, Runs tree, CodeLens and hovers: train, stop,
 * resume, open, compare, new experiment, log, delete, reveal, refresh; and the context
 * keys their `when` clauses read.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyEdits, modify } from 'jsonc-parser';
import * as vscode from 'vscode';
import { formatIssue, parseExperiment, withDefaults } from '../shared/experiment';
import type { Experiment } from '../shared/experimentTypes';
import { confirmDataAccess, workspaceAccess } from './dataAccess';
import { dataPathOptions } from '../data/dataPath';
import type { TrainRequestOptions } from '../shared/trainerProtocol';
import { formatMetric, headlineMetric } from '../shared/metrics/catalogue';
import { runFigures, taskKinds } from './runFigures';
import { runHeadline, type TaskHeadline } from '../shared/metrics/headline';
import { failureText } from './failureText';
import { TEMPLATES } from './experimentTemplates';
import { templateShape } from './templateShape';
import type { HostDeps } from './hostDeps';
import { isResumable, type RunInfo } from './runStore';
import { isExperimentUri } from './workspaceRuns';

export function registerTrainCommands(context: vscode.ExtensionContext, deps: HostDeps): vscode.Disposable {
  const { runStore, training, output, workspaceRuns } = deps;
  const reg = (id: string, fn: (...args: unknown[]) => unknown) => vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      await fn(...args);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      output.appendLine(`[host] ${id} failed: ${e instanceof Error && e.stack ? e.stack : msg}`);
      void vscode.window.showErrorMessage(`Feedback MTL: ${msg}`, 'Show Log').then((b) => b && output.show(true));
    }
  });

  // ---------------------------------------------------------------- train / ablation / resume

  async function train(arg?: unknown): Promise<void> {
    if (!trusted()) return;
    if (busy()) return;
    const exp = await pickExperiment(arg, workspaceRuns, 'Train feedback MTL: which experiment?');
    if (!exp) return;
    const checked = await checkExperiment(exp);
    if (!checked) return;
    const dataAccess = await confirmDataAccess(context, exp.fsPath, [checked.experiment]);
    if (!dataAccess) return;
    const res = await training.train({ experimentPath: exp.fsPath, name: checked.name, request: { dataAccess } });
    if (res) await reportResult(res.runId, failureText(res.outcome, res.nativeKernels));
  }

  async function resume(arg?: unknown): Promise<void> {
    if (!trusted()) return;
    if (busy()) return;
    await workspaceRuns.ensureScanned();
    let run = resolveRun(arg);
    if (!run) {
      const candidates = runStore.listRuns().filter(isResumable);
      if (!candidates.length) {
        void vscode.window.showInformationMessage('Feedback MTL: no stopped or interrupted run to resume.');
        return;
      }
      run = (await vscode.window.showQuickPick(candidates.map(runPickItem), { title: 'Resume which run?', matchOnDescription: true }))?.run;
    }
    if (!run) return;
    if (!run.runDir || !run.experimentPath) throw new Error(`run ${run.name} does not say which experiment it trained; cannot resume it`);
    if (!run.hasLastCheckpoint) {
      const go = await vscode.window.showWarningMessage(`Feedback MTL: run ${run.name} has no checkpoint on disk (last or best); resuming trains it again from the start, in its folder.`, 'Try anyway');
      if (!go) return;
    }
    const name = run.config?.name ?? path.basename(run.experimentPath, '.fmtl.json');
    // The resumed run reads the data its own config.json names.
    const dataAccess = run.config ? await confirmDataAccess(context, run.experimentPath, [withDefaults(run.config)]) : workspaceAccess(context);
    if (!dataAccess) return;
    const res = await training.train({ experimentPath: run.experimentPath, name, label: `resume ${run.name}`, request: { resume: run.runDir, dataAccess } });
    if (res) await reportResult(res.runId, failureText(res.outcome, res.nativeKernels));
  }

  async function reportResult(runId: string | undefined, failure?: string): Promise<void> {
    const run = runId ? runStore.getRun(runId) : undefined;
    if (failure || !run || run.status === 'failed') {
      const why = failure ?? run?.error ?? 'the trainer stopped without a result';
      const b = await vscode.window.showErrorMessage(`Feedback MTL: training failed — ${why}`, 'Show Log', ...(run ? ['Open run'] : []));
      if (b === 'Show Log') output.show(true);
      else if (b === 'Open run' && run) await openCharts([run.id]);
      return;
    }
    const figures = summaryText(run);
    // No "Feedback MTL:" prefix here: that marks the progress notification; VS Code shows the source.
    const what = run.status === 'stopped' ? `Stopped ${run.config?.name ?? run.name} — run kept${run.hasLastCheckpoint ? ', resumable' : ''}`
      : `Trained ${run.config?.name ?? run.name}${run.status === 'early-stopped' ? ' (early stop)' : ''}`;
    const buttons = run.status === 'stopped' && run.hasLastCheckpoint ? ['Open charts', 'Resume'] : ['Open charts'];
    const b = await vscode.window.showInformationMessage(`${what}${figures ? `: ${figures}` : ''}.`, ...buttons);
    if (b === 'Open charts') await openCharts([run.id]);
    else if (b === 'Resume') await vscode.commands.executeCommand('feedbackMtl.resume', run.id);
  }

  function busy(): boolean {
    if (!training.isTraining) return false;
    void vscode.window.showWarningMessage('Feedback MTL: a training is already running in this window (one at a time).', 'Stop it').then((b) => {
      if (b) void training.stop();
    });
    return true;
  }

  // ---------------------------------------------------------------- open / compare

  async function openRun(arg?: unknown): Promise<void> {
    await workspaceRuns.ensureScanned();
    let run = resolveRun(arg);
    if (!run) {
      const runs = runStore.listRuns();
      if (!runs.length) { void vscode.window.showInformationMessage('Feedback MTL: no runs yet. Train an experiment first.'); return; }
      run = (await vscode.window.showQuickPick(runs.map(runPickItem), { title: 'Open which run?', matchOnDescription: true, matchOnDetail: true }))?.run;
    }
    if (run) await openCharts([run.id]);
  }

  async function compareRuns(arg?: unknown, selected?: unknown): Promise<void> {
    await workspaceRuns.ensureScanned();
    const fromTree = Array.isArray(selected) ? selected.map(resolveRun).filter((r): r is RunInfo => !!r) : [];
    if (fromTree.length >= 2) { await openCharts(fromTree.map((r) => r.id)); return; }
    const clicked = resolveRun(arg);
    // Runs of the clicked run's experiment first; everything else after.
    const runs = runStore.listRuns();
    if (runs.length < 2) { void vscode.window.showInformationMessage('Feedback MTL: comparing needs at least two runs.'); return; }
    const items = runs.map((r) => ({ ...runPickItem(r), picked: r.id === clicked?.id }));
    if (clicked?.experimentPath) items.sort((a, b) => Number(b.run.experimentPath === clicked.experimentPath) - Number(a.run.experimentPath === clicked.experimentPath));
    const picked = await vscode.window.showQuickPick(items, { title: 'Compare which runs? (pick two or more)', canPickMany: true, matchOnDescription: true, matchOnDetail: true });
    if (!picked) return;
    if (picked.length < 2) { void vscode.window.showWarningMessage('Feedback MTL: pick at least two runs to compare.'); return; }
    await openCharts(picked.map((p) => p.run.id));
  }

  /** Charts panel of one run, or the compare view of several (registered by charts/chartsPanel.ts). */
  async function openCharts(ids: string[]): Promise<void> {
    const all = await vscode.commands.getCommands(true);
    if (!all.includes('feedbackMtl.openRunCharts')) {
      throw new Error('the run charts panel is not available in this build');
    }
    await vscode.commands.executeCommand('feedbackMtl.openRunCharts', ids.length === 1 ? ids[0] : ids);
  }

  function resolveRun(arg: unknown): RunInfo | undefined {
    if (typeof arg === 'string') return runStore.getRun(arg);
    if (arg instanceof vscode.Uri) return runStore.getRun(arg.fsPath);
    if (arg && typeof arg === 'object' && typeof (arg as { runId?: unknown }).runId === 'string') return runStore.getRun((arg as { runId: string }).runId);
    return undefined;
  }

  // ---------------------------------------------------------------- files

  async function deleteRun(arg?: unknown, selected?: unknown): Promise<void> {
    const runs = (Array.isArray(selected) && selected.length ? selected.map(resolveRun) : [resolveRun(arg)]).filter((r): r is RunInfo => !!r);
    if (!runs.length) return;
    if (runs.some((r) => r.live)) { void vscode.window.showWarningMessage('Feedback MTL: stop the training before deleting its run.'); return; }
    const what = runs.length === 1 ? `run "${runs[0].name}"` : `${runs.length} runs`;
    const ok = await vscode.window.showWarningMessage(`Delete ${what}? The folder${runs.length > 1 ? 's move' : ' moves'} to the trash (checkpoints, events, summary).`, { modal: true }, 'Move to Trash');
    if (!ok) return;
    for (const r of runs) {
      if (!r.runDir) { runStore.remove(r.id); continue; }
      const uri = vscode.Uri.file(r.runDir);
      try {
        await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: true });
      } catch (e) {
        // No trash (e.g. some remotes): ask before deleting for good.
        const hard = await vscode.window.showWarningMessage(`Feedback MTL: cannot move ${r.name} to the trash (${(e as Error).message}). Delete it permanently?`, { modal: true }, 'Delete Permanently');
        if (!hard) continue;
        await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: false });
      }
      runStore.remove(r.id);
      output.appendLine(`[host] deleted run folder ${r.runDir}`);
    }
  }

  async function revealRun(arg?: unknown): Promise<void> {
    const run = resolveRun(arg);
    if (!run?.runDir) return;
    const uri = vscode.Uri.file(run.runDir);
    // The OS file manager only makes sense when the files are on this machine.
    if (vscode.env.remoteName === undefined && vscode.env.uiKind === vscode.UIKind.Desktop) await vscode.commands.executeCommand('revealFileInOS', uri);
    else await vscode.commands.executeCommand('revealInExplorer', uri);
  }

  async function newExperiment(): Promise<void> {
    const kind = await vscode.window.showQuickPick(TEMPLATES.map((t) => ({ label: t.label, description: t.description, template: t })), { title: 'New feedback MTL experiment: which kind of data?' });
    if (!kind) return;
    const t = kind.template;
    if (!t.data) { await newSluExperiment(); return; }
    const template = vscode.Uri.joinPath(context.extensionUri, 'samples', t.experiment);
    const dataSource = vscode.Uri.joinPath(context.extensionUri, 'samples', t.data);
    const folders = vscode.workspace.workspaceFolders ?? [];
    const active = vscode.window.activeTextEditor?.document.uri;
    let dir: vscode.Uri | undefined = active?.scheme === 'file' ? vscode.Uri.joinPath(active, '..') : folders[0]?.uri;
    if (!dir) {
      dir = (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Create experiment here' }))?.[0];
      if (!dir) return;
    }
    let text: string;
    try {
      text = new TextDecoder().decode(await vscode.workspace.fs.readFile(template));
    } catch {
      throw new Error(`the template ${template.fsPath} is missing from the extension`);
    }
    const name = await askExperimentName(dir, t.name, `it starts as the ${path.basename(t.experiment, '.fmtl.json')} sample: ${templateShape(text)}, data ${t.data}`);
    if (!name) return;
    // The data path: an existing copy of the sample data in the workspace, else a copy beside the new file.
    const target = vscode.Uri.joinPath(dir, `${name}.fmtl.json`);
    const found = (await vscode.workspace.findFiles(`**/${t.data}`, '**/node_modules/**', 5))[0];
    let dataRel: string;
    if (found) {
      dataRel = path.relative(dir.fsPath, found.fsPath).split(path.sep).join('/');
    } else {
      const copy = vscode.Uri.joinPath(dir, t.data);
      await vscode.workspace.fs.copy(dataSource, copy, { overwrite: false });
      dataRel = t.data;
    }
    const fmt = { formattingOptions: { insertSpaces: true, tabSize: 2 } };
    text = applyEdits(text, modify(text, ['name'], name, fmt));
    text = applyEdits(text, modify(text, ['data', 'path'], dataRel, fmt));
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
    await vscode.commands.executeCommand('vscode.open', target);
    void workspaceRuns.refresh();
  }

  /** Asks for the new experiment's name: a safe file name not yet taken in `dir`. */
  function askExperimentName(dir: vscode.Uri, value: string, note: string): Thenable<string | undefined> {
    return vscode.window.showInputBox({
      title: 'New feedback MTL experiment',
      prompt: `Name (the file is <name>.fmtl.json in ${vscode.workspace.asRelativePath(dir)}; ${note})`,
      value,
      validateInput: (v) => {
        if (!/^[A-Za-z0-9_][\w.-]*$/.test(v)) return 'Letters, digits, _ . - only (it becomes a file name).';
        if (fs.existsSync(path.join(dir.fsPath, `${v}.fmtl.json`))) return `${v}.fmtl.json already exists here.`;
        return undefined;
      },
    });
  }

  /** Text template (the SNIPS sample's model) over an SLU data folder the user picks. */
  async function newSluExperiment(): Promise<void> {
    const data = (await vscode.window.showOpenDialog({
      canSelectFolders: true, canSelectFiles: false, openLabel: 'Use this data folder',
      title: 'SLU data folder: it holds train/, valid/ (and test/), each with seq.in, seq.out, label',
    }))?.[0];
    if (!data) return;
    const missing = ['train', 'valid'].flatMap((split) => ['seq.in', 'seq.out', 'label']
      .map((f) => path.join(split, f)).filter((f) => !fs.existsSync(path.join(data.fsPath, f))));
    if (missing.length) {
      void vscode.window.showErrorMessage(`Feedback MTL: ${data.fsPath} is not an SLU data folder — missing ${missing.join(', ')}.`);
      return;
    }
    const dir = vscode.Uri.joinPath(data, '..');
    const name = await askExperimentName(dir, TEMPLATES.find((t) => t.id === 'slu')!.name, 'beside the data folder');
    if (!name) return;
    const template = vscode.Uri.joinPath(context.extensionUri, 'samples', TEMPLATES.find((t) => t.id === 'slu')!.experiment);
    let text = new TextDecoder().decode(await vscode.workspace.fs.readFile(template));
    const fmt = { formattingOptions: { insertSpaces: true, tabSize: 2 } };
    text = applyEdits(text, modify(text, ['name'], name, fmt));
    text = applyEdits(text, modify(text, ['description'], `Intent + slots on ${path.basename(data.fsPath)}, with feedback both ways (from the SNIPS template).`, fmt));
    text = applyEdits(text, modify(text, ['data', 'path'], path.basename(data.fsPath), fmt));
    if (!fs.existsSync(path.join(data.fsPath, 'test'))) text = applyEdits(text, modify(text, ['data', 'splits', 'test'], undefined, fmt));
    const target = vscode.Uri.joinPath(dir, `${name}.fmtl.json`);
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
    await vscode.commands.executeCommand('vscode.open', target);
    void workspaceRuns.refresh();
  }

  // ---------------------------------------------------------------- checks

  function trusted(): boolean {
    if (vscode.workspace.isTrusted) return true;
    void vscode.window.showErrorMessage(
      'Feedback MTL: training is disabled in untrusted workspaces — it starts a trainer process that reads this folder\'s data and settings. Trust the workspace to train.',
      'Manage Workspace Trust',
    ).then((b) => b && vscode.commands.executeCommand('workbench.trust.manage'));
    return false;
  }

  /** Save if dirty, then validate (with data files); refuse with the first error and its place. */
  async function checkExperiment(uri: vscode.Uri): Promise<{ name: string; seed?: number; hasArrows: boolean; experiment: Experiment } | undefined> {
    const doc = await vscode.workspace.openTextDocument(uri);
    if (doc.isDirty && !(await doc.save())) {
      void vscode.window.showErrorMessage(`Feedback MTL: could not save ${vscode.workspace.asRelativePath(uri)}; the trainer reads the file from disk.`);
      return undefined;
    }
    const text = doc.getText();
    const base = path.dirname(uri.fsPath);
    const parsed = parseExperiment(text, dataPathOptions(base));
    const errors = parsed.errors.filter((e) => e.severity === 'error');
    if (errors.length || !parsed.experiment) {
      const first = errors[0];
      const where = first ? formatIssue(first, vscode.workspace.asRelativePath(uri), text) : vscode.workspace.asRelativePath(uri);
      const b = await vscode.window.showErrorMessage(`Feedback MTL: cannot train — ${errors.length} error${errors.length === 1 ? '' : 's'} in the experiment. First: ${where}`, 'Show Problems', 'Open File');
      if (b === 'Show Problems') await vscode.commands.executeCommand('workbench.actions.view.problems');
      else if (b === 'Open File' && first?.offset !== undefined) {
        const pos = doc.positionAt(first.offset);
        await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos) });
      }
      return undefined;
    }
    const e = parsed.experiment;
    return { name: e.name || path.basename(uri.fsPath, '.fmtl.json'), seed: e.training?.seed, hasArrows: (e.feedback ?? []).some((f) => f.enabled !== false), experiment: e };
  }

  // ---------------------------------------------------------------- context keys

  const updateKeys = () => {
    const runs = runStore.listRuns();
    void vscode.commands.executeCommand('setContext', 'feedbackMtl.hasRuns', runs.length > 0);
    void vscode.commands.executeCommand('setContext', 'feedbackMtl.hasManyRuns', runs.length > 1);
    void vscode.commands.executeCommand('setContext', 'feedbackMtl.hasResumableRun', runs.some(isResumable));
  };
  let keysTimer: ReturnType<typeof setTimeout> | undefined;
  const keysSoon = () => { keysTimer ??= setTimeout(() => { keysTimer = undefined; updateKeys(); }, 200); };
  updateKeys();
  void vscode.commands.executeCommand('setContext', 'feedbackMtl.training', false);
  // The palette's Resume / Open / Compare depend on runs on disk: look once the window is idle.
  const idleScan = setTimeout(() => void workspaceRuns.ensureScanned(), 3000);

  return vscode.Disposable.from(
    reg('feedbackMtl.train', train),
    reg('feedbackMtl.stop', () => training.stop()),
    reg('feedbackMtl.resume', resume),
    reg('feedbackMtl.openRun', openRun),
    reg('feedbackMtl.compareRuns', compareRuns),
    reg('feedbackMtl.newExperiment', newExperiment),
    reg('feedbackMtl.showLog', () => output.show(true)),
    reg('feedbackMtl.deleteRun', deleteRun),
    reg('feedbackMtl.revealRun', revealRun),
    reg('feedbackMtl.refreshRuns', () => workspaceRuns.refresh()),
    runStore.onDidChange(keysSoon),
    { dispose: () => { clearTimeout(idleScan); if (keysTimer) clearTimeout(keysTimer); } },
  );
}

/** The experiment a command applies to: its argument, the active editor (text or graph), or a pick. */
export async function pickExperiment(arg: unknown, workspaceRuns: HostDeps['workspaceRuns'], title: string): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri && isExperimentUri(arg)) return arg;
  if (typeof arg === 'string' && arg.endsWith('.fmtl.json')) return vscode.Uri.file(arg);
  if (arg && typeof arg === 'object' && typeof (arg as { experimentPath?: unknown }).experimentPath === 'string') {
    return vscode.Uri.file((arg as { experimentPath: string }).experimentPath);
  }
  const activeText = vscode.window.activeTextEditor?.document.uri;
  if (isExperimentUri(activeText)) return activeText;
  const tabInput = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (tabInput instanceof vscode.TabInputCustom && isExperimentUri(tabInput.uri)) return tabInput.uri;
  if (tabInput instanceof vscode.TabInputText && isExperimentUri(tabInput.uri)) return tabInput.uri;
  const all = await workspaceRuns.experiments();
  if (all.length === 1) return all[0];
  if (!all.length) {
    const b = await vscode.window.showInformationMessage('Feedback MTL: no *.fmtl.json experiment in this workspace.', 'New experiment');
    if (b) await vscode.commands.executeCommand('feedbackMtl.newExperiment');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(all.map((uri) => ({
    label: path.basename(uri.fsPath, '.fmtl.json'),
    description: vscode.workspace.asRelativePath(path.dirname(uri.fsPath)),
    uri,
  })), { title, matchOnDescription: true });
  return pick?.uri;
}

/** Why a trainer process ended without a result, with its last output lines (the crash report). */
/** `valid, best epoch 3: species accuracy 93.1, mass RMSE 312; test: species accuracy 92.0, mass RMSE 330` (the run's headline numbers). */
function summaryText(run: RunInfo): string {
  const h = runHeadline({ summary: run.summary, epochs: [run.bestEpochSoFar, run.lastEpoch].filter((e) => e !== undefined) }, taskKinds(run));
  if (!h) return '';
  const each = (pick: (t: TaskHeadline) => number | undefined) => Object.entries(h.tasks)
    .filter(([, t]) => pick(t) !== undefined).map(([id, t]) => `${id} ${t.metric.label} ${formatMetric(t.metric.name, pick(t))}`).join(', ');
  const valid = each((t) => t.valid);
  const test = each((t) => t.test);
  return valid ? `${h.where}: ${valid}${test ? `; test: ${test}` : ''}` : '';
}

function runPickItem(r: RunInfo): vscode.QuickPickItem & { run: RunInfo } {
  const f = runFigures(r);
  const first = r.config?.tasks?.[0];
  const m = first ? f.valid?.[first.id] : undefined;
  const s = first ? headlineMetric(first.kind, m) : undefined;
  return {
    label: r.name,
    description: [r.status, s && m ? `${first!.id} ${s.label} ${formatMetric(s.name, m[s.name])}` : '', r.backend ?? ''].filter(Boolean).join(' · '),
    detail: r.experimentPath ? vscode.workspace.asRelativePath(r.experimentPath) : r.runDir,
    run: r,
  };
}
