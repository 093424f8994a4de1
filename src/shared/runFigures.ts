/**
 * What the views that summarise runs (CodeLens, hovers, the Runs view, quick picks) need of a run:
 * its headline figures, whatever store or folder they came from. Pure; the host builds them from
 * its run store (`runs/runFigures.ts`).
 */
import type { RunViewStatus } from './runViewProtocol';
import type { TaskMetrics } from './trainerProtocol';

/** A run's figures: status, validation metrics, gate choices. */
export interface RunFigures {
  id: string;
  name: string;
  status: RunViewStatus;
  live: boolean;
  startedAt?: number;
  backend?: string;
  /** Ablation variant / user tag, if any. */
  tag?: string;
  /** Validation metrics per task at the run's headline checkpoint (`shared/metrics/headline.ts`). */
  valid?: TaskMetrics;
  /** Test metrics at the same checkpoint, when the run scored them. */
  test?: TaskMetrics;
  /** Where the figures come from: `valid, best epoch 7`. */
  where?: string;
  /** Gate argmax per Gumbel arrow. */
  gates: Record<string, { block: number; prob: number }>;
  /** Epoch the figures come from (live runs), 1-based as the trainer counts. */
  epoch?: number;
  epochs?: number;
}

/** Statuses of runs that ended by themselves or by a stop, with figures worth comparing against. */
export const FINISHED_STATUSES: ReadonlySet<RunViewStatus> = new Set(['completed', 'early-stopped', 'stopped']);

/** `…-ablation-static` -> `ablation-static`. */
export function tagFromName(name: string): string | undefined {
  return /(ablation-(?:static|fixed|gumbel))$/.exec(name)?.[1];
}
