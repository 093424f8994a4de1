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


/**
 * A SNIPS-shaped experiment on a small slice (`limitTrain` sentences): BiGRU encoder with a character
 * CNN and word dropout, a BiGRU block in the slot tower, a CRF slot output, Gumbel feedback both ways,
 * K = 2, LR warm-up + linear decay, clipping and dropout: every source of randomness and every piece
 * of optimizer state a SNIPS run has, at a size that trains in seconds.
 */
export function snipsShaped(dir: string, epochs = 2, limitTrain = 160): string {
  const exp = JSON.parse(fs.readFileSync(path.join(root, 'samples', 'snips-quality.fmtl.json'), 'utf8'));
  exp.name = 'snips-shaped';
  exp.data.path = path.resolve(root, 'samples', exp.data.path);
  exp.data.limitTrain = limitTrain;
  exp.data.minFreq = 1;
  exp.encoder = { type: 'bigru', embeddingDim: 12, hidden: 12, layers: 1, dropout: 0.3, chars: { embeddingDim: 6, filters: 6, widths: [3] }, wordDropout: 0.1 };
  for (const t of exp.tasks) t.blocks = t.kind === 'tagging' ? [{ type: 'bigru', units: 8 }, { type: 'dense', units: 12, dropout: 0.2 }] : [{ type: 'dense', units: 12, dropout: 0.2 }, { type: 'dense', units: 12 }];
  exp.iterations = 2;
  exp.gumbel.annealEpochs = epochs;
  exp.training.epochs = epochs;
  exp.training.batchSize = 32;
  exp.training.learningRate = 0.01;
  exp.training.lrSchedule = { warmupSteps: 3, decay: 'linear', decayEpochs: epochs, minFactor: 0.1 };
  exp.training.logEvery = 2;
  delete exp.training.earlyStopping;
  const file = path.join(dir, 'snips-shaped.fmtl.json');
  fs.writeFileSync(file, JSON.stringify(exp, null, 2));
  return file;
}
