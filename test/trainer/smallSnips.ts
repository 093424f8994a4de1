// A small SNIPS experiment for tests that need a real text run (not a test file itself).
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '..', '..', '..');

/** A small SNIPS experiment (300 training sentences, a small model, K = 2; optionally a CRF slot head, character features) written into `dir`; returns its path. */
export function smallSnips(dir: string, epochs = 2, crf = false, chars = false): string {
  const exp = JSON.parse(fs.readFileSync(path.join(root, 'samples', 'snips.fmtl.json'), 'utf8'));
  exp.name = 'snips-small';
  exp.data.path = path.resolve(root, 'samples', exp.data.path);
  exp.data.limitTrain = 300;
  exp.encoder = { type: 'bigru', embeddingDim: 16, hidden: 16, layers: 1, dropout: 0.1, ...(chars ? { chars: { embeddingDim: 8, filters: 8 } } : {}) };
  for (const t of exp.tasks) {
    t.blocks = [{ type: 'dense', units: 16 }, { type: 'dense', units: 16 }];
    if (crf && t.kind === 'tagging') t.output = 'crf';
  }
  exp.iterations = 2;
  exp.training.epochs = epochs;
  exp.training.batchSize = 32;
  exp.training.learningRate = 0.01;
  delete exp.training.earlyStopping;
  const file = path.join(dir, 'snips-small.fmtl.json');
  fs.writeFileSync(file, JSON.stringify(exp, null, 2));
  return file;
}

