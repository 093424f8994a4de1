/** Node-side helpers of the chart benchmark and screenshots (bundled by bench/frames*.mjs). */
import { renderReportHtml, jsonForScript } from '../src/trainer/report';
import { syntheticRun, type SyntheticOptions } from './framesSynthetic';
import type { RunSnapshotMessage } from '../src/shared/runViewProtocol';
import type { TrainerEvent } from '../src/shared/trainerProtocol';

/** Static report of one synthetic run. */
export function reportHtml(o: SyntheticOptions, bundle: string): string {
  return renderReportHtml(o.runId ?? 'synthetic', `/runs/${o.runId}`, [...syntheticRun(o)], bundle);
}

/** A compare page: the ablation triple (static / fixed / gumbel) and a second Gumbel seed. */
export function compareHtml(bundle: string): string {
  const variants: { id: string; o: SyntheticOptions }[] = [
    { id: 'ablation-static', o: { variant: 'static', seed: 1 } },
    { id: 'ablation-fixed', o: { variant: 'fixed', seed: 1 } },
    { id: 'ablation-gumbel', o: { variant: 'gumbel', seed: 1 } },
    { id: 'ablation-gumbel-seed2', o: { variant: 'gumbel', seed: 2 } },
  ];
  const snap: RunSnapshotMessage = {
    type: 'run/snapshot', mode: 'compare',
    runs: variants.map((v, i) => {
      const events: TrainerEvent[] = [...syntheticRun({ runId: v.id, epochs: 8, stepsPerEpoch: 200, ...v.o })];
      const start = events[0];
      return { id: v.id, name: v.id, colorIndex: i, status: 'completed', config: start.type === 'run/start' ? start.config : undefined, events };
    }),
  };
  return `<!doctype html><html><head><meta charset="utf-8"><title>compare</title></head><body><main id="charts-root"></main>`
    + `<script type="application/json" id="fmtl-data">${jsonForScript(snap)}</script><script>${bundle.replace(/<\/script/gi, '<\\/script')}</script></body></html>`;
}

export { syntheticRun };
