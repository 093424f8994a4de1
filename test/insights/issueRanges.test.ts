import test from 'node:test';
import assert from 'node:assert/strict';
import { issueDiagnostics, rangeOfPath } from '../../src/insights/issueRanges';
import { parseExperiment, type ExperimentIssue } from '../../src/shared/experiment';
import { parseTree } from 'jsonc-parser';

const text = [
  '{',
  '  // comment before',
  '  "name": "t",',
  '  "tasks": [',
  '    { "id": "a", "kind": "classification" },',
  '    { "id": "b",',
  '      "kind": "tagging" }',
  '  ],',
  '  "feedback": [ { "id": "f", "from": "a", "to": "zz" } ]',
  '}',
].join('\n');

const issue = (path: (string | number)[], extra: Partial<ExperimentIssue> = {}): ExperimentIssue =>
  ({ path, pathText: path.join('.'), message: 'm', severity: 'error', ...extra });

test('an issue with offset/length maps to line/character', () => {
  const off = text.indexOf('"zz"');
  const [d] = issueDiagnostics(text, [issue(['feedback', 0, 'to'], { offset: off, length: 4 })]);
  assert.deepEqual(d.range, { start: { line: 8, character: 48 }, end: { line: 8, character: 52 } });
});

test('without offsets the path is looked up: value node, or the key of a missing property\'s parent', () => {
  const [v, missing, container, none] = issueDiagnostics(text, [
    issue(['feedback', 0, 'to']),
    issue(['tasks', 1, 'blocks']),
    issue(['tasks']),
    issue(['nothing', 'here']),
  ]);
  assert.deepEqual(v.range.start, { line: 8, character: 48 });
  // tasks[1] exists but has no blocks: marked at the start of that object, cut to its first line.
  assert.deepEqual(missing.range, { start: { line: 5, character: 4 }, end: { line: 5, character: 16 } });
  // A container is marked at its key, not over its whole body.
  assert.deepEqual(container.range, { start: { line: 3, character: 2 }, end: { line: 3, character: 9 } });
  // Nothing on the path exists: the root's first character.
  assert.deepEqual(none.range, { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } });
});

test('multi-line offsets are cut to their first line, CRLF excluded', () => {
  const crlf = text.replace(/\n/g, '\r\n');
  const off = crlf.indexOf('{ "id": "b"');
  const [d] = issueDiagnostics(crlf, [issue(['tasks', 1], { offset: off, length: crlf.indexOf('}', off) + 1 - off })]);
  assert.deepEqual(d.range, { start: { line: 5, character: 4 }, end: { line: 5, character: 16 } });
});

test('rangeOfPath on an unparsable text falls back to the start', () => {
  assert.deepEqual(rangeOfPath(parseTree('') ?? undefined, ['a']), { offset: 0, length: 0 });
});

test('real validator issues land on the offending text', () => {
  const parsed = parseExperiment(text);
  const diags = issueDiagnostics(text, parsed.errors);
  const to = diags.find((d) => d.pathText === 'feedback[0].to');
  assert.ok(to, `issues: ${parsed.errors.map((e) => e.pathText).join(', ')}`);
  assert.equal(to.range.start.line, 8);
  assert.equal(text.split('\n')[8].slice(to.range.start.character, to.range.end.character), '"zz"');
});
