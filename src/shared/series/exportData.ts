/**
 * Metrics export: a tidy CSV (one value per row, easy to load in pandas or a spreadsheet) and a
 * JSON document with the same content grouped per run.
 */
import { RunModel } from './runModel';

/** Quotes a CSV field when needed (RFC 4180). */
export function csvField(v: string | number): string {
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : v;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Tidy CSV of per-epoch metrics and losses of several runs:
 * `run,epoch,step,split,task,metric,value`. Losses appear as metric `loss`.
 */
export function metricsCsv(models: { name: string; model: RunModel }[]): string {
  const lines = ['run,epoch,step,split,task,metric,value'];
  for (const { name, model } of models) {
    for (const row of model.epochs) {
      for (const split of ['train', 'valid'] as const) {
        for (const [task, v] of Object.entries(split === 'train' ? row.trainLoss : row.validLoss)) {
          lines.push([name, row.epoch, row.step, split, task, 'loss', v].map(csvField).join(','));
        }
        for (const [task, metrics] of Object.entries(row[split])) {
          for (const [metric, v] of Object.entries(metrics)) {
            lines.push([name, row.epoch, row.step, split, task, metric, v].map(csvField).join(','));
          }
        }
      }
    }
  }
  return lines.join('\n') + '\n';
}

/** JSON export: per run, its epochs, final summary and (downsampled) step-level losses and loss weights. */
export function metricsJson(models: { name: string; model: RunModel }[]): string {
  return JSON.stringify({
    format: 'feedback-mtl-metrics', version: 1,
    runs: models.map(({ name, model }) => ({
      id: model.id,
      name,
      seed: model.start?.seed,
      status: model.status,
      epochs: model.epochs,
      summary: model.done?.summary,
      stepLoss: Object.fromEntries([...model.loss].map(([task, s]) => [task, s.toPoints()])),
      convergenceLoss: Object.fromEntries([...model.convergence].map(([task, s]) => [task, s.toPoints()])),
      // The factor each task loss got per step (run/step.weights; empty for runs that did not stream it).
      lossWeights: Object.fromEntries([...model.weights].map(([task, s]) => [task, s.toPoints()])),
      // Soft sharing's tie penalty per step (run/step.tie; absent under hard sharing).
      ...(model.tie.length ? { tiePenalty: model.tie.toPoints() } : {}),
      iterationDeltas: Object.fromEntries(model.deltaTasks.map((t) => [t, { train: model.deltaCurves(t, 'train'), valid: model.deltaCurves(t, 'valid') }])),
    })),
  }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
}
