// Try the model over real IPC: the built trainer process (dist/trainer.js) loads a run's model on
// the first request, answers with every task's answer per pass, keeps the model for the next one,
// and says plainly when the run folder has no model.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelProcess } from '../../src/runs/modelProcess';
import { runTraining } from '../../src/trainer/runTraining';
import { parsePredictions } from '../../src/shared/predictions/format';

const root = path.join(__dirname, '..', '..', '..');
const trainerPath = path.join(root, 'dist', 'trainer.js');

test('Try the model: the trainer process answers typed rows with the run\'s predictions, loads once, refuses a non-run', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-try-'));
  const outcome = await runTraining({ experimentPath: path.join(root, 'samples', 'penguins-quick.fmtl.json'), backend: 'cpu', epochs: 2, runsDir: dir }, () => {});
  assert.equal(outcome.error, undefined, outcome.error?.message);
  const run = outcome.runDir!;
  const f = path.join(run, 'predictions', 'test.jsonl');
  const file = parsePredictions(fs.readFileSync(f, 'utf8'), f);
  const csv = fs.readFileSync(path.join(root, 'samples', 'penguins.csv'), 'utf8').split('\n');
  const header = csv[0].split(',');
  const row = Object.fromEntries(csv[file.examples[0].line! - 1].split(',').map((c, j) => [header[j], c]));
  const mp = new ModelProcess({ trainerPath, env: { FMTL_NATIVE: '0' } });
  try {
    const r1 = await mp.predict(run, [row]);
    assert.ok(r1.loadMs !== undefined, 'the first request loads the model');
    assert.equal(r1.iterations, 2);
    assert.equal(r1.checkpoint.kind, 'best');
    assert.deepEqual(r1.tasks.map((t) => t.id), ['species', 'sex', 'mass']);
    const species = r1.predictions[0].pred.species;
    assert.equal(species.length, 3);
    assert.deepEqual((species[2] as { label: string }).label, (file.examples[0].pred.species[2] as { label: string }).label);
    const r2 = await mp.predict(run, [row, row]);
    assert.equal(r2.loadMs, undefined, 'the model stays loaded');
    assert.equal(r2.predictions.length, 2);
    await assert.rejects(mp.predict(dir, [row]), /is not a run folder/);
  } finally {
    mp.dispose();
  }
});
