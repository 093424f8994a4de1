/**
 * Wiring only: build the shared host state, then let each feature register itself. Nothing here
 * touches the disk or starts a process; features do their work lazily (first view, lens or command).
 */
import { loadedAt } from './runs/loadClock';
import * as vscode from 'vscode';
import { registerGraphEditor } from './editor/graphEditorProvider';
import { registerCodeLens } from './insights/codeLens';
import { registerDiagnostics } from './insights/diagnostics';
import { registerHover } from './insights/hover';
import type { HostDeps } from './runs/hostDeps';
import { registerRunPanels } from './runs/runPanel';
import { RunStore } from './runs/runStore';
import { registerRunsTree } from './runs/runsTree';
import { registerTrainCommands } from './runs/trainCommands';
import { TrainingController } from './runs/trainingController';
import { WorkspaceRuns } from './runs/workspaceRuns';

let training: TrainingController | undefined;

/** What `activate` returns: the host state, for other extensions and the end-to-end tests. */
export interface FeedbackMtlApi {
  runStore: RunStore;
  /** ms from the first evaluated module to the end of `activate`, and inside `activate` alone. */
  activation: { moduleMs: number; activateMs: number };
}

export function activate(context: vscode.ExtensionContext): FeedbackMtlApi {
  const t0 = performance.now();
  const output = vscode.window.createOutputChannel('Feedback MTL');
  const cfg = vscode.workspace.getConfiguration('feedbackMtl');
  const runStore = new RunStore({ maxPoints: cfg.get<number>('buffer.maxPoints', 4000) });
  const workspaceRuns = new WorkspaceRuns(runStore);
  training = new TrainingController(context, runStore, output);
  const deps: HostDeps = { runStore, workspaceRuns, training, output };

  context.subscriptions.push(
    output,
    runStore,
    workspaceRuns,
    training,
    registerTrainCommands(context, deps),
    registerRunsTree(context, deps),
    registerCodeLens(context, deps),
    registerHover(context, deps),
    registerDiagnostics(context),
    registerGraphEditor(context, { runStore, workspaceRuns }),
    registerRunPanels(context, { runStore, output }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('feedbackMtl.buffer.maxPoints')) runStore.setMaxPoints(vscode.workspace.getConfiguration('feedbackMtl').get<number>('buffer.maxPoints', 4000));
    }),
  );

  const t1 = performance.now();
  const activation = { moduleMs: t1 - loadedAt, activateMs: t1 - t0 };
  output.appendLine(`[host] activated in ${activation.activateMs.toFixed(1)} ms (${activation.moduleMs.toFixed(1)} ms since the bundle started evaluating)`);
  return { runStore, activation };
}

/** Window closing or extension stopping: the trainer must not outlive us. */
export function deactivate(): void {
  training?.killNow();
  training = undefined;
}
