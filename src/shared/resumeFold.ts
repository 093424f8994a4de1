/**
 * One history per run folder, however often it was resumed. A resumed session appends to the same
 * `events.jsonl`, starting with a `run/start` that carries `resumed` (the step and epoch of the
 * checkpoint it continues from). Events the interrupted session logged after that checkpoint were
 * trained again by the resumed session, so they are superseded: `foldResumes` drops them (and the
 * interrupted session's `run/done` / `run/error`), keeping the resume marker itself. Every reader of
 * a run's events (host store, charts, report) sees the result: one run, one curve, no step twice.
 */
import type { TrainerEvent } from './trainerProtocol';

/** The events of a run folder's log as one run (see above); the input is not modified. */
export function foldResumes(events: readonly TrainerEvent[]): TrainerEvent[] {
  let out: TrainerEvent[] = [];
  let started = false;
  for (const e of events) {
    if (e.type === 'run/start') {
      if (started && e.resumed) {
        const { step, epoch } = e.resumed;
        out = out.filter((x) => !superseded(x, step, epoch));
      }
      started = true;
    }
    out.push(e);
  }
  return out;
}

/** True for an event of an interrupted session that a resume from (step, epoch) replaces. */
function superseded(e: TrainerEvent, step: number, epoch: number): boolean {
  switch (e.type) {
    case 'run/step':
    case 'run/gates':
    case 'run/checkpoint':
      return e.step > step;
    case 'run/iterationDeltas':
      return e.split === 'train' ? e.step > step : e.epoch > epoch;
    case 'run/epoch':
      return e.epoch > epoch;
    case 'run/done':
    case 'run/error':
      return true;
    case 'run/start':
    case 'run/log':
      return false;
  }
}

