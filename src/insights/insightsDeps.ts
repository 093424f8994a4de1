/**
 * What the inline views (CodeLens, hovers) need of the host's runs: a narrow interface, wired in
 * `extension.ts` from the run store, so `insights/` does not import `runs/`.
 */
import type { RunFigures } from '../shared/runFigures';

export interface InsightsDeps {
  /** The figures of an experiment file's runs, newest first. */
  runFigures(experimentPath: string): RunFigures[];
  /** Read an experiment's run folders from disk (the first time its file is looked at). */
  scanExperiment(experimentPath: string): Promise<unknown>;
  /** True while a trainer process of this window runs. */
  isTraining(): boolean;
  /** Runs changed (a run appeared, progressed, ended) or training started or stopped. */
  onDidChange(listener: () => void): { dispose(): void };
}
