/**
 * Does the feedback loop settle, and for which task? For one task: ‖y^(k+1) − y^k‖ against the
 * iteration k, one line per epoch (newest bold, older ones fading), with the end-of-epoch eval
 * curve dashed; and the same deltas over training steps, one line per k. The caption says in words
 * how far the last iteration moves compared to the first.
 */
import type { RunModel } from '../../src/shared/series/runModel';
import { paletteColor } from '../../src/shared/series/colors';
import { LineChart, type ChartLine } from './lineChart';
import { fmtValue, type ExportHandler } from './chartBase';

export interface ConvergenceRun {
  id: string;
  name: string;
  /** CSS colour of the run. */
  color: string;
  model: RunModel;
}

export interface ConvergenceData {
  runs: ConvergenceRun[];
  /** App-wide smoothing weight. */
  smoothing: number;
}

export interface ConvergenceChartOptions {
  task: string;
  onExport?: ExportHandler;
}

const DASHES = ['', '5 3', '1.5 2.5', '8 3 2 3', '3 3'];
const SUP = '⁰¹²³⁴⁵⁶⁷⁸⁹';
const sup = (n: number) => String(n).split('').map((d) => SUP[Number(d)]).join('');

export class ConvergenceChart {
  readonly element: HTMLElement;
  private readonly byK: LineChart;
  private readonly overTime: LineChart;

  constructor(container: HTMLElement, private readonly options: ConvergenceChartOptions) {
    const task = options.task;
    this.byK = new LineChart(container, {
      title: `${task}: ‖y^(k+1) − y^k‖ by iteration`, subtitle: 'one line per epoch', fileStem: `convergence-${task}-by-k`,
      chartId: `convergence-${task}-k`, onExport: options.onExport, yLog: true, xIntegerTicks: true, height: 230,
      // One tick per step of the loop, named by what it moves (y⁰→y¹ ...), with room at both ends:
      // with K = 2 the chart is two points, which must not read as a line across an axis 0…1.
      xLabel: 'iteration step', xName: 'k', xPad: 0.35, xTickLabel: iterationStep,
    });
    this.element = this.byK.element;
    this.element.dataset.task = task;
    this.overTime = new LineChart(container, {
      title: `${task}: iteration deltas over training`, fileStem: `convergence-${task}-over-time`,
      chartId: `convergence-${task}-time`, onExport: options.onExport, yLog: true, height: 230, xLabel: 'step', xName: 'step',
    });
  }

  update(data: ConvergenceData): void {
    const single = data.runs.length === 1;
    const kLines: ChartLine[] = [];
    const tLines: ChartLine[] = [];
    let caption = '';
    for (const run of data.runs) {
      const curves = run.model.deltaCurves(this.options.task, 'train');
      const valid = run.model.deltaCurves(this.options.task, 'valid');
      const newest = curves.length - 1;
      // Older epochs fade towards 0.12 opacity; in compare mode only the newest epoch of each run is drawn.
      curves.forEach((c, i) => {
        if (!single && i !== newest) return;
        const age = newest - i;
        const isNew = i === newest;
        kLines.push({
          id: `${run.id}/train/${c.epoch}`, runId: run.id, color: run.color,
          label: single ? `train, epoch ${c.epoch}` : run.name,
          x: c.deltas.map((_, k) => k), y: c.deltas, markers: isNew,
          width: isNew ? 2.4 : 1.3, opacity: isNew ? 1 : Math.max(0.18, 0.7 * Math.pow(0.78, age - 1)),
          hideInLegend: !isNew,
        });
      });
      const lastValid = valid[valid.length - 1];
      if (lastValid) {
        kLines.push({
          id: `${run.id}/valid/${lastValid.epoch}`, runId: run.id, color: single ? paletteColor(1) : run.color,
          label: single ? `eval, epoch ${lastValid.epoch}` : `${run.name} eval`, x: lastValid.deltas.map((_, k) => k), y: lastValid.deltas,
          dash: '5 3', markers: true, width: 1.8, hideInLegend: !single && curves.length > 0,
        });
      }
      const ref = lastValid ?? curves[newest];
      if (single && ref && ref.deltas.length) caption = settleText(ref.deltas, ref === lastValid ? 'eval' : 'train', ref.epoch);
      const lines = run.model.deltasOverTime.get(this.options.task) ?? [];
      lines.forEach((s, k) => {
        tLines.push({
          id: `${run.id}/k${k}`, runId: run.id, x: s.x, y: s.y, smooth: true,
          color: single ? paletteColor(k) : run.color, dash: single ? undefined : DASHES[k % DASHES.length] || undefined,
          label: single ? `y${sup(k)}→y${sup(k + 1)}` : run.name, hideInLegend: !single && k > 0,
        });
      });
    }
    for (const c of [this.byK, this.overTime]) c.setSmoothing(data.smoothing);
    if (!single && kLines.length) caption = 'solid: training, newest epoch of each run · dashed: end-of-epoch evaluation';
    this.byK.update({ lines: kLines, caption: caption || (kLines.length ? '' : 'No iteration deltas yet (they arrive every logEvery steps).') });
    this.overTime.update({ lines: tLines, caption: single ? 'Each line is one iteration step of the loop; lower is more settled.' : 'Line style = iteration step (solid y⁰→y¹, dashed y¹→y², dotted y²→y³).' });
  }

  resize(): void {
    this.byK.resize();
    this.overTime.resize();
  }

  dispose(): void {
    this.byK.dispose();
    this.overTime.dispose();
  }
}

/** "Settles: eval epoch 7 moves 0.2 in the first pass, the last pass 0.003 (1.5% of the first)." */
export function settleText(deltas: number[], split: string, epoch: number): string {
  const first = deltas[0];
  const last = deltas[deltas.length - 1];
  if (deltas.length < 2 || !(first > 0)) return `${split} epoch ${epoch}: ‖y¹ − y⁰‖ = ${fmtValue(first)}`;
  const pct = (100 * last) / first;
  const verdict = pct < 5 ? 'settles after the first pass' : pct < 30 ? 'settling' : 'still moving — the loop has not settled';
  return `${split}, epoch ${epoch}: first pass moves ${fmtValue(first)}, last pass ${fmtValue(last)} (${fmtValue(pct)}% of the first) — ${verdict}.`;
}

/** `y⁰→y¹` for step k = 0 (the move from y^k to y^(k+1)). */
export function iterationStep(k: number): string {
  const sup = (n: number) => String(n).split('').map((d) => '⁰¹²³⁴⁵⁶⁷⁸⁹'[Number(d)] ?? d).join('');
  return `y${sup(k)}→y${sup(k + 1)}`;
}
