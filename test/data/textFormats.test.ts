// The same SNIPS slice written as an SLU folder, JSONL and CoNLL files must prepare to the same
// data: vocabulary, character vocabulary, label maps, token ids, targets and batches (with
// character features). The slice is read from ../shared/data/snips and written to a temp folder.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { prepareData } from '../../src/data/prepare';
import { makeBatches } from '../../src/data/batches';
import type { DataSpec, Experiment } from '../../src/shared/experimentTypes';
import type { PreparedData } from '../../src/data/types';
import { makeExp, writeTree } from './fixtures';

const snips = path.resolve(__dirname, '../../../../shared/data/snips');
const SLICE = { train: 300, valid: 60, test: 60 };

function lines(file: string, n: number): string[] {
  return fs.readFileSync(file, 'utf8').split(/\r?\n/).slice(0, n);
}

/** The slice as SLU, JSONL and CoNLL files in one temp folder. */
function writeSlice(): string {
  const files: Record<string, string> = {};
  for (const [split, n] of Object.entries(SLICE)) {
    const words = lines(path.join(snips, split, 'seq.in'), n);
    const tags = lines(path.join(snips, split, 'seq.out'), n);
    const intents = lines(path.join(snips, split, 'label'), n);
    files[`slu/${split}/seq.in`] = words.join('\n') + '\n';
    files[`slu/${split}/seq.out`] = tags.join('\n') + '\n';
    files[`slu/${split}/label`] = intents.join('\n') + '\n';
    const toks = (s: string) => s.trim().split(/\s+/);
    // JSONL: text as a string in odd records, as a token array in even ones (both must read alike).
    files[`jsonl/${split}.jsonl`] = words.map((w, i) => JSON.stringify({ text: i % 2 ? w : toks(w), intent: intents[i], slots: toks(tags[i]) })).join('\n') + '\n';
    files[`conll/${split}.conll`] = '-DOCSTART- O\n\n' + words.map((w, i) => {
      const t = toks(tags[i]);
      return `# intent = ${intents[i]}\n${toks(w).map((x, k) => `${x}\t${t[k]}`).join('\n')}\n`;
    }).join('\n');
  }
  return writeTree(files);
}

function exp(data: DataSpec, intentLabel: string, slotLabel: string): Experiment {
  const e = makeExp(data, [{ id: 'intent', kind: 'classification', label: intentLabel }, { id: 'slots', kind: 'tagging', label: slotLabel }]);
  e.encoder = { type: 'bigru', embeddingDim: 8, hidden: 8, chars: { embeddingDim: 4, filters: 4, maxWordLength: 12 } };
  return e;
}

/** Everything the model sees of prepared data, as plain arrays. */
function view(d: PreparedData, e: Experiment) {
  const split = (s: PreparedData['train']) => ({
    size: s.size, words: s.words, tokens: s.tokens!.map((t) => [...t]),
    labels: Object.fromEntries(Object.entries(s.labels).map(([k, c]) => [k, c.kind === 'tags' ? c.values.map((v) => [...v]) : [...c.values]])),
    rawLabels: s.rawLabels,
    batches: makeBatches(s, d, e, { batchSize: 16, shuffle: true, seed: 3 }).map((b) => ({ ...b, indices: [...b.indices], tokens: [...b.tokens!], chars: [...b.chars!], targets: Object.fromEntries(Object.entries(b.targets).map(([k, v]) => [k, [...v]])) })),
  });
  return {
    kind: d.kind, vocab: d.vocab!.tokens, chars: d.charVocab!.tokens, labelNames: { ...d.labelNames },
    train: split(d.train), valid: split(d.valid), test: split(d.test!),
  };
}

test('a SNIPS slice as SLU folder, JSONL and CoNLL prepares to identical vocabularies, ids, targets and batches', async (t) => {
  if (!fs.existsSync(path.join(snips, 'train', 'seq.in'))) return t.skip(`SNIPS not found at ${snips}`);
  const root = writeSlice();
  const opts = { lowercase: true, minFreq: 2, maxLength: 20 };
  const slu = exp({ format: 'slu', path: 'slu', ...opts }, 'label', 'seq.out');
  const jsonl = exp({ format: 'jsonl', path: 'jsonl', splits: { train: 'train.jsonl', valid: 'valid.jsonl', test: 'test.jsonl' }, text: 'text', ...opts }, 'intent', 'slots');
  const conll = exp({ format: 'conll', path: 'conll', splits: { train: 'train.conll', valid: 'valid.conll', test: 'test.conll' }, columns: ['word', 'slot'], ...opts }, 'intent', 'slot');
  const a = view(await prepareData(slu, root), slu);
  const b = view(await prepareData(jsonl, root), jsonl);
  const c = view(await prepareData(conll, root), conll);
  assert.equal(a.train.size, SLICE.train);
  assert.ok(a.vocab.length > 100 && a.labelNames.slots.length > 20, 'a real slice');
  assert.ok(a.train.words!.some((w) => w.length === 20), 'maxLength cut some sentence');
  assert.deepEqual(b, a, 'JSONL = SLU');
  assert.deepEqual(c, a, 'CoNLL = SLU');
});
