/**
 * Wiring only: build the shared host state, then let each feature register itself. Nothing here
 * touches the disk or starts a process; features do their work lazily (first view, lens or command).
 */
import { loadedAt } from './activation/loadClock';
import { apiReadyAt } from './activation/apiClock';
import * as vscode from 'vscode';
import { registerGraphEditor } from './editor/graphEditorProvider';
import { registerCodeLens } from './insights/codeLens';
import { registerDiagnostics } from './insights/diagnostics';
import { workspaceAccess } from './runs/dataAccess';
import { registerHover } from './insights/hover';
import type { HostDeps } from './runs/hostDeps';
import type { InsightsDeps } from './insights/insightsDeps';
import { runFigures } from './runs/runFigures';
import { registerNativeKernels } from './runs/nativeKernels';
import { registerChartsPanels } from './charts/chartsPanel';
import { RunStore } from './runs/runStore';
import { registerRunsTree } from './runs/runsTree';
import { registerSweeps } from './sweepView/sweepHost';
import { registerTrainCommands } from './runs/trainCommands';
import { TrainingController } from './runs/trainingController';
import { WorkspaceRuns } from './runs/workspaceRuns';
import { registerTryModel } from './runs/tryModel';

let training: TrainingController | undefined;

/** What `activate` returns: the host state, for other extensions and the end-to-end tests. */
export interface FeedbackMtlApi {
  runStore: RunStore;
  /**
   * ms the host took to hand over the `vscode` API on first require, ms evaluating our modules
   * after that, and ms inside `activate` alone.
   */
  activation: { apiMs: number; moduleMs: number; activateMs: number };
}

/** End of this bundle's module evaluation (this line runs after every imported module). */
const evaluatedAt = performance.now();

export function activate(context: vscode.ExtensionContext): FeedbackMtlApi {
  const t0 = performance.now();
  const output = vscode.window.createOutputChannel('Feedback MTL');
  const cfg = vscode.workspace.getConfiguration('feedbackMtl');
  const runStore = new RunStore({ maxPoints: cfg.get<number>('buffer.maxPoints', 4000), flushMs: 100 });
  const workspaceRuns = new WorkspaceRuns(runStore);
  const controller = new TrainingController(context, runStore, output);
  training = controller;
  const deps: HostDeps = { runStore, workspaceRuns, training: controller, output };
  const insights: InsightsDeps = {
    runFigures: (experimentPath) => runStore.listRuns(experimentPath).map(runFigures),
    scanExperiment: (experimentPath) => workspaceRuns.scanExperiment(experimentPath),
    isTraining: () => controller.isTraining,
    onDidChange: (listener) => vscode.Disposable.from(runStore.onDidChange(listener), controller.onDidChangeState(listener)),
  };

  // Each feature's registration is timed, so a slow one shows up in the log by name.
  const times: string[] = [];
  const timed = (name: string, register: () => vscode.Disposable): vscode.Disposable => {
    const s = performance.now();
    const d = register();
    times.push(`${name} ${(performance.now() - s).toFixed(1)}`);
    return d;
  };
  context.subscriptions.push(
    output,
    runStore,
    workspaceRuns,
    training,
    timed('commands', () => registerTrainCommands(context, deps)),
    timed('nativeKernels', () => registerNativeKernels(context, output)),
    // Before the Runs view: it lists each sweep under its experiment (deps.sweeps).
    timed('sweeps', () => registerSweeps(context, deps)),
    timed('runsTree', () => registerRunsTree(context, deps)),
    timed('codeLens', () => registerCodeLens(context, insights)),
    timed('hover', () => registerHover(context, insights)),
    timed('diagnostics', () => registerDiagnostics(context, { dataAccess: () => workspaceAccess(context) })),
    timed('graphEditor', () => registerGraphEditor(context, { runStore, workspaceRuns })),
  );
  const tryModel = registerTryModel(context, { runStore, output });
  context.subscriptions.push(
    tryModel,
    timed('chartsPanels', () => registerChartsPanels(context, { runStore, output, tryModel })),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('feedbackMtl.buffer.maxPoints')) runStore.setMaxPoints(vscode.workspace.getConfiguration('feedbackMtl').get<number>('buffer.maxPoints', 4000));
    }),
  );

  const activation = { apiMs: apiReadyAt - loadedAt, moduleMs: evaluatedAt - apiReadyAt, activateMs: performance.now() - t0 };
  output.appendLine(`[host] activated in ${activation.activateMs.toFixed(1)} ms; our modules evaluated in ${activation.moduleMs.toFixed(1)} ms (after ${activation.apiMs.toFixed(1)} ms for the host's vscode API object); per feature (ms): ${times.join(', ')}`);
  return { runStore, activation };
}

/** Window closing or extension stopping: the trainer must not outlive us. */
export function deactivate(): void {
  training?.killNow();
  training = undefined;
}
