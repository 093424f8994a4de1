// Task ids that are names of Object.prototype members are plain ids: validate accepts them and
// training runs (records keyed by user ids have no prototype, src/shared/dict.ts).
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseExperiment } from '../../src/shared/experiment';
import type { TrainerEvent } from '../../src/shared/trainerProtocol';
import { runTraining } from '../../src/trainer/runTraining';

const root = path.join(__dirname, '..', '..', '..');
const quick = fs.readFileSync(path.join(root, 'samples', 'penguins-quick.fmtl.json'), 'utf8');

for (const id of ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty']) {
  test(`task id '${id}' validates and trains one epoch with metrics under its id`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-ids-'));
    const e = JSON.parse(quick);
    e.data.path = path.join(root, 'samples', 'penguins.csv');
    e.tasks[0].id = id;
    for (const f of e.feedback) { if (f.from === 'species') f.from = id; if (f.to === 'species') f.to = id; }
    if (e.training.earlyStopping?.metric.startsWith('species.')) e.training.earlyStopping.metric = e.training.earlyStopping.metric.replace('species', id);
    e.training.epochs = 1;
    const file = path.join(dir, 'ids.fmtl.json');
    fs.writeFileSync(file, JSON.stringify(e));
    assert.deepEqual(parseExperiment(JSON.stringify(e)).errors.filter((x) => x.severity === 'error'), []);
    const events: TrainerEvent[] = [];
    const out = await runTraining({ experimentPath: file, backend: 'cpu', runsDir: dir }, (ev) => events.push(ev));
    assert.equal(out.error, undefined, out.error?.message);
    const epoch = events.find((x) => x.type === 'run/epoch');
    assert.ok(epoch && epoch.type === 'run/epoch');
    assert.ok(Object.prototype.hasOwnProperty.call(epoch.valid, id), JSON.stringify(epoch.valid));
    assert.ok(epoch.valid[id].accuracy > 0.3);
    assert.ok(Object.prototype.hasOwnProperty.call(epoch.trainLoss, id));
  });
}
