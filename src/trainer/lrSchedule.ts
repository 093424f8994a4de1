/**
 * The learning rate of every training step (`training.lrSchedule`): a linear warm-up from 0 over
 * `warmupSteps`, then `none` (constant), `linear` / `cosine` decay down to `learningRate x
 * minFactor` at `decayEpochs` (then constant), or `plateau` (x `factor` after `patience` epochs
 * without improvement of the early-stopping metric, floored at `learningRate x minFactor`).
 *
 * Pure: `rate(step)` for the step-based parts, `onEpochEnd(improved)` for the plateau state, which
 * checkpoints carry (`state()` / `restore()`) so a resumed run continues with the same rate.
 */
import type { LrScheduleSpec, TrainingSpec } from '../shared/experimentTypes';

/** Plateau state kept in checkpoints. */
export interface LrState {
  /** Current plateau multiplier (1 = no reduction yet). */
  factor: number;
  /** Epochs without improvement since the last reduction or improvement. */
  bad: number;
}

export class LrSchedule {
  private readonly spec: Required<Omit<LrScheduleSpec, 'decayEpochs'>> & { decayEpochs: number };
  private plateau: LrState = { factor: 1, bad: 0 };

  /** @param stepsPerEpoch training steps per epoch (decay horizons are given in epochs). */
  constructor(private readonly training: Pick<TrainingSpec, 'learningRate' | 'epochs' | 'lrSchedule'>, private readonly stepsPerEpoch: number) {
    const s = training.lrSchedule ?? {};
    this.spec = {
      warmupSteps: s.warmupSteps ?? 0,
      decay: s.decay ?? 'none',
      decayEpochs: s.decayEpochs ?? training.epochs,
      minFactor: s.minFactor ?? 0.05,
      factor: s.factor ?? 0.5,
      patience: s.patience ?? 1,
    };
  }

  /** Learning rate for the 0-based global step `step`. */
  rate(step: number): number {
    const { warmupSteps, decay, decayEpochs, minFactor } = this.spec;
    const base = this.training.learningRate;
    const warm = warmupSteps > 0 && step < warmupSteps ? (step + 1) / warmupSteps : 1;
    let f = 1;
    if (decay === 'linear' || decay === 'cosine') {
      const horizon = Math.max(1, decayEpochs * this.stepsPerEpoch - warmupSteps);
      const p = Math.min(1, Math.max(0, (step - warmupSteps) / horizon));
      f = decay === 'linear' ? 1 - (1 - minFactor) * p : minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(Math.PI * p));
    } else if (decay === 'plateau') {
      f = Math.max(minFactor, this.plateau.factor);
    }
    return base * warm * f;
  }

  /** Records an epoch's outcome (plateau decay only); true when the rate was reduced. */
  onEpochEnd(improved: boolean): boolean {
    if (this.spec.decay !== 'plateau') return false;
    if (improved) { this.plateau.bad = 0; return false; }
    this.plateau.bad++;
    if (this.plateau.bad < this.spec.patience) return false;
    this.plateau.bad = 0;
    const before = Math.max(this.spec.minFactor, this.plateau.factor);
    this.plateau.factor *= this.spec.factor;
    return Math.max(this.spec.minFactor, this.plateau.factor) < before;
  }

  state(): LrState {
    return { ...this.plateau };
  }

  restore(state: LrState | undefined): void {
    if (state && Number.isFinite(state.factor) && state.factor > 0) this.plateau = { factor: state.factor, bad: Math.max(0, state.bad | 0) };
  }
}

/**
 * Sets the learning rate of a tfjs optimizer for the next update. tfjs's Adam and RMSProp read
 * their `learningRate` field at every update; SGD (and Momentum) cache it in a scalar and offer
 * `setLearningRate`.
 */
export function setLearningRate(optimizer: object, lr: number): void {
  const o = optimizer as { setLearningRate?: (lr: number) => void; learningRate?: number };
  if (o.learningRate === lr) return;
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}
