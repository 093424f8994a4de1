// The Problems panel's data path without VS Code (src/insights/dataIssues.ts, what diagnostics.ts
// calls 500 ms after an edit): inputs of the bad-input corpus that `fmtl validate` refuses for
// their data (a JSONL tag count, a CoNLL column count, a CSV label with one class in the training
// rows) show as one diagnostic each, with the message cases.json expects, on the line of the setting
// that names the file; an edit that does not touch what is read re-reads nothing.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { experimentIssuesWithData } from '../../src/insights/dataIssues';
import { issueDiagnostics } from '../../src/insights/issueRanges';
import { DataFactsCache, type DataFacts } from '../../src/data/dataFacts';

const corpus = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'bad');
const cases = JSON.parse(fs.readFileSync(path.join(corpus, 'cases.json'), 'utf8')) as { input: string; expect: { file: string; line?: number; at?: string; message: string } }[];

/** A cache that counts the files it reads. */
class CountingCache extends DataFactsCache {
  reads = 0;
  override get<T extends DataFacts>(abs: string, kind: 'csv' | 'text' | 'examples', read: (abs: string) => T | undefined, ask?: string): T | undefined {
    return super.get(abs, kind, (a) => { this.reads++; return read(a); }, ask);
  }
}

/** The Problems-panel entries of a corpus input, as the panel computes them. */
function panel(input: string, cache: DataFactsCache, edit: (text: string) => string = (t) => t) {
  const file = path.join(corpus, input);
  const text = edit(fs.readFileSync(file, 'utf8'));
  return { text, diagnostics: issueDiagnostics(text, experimentIssuesWithData(text, file, { cache, access: { roots: [] } })) };
}

for (const input of ['jsonl/slots-count.fmtl.json', 'conll/column-count.fmtl.json', 'csv/one-class.fmtl.json']) {
  test(`Problems panel: ${input}`, () => {
    const e = cases.find((c) => c.input === input)!.expect;
    const cache = new CountingCache();
    const { text, diagnostics } = panel(input, cache);
    assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics));
    const [d] = diagnostics;
    assert.equal(d.severity, 'error');
    assert.equal(d.pathText, e.at);
    assert.ok(d.message.includes(e.message), d.message);
    assert.ok(d.message.includes(`${e.file}${e.line !== undefined ? `:${e.line}:` : ':'}`), d.message);
    // The marker is on the setting's line: `"path": ...` for data.path, the task's `"label"` for tasks[i].label.
    const lines = text.split('\n');
    const want = e.at === 'data.path' ? lines.findIndex((l) => /"path":/.test(l)) : lines.findIndex((l, i) => /"label":/.test(l) && lines.slice(0, i).filter((x) => /"id":/.test(x)).length === Number(/tasks\[(\d+)\]/.exec(e.at!)![1]) + 1);
    assert.equal(d.range.start.line, want, `marker on line ${d.range.start.line + 1}: ${lines[d.range.start.line]}`);
    assert.equal(cache.reads, 1);
    // Typing elsewhere (the epochs, the training seed that draws the split) re-reads nothing; the problem stays.
    const again = panel(input, cache, (t) => t.replace('"epochs": 2', '"epochs": 3').replace(/"seed": 1\b/, '"seed": 7'));
    assert.notEqual(again.text, text);
    assert.deepEqual(again.diagnostics.map((x) => x.message), [d.message]);
    assert.equal(cache.reads, 1);
  });
}
