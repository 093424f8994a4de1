import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { templateShape } from '../../src/runs/templateShape';

test('templateShape counts the shipped penguins sample (3 tasks, 3 arrows), singular for one', () => {
  const text = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'samples', 'penguins.fmtl.json'), 'utf8');
  const doc = JSON.parse(text) as { tasks: unknown[]; feedback: unknown[] };
  assert.equal(templateShape(text), `${doc.tasks.length} tasks, ${doc.feedback.length} feedback arrows`);
  assert.equal(templateShape('{ "tasks": [{}], // one\n "feedback": [{}] }'), '1 task, 1 feedback arrow');
  assert.equal(templateShape('not json'), '0 tasks, 0 feedback arrows');
});
