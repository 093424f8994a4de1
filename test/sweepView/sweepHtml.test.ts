import test from 'node:test';
import assert from 'node:assert/strict';
import { sweepPageHtml } from '../../src/sweepView/sweepHtml';
import { buildSweepTable } from '../../src/shared/sweepTable';
import { validateSweep } from '../../src/shared/sweep';

test('the sweep page: progress per cell, mean ± std with units, paired comparison with its CI; labels escaped', () => {
  const sweep = { ...validateSweep({ experiment: 'e', seeds: [1, 2], variants: ['static', 'gumbel'] }).sweep!, name: 's<1>' };
  const r = (cellId: string, seed: number, acc: number) => ({ cellId, seed, runId: `${cellId}${seed}`, metrics: { 'a.accuracy': acc } });
  const table = buildSweepTable(sweep, [r('static', 1, 0.8), r('static', 2, 0.82), r('gumbel', 1, 0.85), r('gumbel', 2, 0.87)], 'test');
  const html = sweepPageHtml({
    name: 's<1>', sweepDir: '/x', state: 'done', nonce: 'n', cspSource: 'c', table,
    cells: [{ cellId: 'static', label: 'variant=static', seeds: 2, done: 2, failed: 0, running: [] }, { cellId: 'gumbel', label: 'variant=gumbel', seeds: 2, done: 1, failed: 0, running: ['seed 2 epoch 3/30'] }],
  });
  assert.match(html, /Sweep s&lt;1&gt;/);
  assert.match(html, /<td>variant=gumbel<\/td><td class="num">1\/2<\/td><td><progress value="1" max="2"><\/progress><\/td><td>seed 2 epoch 3\/30<\/td>/);
  assert.match(html, /<th>a\.accuracy \(%\)<\/th>/);
  assert.match(html, /<td>variant=static <em>\(baseline\)<\/em><\/td><td class="num">2\/2<\/td><td class="num">81\.0 ± 1\.4<\/td>/);
  assert.match(html, /<td class="num sure" title="95% bootstrap CI over the per-seed differences">\+5\.0 \[\+5\.0, \+5\.0\]<sup>s<\/sup><\/td>/);
  assert.match(html, /test split at the best-valid checkpoint/);
  assert.match(html, /id="curves"/);
  // The page's CSP admits styles only from its nonce'd <style>: a style attribute would be dropped.
  assert.doesNotMatch(html, /\sstyle="/);
  assert.doesNotMatch(sweepPageHtml({ name: 'x', sweepDir: '/x', state: 'running', nonce: 'n', cspSource: 'c', cells: [] }), /id="curves"/);
});
