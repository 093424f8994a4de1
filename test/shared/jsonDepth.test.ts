// 200,000 nested brackets: a located message from every parser of experiment text, no stack overflow.
import test from 'node:test';
import assert from 'node:assert/strict';
import { parseExperiment } from '../../src/shared/experiment';
import { MAX_JSON_DEPTH, tooDeep } from '../../src/shared/jsonDepth';
import { readGraph } from '../../src/editor/graphModel';
import { outlineExperiment } from '../../src/insights/experimentOutline';
import { issueDiagnostics } from '../../src/insights/issueRanges';

test('tooDeep finds the first bracket past the limit, ignoring strings and comments', () => {
  assert.equal(tooDeep('{"a": [[1]]}'), undefined);
  assert.deepEqual(tooDeep('[[[', 2), { offset: 2, max: 2 });
  assert.equal(tooDeep('["[[[[", // [[[[\n /* {{{{ */ 1]', 2), undefined);
  assert.equal(tooDeep('"\\"[[[["', 1), undefined);
});

test('200,000 nested [ : parseExperiment, readGraph, outline and diagnostics answer with a place', () => {
  for (const text of ['['.repeat(200_000), `{"name": "x", "tasks": ${'['.repeat(200_000)}${']'.repeat(200_000)}}`]) {
    const r = parseExperiment(text);
    assert.equal(r.experiment, undefined);
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0].message, new RegExp(`nested more than ${MAX_JSON_DEPTH} levels`));
    assert.ok(r.errors[0].offset! >= MAX_JSON_DEPTH);
    const g = readGraph(text);
    assert.equal(g.parseErrors.length, 1);
    assert.equal(g.parseErrors[0].line, 1);
    assert.deepEqual(outlineExperiment(text).tasks, []);
    const d = issueDiagnostics(text, r.errors);
    assert.equal(d.length, 1);
  }
});
