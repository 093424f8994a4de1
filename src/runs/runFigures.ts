/**
 * A store run's figures (`shared/runFigures.ts`): its headline numbers (`shared/metrics/headline.ts`:
 * validation at the best-validation checkpoint, the test scores of that checkpoint, and where they
 * come from), gate choices, epoch.
 */
import type { TaskKind } from '../shared/experimentTypes';
import { runHeadline } from '../shared/metrics/headline';
import type { TaskMetrics } from '../shared/trainerProtocol';
import { tagFromName, type RunFigures } from '../shared/runFigures';
import type { RunInfo } from './runStore';

/** Project a store run to its figures. */
export function runFigures(r: RunInfo): RunFigures {
  const h = runHeadline({ summary: r.summary, epochs: [r.bestEpochSoFar, r.lastEpoch].filter((e) => e !== undefined) }, taskKinds(r));
  const valid = nonEmpty(h?.valid);
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
    test: nonEmpty(h?.test),
    where: h?.where,
    gates,
    epoch: r.lastEpoch?.epoch,
    epochs: r.config?.training?.epochs,
  };
}

/** task id -> kind from the run's config (tasks of an unknown config: as found in its metrics). */
export function taskKinds(r: Pick<RunInfo, 'config' | 'summary' | 'lastEpoch'>): Record<string, TaskKind | undefined> {
  const tasks = r.config?.tasks;
  if (tasks?.length) return Object.fromEntries(tasks.map((t) => [t.id, t.kind]));
  const seen = r.summary?.best?.valid ?? r.lastEpoch?.valid ?? {};
  return Object.fromEntries(Object.keys(seen).filter((k) => k !== '_overall').map((k) => [k, undefined]));
}

function nonEmpty(m: TaskMetrics | undefined): TaskMetrics | undefined {
  return m && Object.keys(m).length ? m : undefined;
}
