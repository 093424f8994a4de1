import test from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { prepareData } from '../../src/data/prepare';
import { DataError } from '../../src/data/dataError';
import type { ConllDataSpec, TaskSpec } from '../../src/shared/experimentTypes';
import { makeExp, writeTree } from './fixtures';

/** CoNLL-2003's shape: token POS chunk NER, -DOCSTART- lines, blank lines between sentences. */
const CONLL2003 = `-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O
. . O O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER

-DOCSTART- -X- -X- O

BRUSSELS NNP B-NP B-LOC
1996-08-22 CD I-NP O
`;

const spec = (extra: Partial<ConllDataSpec> = {}): ConllDataSpec => ({ format: 'conll', path: 'd', splits: { train: 'train.txt', valid: 'valid.txt' }, ...extra });

test('CoNLL-2003 shape: -DOCSTART- skipped, sentences by blank lines, tag columns by name or index', async () => {
  const root = writeTree({ 'd/train.txt': CONLL2003, 'd/valid.txt': 'Paris NNP B-NP B-LOC\n' });
  const byName = makeExp(spec({ columns: ['token', 'pos', 'chunk', 'ner'], token: 'token' }), [{ id: 'ner', kind: 'tagging', label: 'ner' }, { id: 'pos', kind: 'tagging', label: 'pos' }]);
  const d = await prepareData(byName, root);
  assert.deepEqual(d.train.words, [['EU', 'rejects', 'German', 'call', '.'], ['Peter', 'Blackburn'], ['BRUSSELS', '1996-08-22']]);
  assert.deepEqual(d.train.lines, [3, 9, 14]);
  assert.deepEqual(d.train.rawLabels.ner, [['B-ORG', 'O', 'B-MISC', 'O', 'O'], ['B-PER', 'I-PER'], ['B-LOC', 'O']]);
  assert.deepEqual(d.labelNames.pos, ['.', 'CD', 'JJ', 'NN', 'NNP', 'VBZ']);
  const byIndex = await prepareData(makeExp(spec(), [{ id: 'ner', kind: 'tagging', label: '3' }]), root);
  assert.deepEqual(byIndex.train.rawLabels.ner, d.train.rawLabels.ner);
  assert.deepEqual(byIndex.vocab!.tokens, d.vocab!.tokens);
});

test('CoNLL sentence labels: "# intent = X" (any comment prefix) before the tokens; other comments ignored', async () => {
  const text = '# sent_id = 1\n# intent = PlayMusic\nplay O\njazz B-genre\n\n\n#intent: Book\nbook O\n\n';
  const root = writeTree({ 'd/train.txt': text, 'd/valid.txt': text, 'd/alt.txt': text.replace(/#/g, '##') });
  const d = await prepareData(makeExp(spec(), [{ id: 'intent', kind: 'classification', label: 'intent' }, { id: 'slots', kind: 'tagging', label: '1' }]), root);
  assert.deepEqual(d.train.rawLabels.intent, ['PlayMusic', 'Book']);
  assert.deepEqual(d.train.lines, [1, 7]);
  const alt = await prepareData(makeExp(spec({ commentPrefix: '##', splits: { train: 'alt.txt', valid: 'alt.txt' } }), [{ id: 'intent', kind: 'classification', label: 'intent' }]), root);
  assert.deepEqual(alt.train.rawLabels.intent, ['PlayMusic', 'Book']);
});

test('CoNLL errors name file:line', async () => {
  const tasks: Pick<TaskSpec, 'id' | 'kind' | 'label'>[] = [{ id: 'intent', kind: 'classification', label: 'intent' }, { id: 'slots', kind: 'tagging', label: '1' }];
  const cases: [string, RegExp, Partial<ConllDataSpec>?][] = [
    ['# intent = A\nplay O\njazz B-genre extra\n', /train\.txt:3: 3 columns, but line 2, the file's first token line, has 2/],
    ['# intent = A\nplay O\n\nbook O\n', /train\.txt:4: this sentence has no '# intent = \.\.\.' line before its first token \(the label of task 'intent'\)/],
    ['# intent = A\nplay O\n\n# intent = B\n\nbook O\n', /train\.txt:4: the sentence label 'intent' is followed by no token lines/],
    ['# intent =\nplay O\n', /train\.txt:1: empty sentence label 'intent'/],
    ['# intent = A\nplay\n', /train\.txt:2: no column 1 \(the tag column of task 'slots'; 0-based\): the line has 1 column/],
    ['# intent = A\nplay O\n', /train\.txt:2: 2 columns, but data\.columns names 3: token pos slots/, { columns: ['token', 'pos', 'slots'] }],
    ['\n-DOCSTART- O\n\n', /train\.txt: no sentences/],
  ];
  for (const [text, re, extra] of cases) {
    const root = writeTree({ 'd/train.txt': text, 'd/valid.txt': '# intent = A\nplay O\n' });
    await assert.rejects(prepareData(makeExp(spec(extra), tasks), root), (e: unknown) => {
      assert.ok(e instanceof DataError, String(e));
      assert.match(e.message, re);
      const line = /txt:(\d+)/.exec(e.message)?.[1];
      assert.equal(e.where, line ? `${path.join(root, 'd', 'train.txt')}:${line}` : path.join(root, 'd', 'train.txt'));
      return true;
    }, re.source);
  }
});

test('CoNLL one file split by seeded fractions; limitTrain and maxLength apply', async () => {
  const sentences = Array.from({ length: 20 }, (_, i) => `# intent = ${i % 2 ? 'A' : 'B'}\n${Array.from({ length: 3 + (i % 4) }, (_, k) => `w${(i + k) % 7} ${k ? 'O' : 'B-x'}`).join('\n')}\n`);
  const root = writeTree({ 'all.conll': sentences.join('\n') });
  const tasks: Pick<TaskSpec, 'id' | 'kind' | 'label'>[] = [{ id: 'intent', kind: 'classification', label: 'intent' }, { id: 'slots', kind: 'tagging', label: '1' }];
  const exp = makeExp({ format: 'conll', path: 'all.conll', split: { valid: 0.2, test: 0.1, seed: 5 }, maxLength: 4 }, tasks);
  const d = await prepareData(exp, root);
  assert.deepEqual([d.train.size, d.valid.size, d.test!.size], [14, 4, 2]);
  assert.ok(d.train.words!.every((w) => w.length <= 4));
  const again = await prepareData(exp, root);
  assert.deepEqual(again.valid.lines, d.valid.lines, 'same seed, same split');
  const limited = await prepareData(makeExp({ ...exp.data, limitTrain: 5 } as ConllDataSpec, tasks), root);
  assert.equal(limited.train.size, 5);
});

test('CoNLL: a tag column with one tag in training is refused, naming the file', async () => {
  const root = writeTree({ 'd/train.txt': 'a O\nb O\n\nc O\n', 'd/valid.txt': 'a B-x\n' });
  await assert.rejects(prepareData(makeExp(spec(), [{ id: 'slots', kind: 'tagging', label: '1' }]), root),
    (e: unknown) => e instanceof DataError && e.message.startsWith(`${path.join(root, 'd', 'train.txt')}: task 'slots' has one tag in the training sentences ('O')`));
});
