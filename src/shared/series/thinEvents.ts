/**
 * Bounding an event log for a view that takes it whole (the HTML report, a run folder the host's
 * store does not manage): steps, training iteration deltas and gate events beyond a limit are
 * thinned evenly; epochs, checkpoints, logs and the final events are all kept. Pure.
 */
import type { TrainerEvent } from '../trainerProtocol';

/** Most events kept per high-rate kind. */
export interface ThinLimits {
  steps: number;
  /** Training-split `run/iterationDeltas` (the validation ones are per epoch, kept whole). */
  deltas: number;
  gates: number;
}

/**
 * Keeps every low-rate event and an evenly spaced subset (always including the last) of the
 * high-rate ones beyond `limits`.
 */
export function thinEvents(events: readonly TrainerEvent[], limits: ThinLimits): TrainerEvent[] {
  const count = { steps: 0, deltas: 0, gates: 0 };
  const kind = (e: TrainerEvent): keyof typeof count | undefined =>
    e.type === 'run/step' ? 'steps' : e.type === 'run/iterationDeltas' && e.split === 'train' ? 'deltas' : e.type === 'run/gates' ? 'gates' : undefined;
  for (const e of events) { const k = kind(e); if (k) count[k]++; }
  const seen = { steps: 0, deltas: 0, gates: 0 };
  return events.filter((e) => {
    const k = kind(e);
    if (!k) return true;
    const i = seen[k]++;
    const n = count[k];
    if (n <= limits[k]) return true;
    const stride = n / limits[k];
    return i === n - 1 || Math.floor(i / stride) !== Math.floor((i + 1) / stride);
  });
}
