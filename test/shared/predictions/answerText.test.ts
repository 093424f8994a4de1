import test from 'node:test';
import assert from 'node:assert/strict';
import { answerText, predictionLines } from '../../../src/shared/predictions/answerText';

test('a language model\'s answer reads as each word with its predicted next word, and the sentence perplexity from its token log-likelihoods', () => {
  const a = { tags: ['some', 'music', '</s>'], p: [0.2, 0.1, 0.9], nll: [Math.log(4), Math.log(16), Math.log(1)] };
  // exp(mean(ln 4, ln 16, 0)) = exp(ln 64 / 3) = 4
  assert.equal(answerText(a, ['play', 'some', 'jazz'], 'language-model'), 'play→some some→music jazz→</s>  (perplexity 4.00)');
  assert.equal(answerText({ tags: a.tags, p: a.p }, ['play', 'some', 'jazz'], 'language-model'), 'play→some some→music jazz→</s>');
  // Without the kind the same shape reads as slot tags.
  assert.equal(answerText({ tags: ['O', 'B-genre', 'O'], p: [1, 1, 1] }, ['play', 'jazz', 'now']), '[genre: jazz]');
  assert.deepEqual(predictionLines([{ id: 'lm', kind: 'language-model' }], { lm: [a] }, ['play', 'some', 'jazz']), ['lm  play→some some→music jazz→</s>  (perplexity 4.00)']);
});
