/** A store run's figures (`shared/runFigures.ts`): best validation metrics, gate choices, epoch. */
import type { TaskMetrics } from '../shared/trainerProtocol';
import { tagFromName, type RunFigures } from '../shared/runFigures';
import type { RunInfo } from './runStore';

/** Project a store run to its figures. */
export function runFigures(r: RunInfo): RunFigures {
  const valid = nonEmpty(r.summary?.best?.valid) ?? nonEmpty(r.summary?.last?.valid) ?? nonEmpty(r.lastEpoch?.valid);
  let gates: RunFigures['gates'] = {};
  if (r.summary?.gates && Object.keys(r.summary.gates).length) gates = r.summary.gates;
  else if (r.lastGates) {
    for (const [arrow, g] of Object.entries(r.lastGates)) {
      let best = -1;
      for (let i = 0; i < g.probs.length; i++) if (best < 0 || g.probs[i] > g.probs[best]) best = i;
      if (best >= 0) gates[arrow] = { block: g.blocks[best] ?? best + 1, prob: g.probs[best] };
    }
  }
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    live: r.live,
    startedAt: r.startedAt,
    backend: r.backend,
    tag: r.tag ?? tagFromName(r.name),
    valid,
    gates,
    epoch: r.lastEpoch?.epoch,
    epochs: r.config?.training?.epochs,
  };
}

function nonEmpty(m: TaskMetrics | undefined): TaskMetrics | undefined {
  return m && Object.keys(m).length ? m : undefined;
}
