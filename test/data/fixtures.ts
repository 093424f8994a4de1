// Shared helpers for the data-layer tests (not a test file itself).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DataSpec, Experiment, TaskSpec } from '../../src/shared/experimentTypes';

/** A complete experiment around the given data and tasks (the rest does not matter to the data layer). */
export function makeExp(data: DataSpec, tasks: Pick<TaskSpec, 'id' | 'kind' | 'label'>[], seed = 1): Experiment {
  return {
    name: 'test',
    data,
    encoder: data.format === 'slu' ? { type: 'bigru', embeddingDim: 8, hidden: 8 } : { type: 'mlp', hidden: [8] },
    tasks: tasks.map((t) => ({ ...t, blocks: [{ type: 'dense', units: 4 }] })),
    feedback: [],
    iterations: 1,
    convergence: { beta: 0.5, lambda: 0 },
    gumbel: { tau0: 1, tauMin: 0.1 },
    training: { epochs: 1, batchSize: 4, optimizer: 'adam', learningRate: 0.01, seed },
    lossWeighting: { type: 'fixed' },
  };
}

/** Write files (relative path -> content) into a fresh temp folder; returns its path. */
export function writeTree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-data-'));
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
  return dir;
}
