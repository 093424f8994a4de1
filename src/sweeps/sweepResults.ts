/**
 * From a sweep folder's run folders to its table: one result per (cell, seed) — the run that
 * finished — read from `summary.json` (test metrics at the best-valid checkpoint, or valid when the
 * experiment has no test split), then `shared/sweepTable.ts` for the statistics and the markdown.
 */
import type { Sweep } from '../shared/sweep';
import { buildSweepTable, exampleTerms, sweepTableMarkdown, type SweepRunResult, type SweepTable } from '../shared/sweepTable';
import * as fs from 'node:fs';
import { parsePredictions } from '../shared/predictions/format';
import { predictionsPath, RUN_FILES, type RunSummaryFile } from '../runFolder/runFiles';
import { readRunJson } from '../runFolder/runFolderReader';
import * as path from 'node:path';
import { cellRecords, runState, writeTable } from './sweepFolder';

/**
 * Per-example terms of a run's metrics on a split (best checkpoint), for the bootstrap over test
 * examples: read from `predictions/<split>.jsonl`. Undefined when the run folder has none (older
 * runs) or it cannot be read; the table then resamples the per-seed differences and says so.
 */
export function perExampleTerms(runDir: string, split: 'test' | 'valid'): Record<string, number[]> | undefined {
  const file = predictionsPath(runDir, split);
  try {
    return exampleTerms(parsePredictions(fs.readFileSync(file, 'utf8'), file));
  } catch {
    return undefined;
  }
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
  const markdown = sweepTableMarkdown(table);
  writeTable(sweepDir, table, markdown);
  return { table, markdown };
}
