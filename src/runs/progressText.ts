/**
 * Progress wording for the notification and the status bar, and the ETA estimate. Pure.
 *
 * ETA: steps left × mean step time since the first step event (start-up and data loading are
 * excluded so the first seconds do not inflate it).
 */
import { formatDuration } from '../shared/duration';

export interface ProgressState {
  name: string;
  /** e.g. `ablation 2/3: fixed`. */
  label?: string;
  /** Epoch of the newest step (1-based, as the trainer reports it). */
  epoch?: number;
  epochs?: number;
  /** Steps done so far (the trainer's 1-based step count). */
  step?: number;
  plannedSteps?: number;
  /** Steps done since the first step event, and the time that took. */
  stepsSeen: number;
  msSinceFirstStep: number;
  /** Newest total loss. */
  loss?: number;
  phase: 'starting' | 'training' | 'stopping';
}

/** `penguins — epoch 3/30, step 120/1200, ETA 1m 20s` (after the `Feedback MTL:` title). */
export function progressMessage(s: ProgressState): string {
  const who = s.label ? `${s.name} [${s.label}]` : s.name;
  if (s.phase === 'starting') return `${who} — starting trainer…`;
  if (s.phase === 'stopping') return `${who} — stopping (keeping the run)…`;
  const parts: string[] = [];
  if (s.epoch !== undefined) parts.push(`epoch ${s.epoch}${s.epochs ? `/${s.epochs}` : ''}`);
  if (s.step !== undefined) parts.push(`step ${s.step}${s.plannedSteps ? `/${s.plannedSteps}` : ''}`);
  const eta = etaMs(s);
  if (eta !== undefined) parts.push(`ETA ${formatDuration(eta)}`);
  return parts.length ? `${who} — ${parts.join(', ')}` : `${who} — preparing data…`;
}

/** `$(pulse) FMTL penguins · epoch 3/30 · loss 0.412` */
export function statusBarText(s: ProgressState): string {
  const parts = [`$(pulse) FMTL ${s.name}`];
  if (s.phase === 'stopping') parts.push('stopping');
  else if (s.epoch !== undefined) parts.push(`epoch ${s.epoch}${s.epochs ? `/${s.epochs}` : ''}`);
  else parts.push('starting');
  if (s.loss !== undefined && Number.isFinite(s.loss)) parts.push(`loss ${s.loss.toPrecision(3)}`);
  return parts.join(' · ');
}

/** Milliseconds left, once there is a rate to go by. */
export function etaMs(s: Pick<ProgressState, 'step' | 'plannedSteps' | 'stepsSeen' | 'msSinceFirstStep'>): number | undefined {
  if (!s.plannedSteps || s.step === undefined || s.stepsSeen < 2 || s.msSinceFirstStep <= 0) return undefined;
  const left = Math.max(0, s.plannedSteps - s.step);
  return (left * s.msSinceFirstStep) / (s.stepsSeen - 1);
}
