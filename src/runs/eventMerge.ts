/**
 * How old high-rate trainer events are downsampled in the host's bounded buffers: two events become
 * one whose numbers are the weighted **mean** of both (weights = how many original events each
 * stands for); step and time become the weighted mean too (rounded step), so a downsampled curve
 * sits where its points came from. Pure.
 */
import type { GatesEvent, IterationDeltasEvent, StepEvent } from '../shared/trainerProtocol';
import { wmean, wmeanArray, wmeanRecord } from './boundedSeries';
import { dict } from '../shared/dict';

export function mergeStep(a: StepEvent, wa: number, b: StepEvent, wb: number): StepEvent {
  return {
    type: 'run/step',
    runId: b.runId,
    t: wmean(a.t, wa, b.t, wb),
    step: Math.round(wmean(a.step, wa, b.step, wb)),
    epoch: b.epoch,
    losses: wmeanRecord(a.losses, wa, b.losses, wb),
    convergence: wmeanRecord(a.convergence, wa, b.convergence, wb),
    ...(a.weights && b.weights ? { weights: wmeanRecord(a.weights, wa, b.weights, wb) } : b.weights ? { weights: b.weights } : {}),
    ...(a.tie !== undefined && b.tie !== undefined ? { tie: wmean(a.tie, wa, b.tie, wb) } : b.tie !== undefined ? { tie: b.tie } : {}),
    total: wmean(a.total, wa, b.total, wb),
    lr: wmean(a.lr, wa, b.lr, wb),
    tau: wmean(a.tau, wa, b.tau, wb),
    ms: wmean(a.ms, wa, b.ms, wb),
  };
}

export function mergeDeltas(a: IterationDeltasEvent, wa: number, b: IterationDeltasEvent, wb: number): IterationDeltasEvent {
  const deltas: Record<string, number[]> = dict();
  for (const k of new Set([...Object.keys(a.deltas), ...Object.keys(b.deltas)])) {
    const x = a.deltas[k], y = b.deltas[k];
    deltas[k] = x === undefined ? y : y === undefined ? x : wmeanArray(x, wa, y, wb);
  }
  return {
    type: 'run/iterationDeltas',
    runId: b.runId,
    t: wmean(a.t, wa, b.t, wb),
    step: Math.round(wmean(a.step, wa, b.step, wb)),
    epoch: b.epoch,
    split: b.split,
    deltas,
  };
}

export function mergeGates(a: GatesEvent, wa: number, b: GatesEvent, wb: number): GatesEvent {
  const gates: GatesEvent['gates'] = dict();
  for (const k of new Set([...Object.keys(a.gates), ...Object.keys(b.gates)])) {
    const x = a.gates[k], y = b.gates[k];
    gates[k] = !x ? y : !y ? x : { blocks: y.blocks, probs: wmeanArray(x.probs, wa, y.probs, wb) };
  }
  return {
    type: 'run/gates',
    runId: b.runId,
    t: wmean(a.t, wa, b.t, wb),
    step: Math.round(wmean(a.step, wa, b.step, wb)),
    epoch: b.epoch,
    tau: wmean(a.tau, wa, b.tau, wb),
    gates,
  };
}
