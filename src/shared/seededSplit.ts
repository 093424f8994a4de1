/**
 * The seeded split of one file's examples (CSV rows, JSONL records, CoNLL sentences) into train /
 * valid / test. One function, so training (`data/csv.ts`, `textSplit.ts`) and validation
 * (`dataChecks.ts`: the labels of the training rows) draw the same rows for the same seed.
 */
import { Rng } from './rng';

/**
 * Seeded split of row indices: a shuffle, then the first round(n·valid) rows are valid, the next
 * round(n·test) test, the rest train (each part sorted).
 */
export function splitRows(n: number, valid: number, test: number, seed: number): { train: number[]; valid: number[]; test: number[] } {
  const order = new Rng(seed).fork('csv-split').shuffle([...Array(n).keys()]);
  const nValid = Math.round(n * valid);
  const nTest = Math.round(n * test);
  const sort = (a: number[]) => a.sort((x, y) => x - y);
  return {
    valid: sort(order.slice(0, nValid)),
    test: sort(order.slice(nValid, nValid + nTest)),
    train: sort(order.slice(nValid + nTest)),
  };
}
