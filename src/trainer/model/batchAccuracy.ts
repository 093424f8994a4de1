/**
 * Accuracy of one training batch's decoded predictions against its targets, for loss weightings that
 * follow a task's performance (`dtp`): the fraction of labelled sentences right (classification), of
 * labelled tokens right (tagging: padding and unknown tags, -1, are left out). NaN when the batch has
 * no labelled item for the task; regression has no accuracy (NaN).
 */
import type { Batch } from '../../data/types';
import type { TaskModel } from './feedbackModel';

export function batchAccuracy(task: Pick<TaskModel, 'id' | 'kind'>, predictions: Float32Array | undefined, batch: Batch): number {
  const gold = batch.targets[task.id];
  if (task.kind === 'regression' || !gold || !predictions) return NaN;
  let right = 0, n = 0;
  const len = Math.min(gold.length, predictions.length);
  for (let i = 0; i < len; i++) {
    if (gold[i] < 0) continue;
    n++;
    if (Math.round(predictions[i]) === gold[i]) right++;
  }
  return n ? right / n : NaN;
}
