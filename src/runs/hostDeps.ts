/** What the host features share (built once in `extension.ts`). */
import type * as vscode from 'vscode';
import type { RunStore } from './runStore';
import type { TrainingController } from './trainingController';
import type { WorkspaceRuns } from './workspaceRuns';

export interface HostDeps {
  runStore: RunStore;
  workspaceRuns: WorkspaceRuns;
  training: TrainingController;
  /** The "Feedback MTL" output channel (trainer log, host notes). */
  output: vscode.OutputChannel;
}

/** Argument shapes the run commands accept from the Runs tree, CodeLens, hovers and other commands. */
export type RunRef = string | { runId: string } | vscode.Uri;
export type ExperimentRef = string | { experimentPath: string } | vscode.Uri;
