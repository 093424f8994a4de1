/** What the host features share (built once in `extension.ts`). */
import type * as vscode from 'vscode';
import type { RunStore } from './runStore';
import type { TrainingController } from './trainingController';
import type { WorkspaceRuns } from './workspaceRuns';

/** A sweep as the Runs view shows it under its experiment (kept by sweepView/sweepHost.ts). */
export interface SweepSummary {
  sweepDir: string;
  name: string;
  experimentPath: string;
  /** `running`, `done`, `stopped`, `failed`, `on disk`. */
  state: string;
  runs: number;
  cells: { cellId: string; label: string; seeds: number; done: number; failed: number; running: string[] }[];
}

/** The sweeps the extension knows, for views that list them. */
export interface SweepIndex {
  list(): SweepSummary[];
  onDidChange: vscode.Event<void>;
}

export interface HostDeps {
  /** Set once the sweeps feature registered. */
  sweeps?: SweepIndex;
  runStore: RunStore;
  workspaceRuns: WorkspaceRuns;
  training: TrainingController;
  /** The "Feedback MTL" output channel (trainer log, host notes). */
  output: vscode.OutputChannel;
}

/** Argument shapes the run commands accept from the Runs tree, CodeLens, hovers and other commands. */
export type RunRef = string | { runId: string } | vscode.Uri;
export type ExperimentRef = string | { experimentPath: string } | vscode.Uri;
