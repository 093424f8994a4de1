import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TEMPLATES } from '../../src/runs/experimentTemplates';
import { templateShape } from '../../src/runs/templateShape';
import { parseExperiment } from '../../src/shared/experiment';
import { prepareData } from '../../src/data/prepare';

const samples = path.join(__dirname, '..', '..', '..', 'samples');

test('every New-experiment template is a shipped sample whose data.path is the data file copied beside it, valid with that file', async () => {
  assert.deepEqual(TEMPLATES.map((t) => t.id), ['csv', 'slu', 'jsonl', 'conll']);
  for (const t of TEMPLATES) {
    const text = fs.readFileSync(path.join(samples, t.experiment), 'utf8');
    assert.match(templateShape(text), /^\d+ tasks?, \d+ feedback arrows?$/);
    const parsed = parseExperiment(text, { fileExists: t.data ? (rel) => fs.existsSync(path.join(samples, rel)) : undefined });
    assert.deepEqual(parsed.errors, [], t.experiment);
    const exp = parsed.experiment!;
    assert.equal(exp.data.format, t.id, `${t.experiment} is the ${t.id} template`);
    if (!t.data) continue;
    assert.equal(exp.data.path, t.data, `${t.experiment}: data.path is the file the command copies`);
    const data = await prepareData(exp, samples);
    assert.ok(data.train.size > 0 && data.valid.size > 0, `${t.experiment} prepares its sample data`);
  }
});

test('the JSONL and CoNLL samples hold the same 40 sentences (one split, same seed: the same examples)', async () => {
  const load = (name: string) => prepareData(parseExperiment(fs.readFileSync(path.join(samples, name), 'utf8')).experiment!, samples);
  const [j, c] = await Promise.all([load('intents-jsonl.fmtl.json'), load('intents-conll.fmtl.json')]);
  assert.equal(j.train.size + j.valid.size + j.test!.size, 40);
  assert.deepEqual(c.train.words, j.train.words);
  assert.deepEqual(c.test!.rawLabels, j.test!.rawLabels);
  assert.deepEqual(c.labelNames, j.labelNames);
});
