/**
 * From a sweep folder's run folders to its table: one result per (cell, seed) — the run that
 * finished — read from `summary.json` (test metrics at the best-valid checkpoint, or valid when the
 * experiment has no test split), then `shared/sweepTable.ts` for the statistics and the markdown.
 */
import type { Sweep } from '../shared/sweep';
import { buildSweepTable, sweepTableMarkdown, type SweepRunResult, type SweepTable } from '../shared/sweepTable';
import { formatMetric } from '../trainer/progressBar';
import { readRunJson, RUN_FILES, type RunSummaryFile } from '../trainer/runFolder';
import * as path from 'node:path';
import { cellRecords, runState, writeTable } from './sweepFolder';

/**
 * Per-example terms of a run's metrics on a split, for the bootstrap over test examples.
 *
 * The seam for per-example predictions: run folders do not hold per-example predictions yet, so
 * this answers undefined and the table's CI resamples the per-seed differences instead (and says
 * so). Once `predictions/test.jsonl` exists, this reads it and returns, per `task.metric` that is a
 * mean over examples (accuracy: 1 right / 0 wrong per example), the terms in example order.
 */
export function perExampleTerms(_runDir: string, _split: 'test' | 'valid'): Record<string, number[]> | undefined {
  return undefined;
}

/** The finished runs' results and the split they were read on. */
export function collectResults(sweepDir: string, sweep: Sweep): { results: SweepRunResult[]; split: 'test' | 'valid' } {
  const found: { r: SweepRunResult; summary: RunSummaryFile; dir: string }[] = [];
  for (const cell of sweep.cells) {
    const records = cellRecords(sweepDir, cell.id);
    for (const run of sweep.runs.filter((x) => x.cellId === cell.id)) {
      const st = runState(records, run);
      if (st.kind !== 'done') continue;
      const summary = readRunJson<RunSummaryFile>(st.record.dir, RUN_FILES.summary);
      if (!summary) continue;
      found.push({ r: { cellId: cell.id, seed: run.seed, runId: path.basename(st.record.dir), metrics: {} }, summary, dir: st.record.dir });
    }
  }
  // One split for the whole table: test when every finished run has it.
  const split: 'test' | 'valid' = found.length > 0 && found.every((f) => f.summary.best.test && Object.keys(f.summary.best.test).length) ? 'test' : 'valid';
  for (const f of found) {
    const m = split === 'test' ? f.summary.best.test! : f.summary.best.valid;
    for (const [task, ms] of Object.entries(m)) for (const [name, v] of Object.entries(ms)) f.r.metrics[`${task}.${name}`] = v;
    const pe = perExampleTerms(f.dir, split);
    if (pe) f.r.perExample = pe;
  }
  return { results: found.map((f) => f.r), split };
}

/** Builds, writes (`table.md`, `table.json`) and returns the sweep's table. */
export function writeSweepTable(sweepDir: string, name: string, sweep: Sweep): { table: SweepTable; markdown: string } {
  const { results, split } = collectResults(sweepDir, sweep);
  const table = buildSweepTable({ ...sweep, name }, results, split);
  const markdown = sweepTableMarkdown(table, formatMetric);
  writeTable(sweepDir, table, markdown);
  return { table, markdown };
}
