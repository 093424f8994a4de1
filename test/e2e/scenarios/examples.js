// Issue 11, as a user: train a small text experiment (intent + slots, feedback both ways, K = 2) ->
// the run view's Examples section shows per task what the feedback passes corrected / broke,
// matching the run's predictions/test.jsonl -> filter to "broken by feedback" (or, if the model
// broke nothing, say so and take the outcome it has) -> open one: its tokens with gold and every
// pass's tags -> type a sentence into Try the model: its intent and slots come back per pass from
// the trainer process. The data is a small synthetic SLU set written here.
'use strict';
const fs = require('fs');
const path = require('path');
const { runsOf } = require('../lib/runs');
const { hasCommand, missingFiles } = require('../lib/contributes');

/** Two intents with slots: 60 train, 20 valid, 20 test sentences, SNIPS's file layout. */
function writeSlu(dir) {
  const artists = ['adele', 'queen', 'muse', 'blur', 'abba', 'coldplay', 'oasis', 'toto', 'yes'];
  const cities = ['paris', 'berlin', 'oslo', 'rome', 'lima', 'tokyo', 'cairo', 'quito'];
  const when = ['today', 'tomorrow', 'tonight'];
  const rows = [];
  for (let i = 0; i < 100; i++) {
    if (i % 2) rows.push({ w: ['play', artists[i % 9], i % 3 ? 'songs' : 'now'], t: ['O', 'B-artist', 'O'], l: 'PlayMusic' });
    else rows.push({ w: ['weather', 'in', cities[i % 8], when[i % 3]], t: ['O', 'O', 'B-city', 'B-date'], l: 'GetWeather' });
  }
  for (const [split, part] of [['train', rows.slice(0, 60)], ['valid', rows.slice(60, 80)], ['test', rows.slice(80)]]) {
    const d = path.join(dir, split);
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, 'seq.in'), part.map((r) => r.w.join(' ')).join('\n') + '\n');
    fs.writeFileSync(path.join(d, 'seq.out'), part.map((r) => r.t.join(' ')).join('\n') + '\n');
    fs.writeFileSync(path.join(d, 'label'), part.map((r) => r.l).join('\n') + '\n');
  }
}

const EXPERIMENT = {
  name: 'slu-examples',
  data: { format: 'slu', path: 'slu-examples', splits: { train: 'train', valid: 'valid', test: 'test' } },
  encoder: { type: 'bigru', embeddingDim: 16, hidden: 16 },
  tasks: [
    { id: 'intent', kind: 'classification', label: 'label', blocks: [{ type: 'dense', units: 16 }] },
    { id: 'slots', kind: 'tagging', label: 'seq.out', blocks: [{ type: 'dense', units: 16 }] },
  ],
  feedback: [
    { id: 'intent-to-slots', from: 'intent', to: 'slots', amplifier: { type: 'label-embedding', units: 8 }, injection: 1 },
    { id: 'slots-to-intent', from: 'slots', to: 'intent', amplifier: { type: 'linear', units: 8 }, injection: 1 },
  ],
  iterations: 2,
  convergence: { beta: 0.5, lambda: 0.5 },
  gumbel: { tau0: 1, tauMin: 0.2 },
  // Few epochs: a model still making mistakes, so the passes have something to correct or break.
  training: { epochs: 2, batchSize: 8, optimizer: 'adam', learningRate: 0.005, seed: 3 },
  lossWeighting: { type: 'fixed' },
};

module.exports = {
  settings: { 'workbench.editorAssociations': { '*.fmtl.json': 'default' } },

  skip({ repo, pkg }) {
    for (const c of ['feedbackMtl.train', 'feedbackMtl.openRunCharts', 'feedbackMtl.tryModel']) if (!hasCommand(pkg, c)) return `command ${c} not contributed`;
    return missingFiles(repo, ['webview/charts/examplesView.ts', 'src/runs/modelProcess.ts']);
  },

  async run({ s, W, page, log }) {
    const ws = s.ws;
    writeSlu(path.join(ws, 'slu-examples'));
    const file = 'slu-examples.fmtl.json';
    fs.writeFileSync(path.join(ws, file), JSON.stringify(EXPERIMENT, null, 2));

    // ---- train; the charts open by themselves; wait for the run to finish
    await W.openFile(page, file, log);
    await W.ensureTextEditor(page, file, log);
    await W.runCommand(page, 'Feedback MTL: Train feedback MTL', { log });
    const run = await W.until(page, () => runsOf(ws, file).find((r) => r.status !== 'running'), 'the run to finish', 180000, 300);
    if (!['completed', 'early-stopped'].includes(run.status)) throw new Error(`the run ended ${run.status}: ${run.error || ''}`);
    const pred = fs.readFileSync(path.join(run.dir, 'predictions', 'test.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const examples = pred.slice(1);
    const frame = await W.frameWith(page, '#examples', 30000);

    // ---- the Examples section: counts as the file says
    const t0 = Date.now();
    await W.until(page, async () => (await frame.locator('#examples-counts [data-outcome]').count()) > 0, 'the Examples counts', 30000, 100)
      .catch(async (e) => { throw new Error(`${e.message}; section says: ${await frame.locator('#examples').first().innerText().catch(() => '?')}`); });
    s.measure('examplesShownAfterDone', Date.now() - t0);
    await frame.locator('#examples').first().scrollIntoViewIfNeeded();
    await page.waitForTimeout(300);
    await s.shot('examples');
    const counts = await frame.locator('#examples-counts button[data-task="intent"]').evaluateAll((bs) => Object.fromEntries(bs.map((b) => [b.getAttribute('data-outcome'), Number(/(\d+)$/.exec(b.textContent)[1])])));
    const right = (a, g) => (a.label !== undefined ? a.label === g : a.tags.every((t, i) => t === g[i]));
    const want = { corrected: 0, broken: 0, right: 0, wrong: 0 };
    for (const e of examples) {
      const p = e.pred.intent, r0 = right(p[0], e.gold.intent), rK = right(p[p.length - 1], e.gold.intent);
      want[r0 && rK ? 'right' : !r0 && rK ? 'corrected' : r0 ? 'broken' : 'wrong']++;
    }
    log('intent counts shown', JSON.stringify(counts), 'from the file', JSON.stringify(want));
    if (JSON.stringify(counts) !== JSON.stringify(want)) throw new Error(`Examples counts ${JSON.stringify(counts)} differ from predictions/test.jsonl ${JSON.stringify(want)}`);

    // ---- filter to "broken by feedback" (any task that has some), open one
    const all = await frame.locator('#examples-counts button[data-outcome]').evaluateAll((bs) => bs.map((b) => ({ task: b.getAttribute('data-task'), outcome: b.getAttribute('data-outcome'), n: Number(/(\d+)$/.exec(b.textContent)[1]) })));
    let pick = all.find((c) => c.outcome === 'broken' && c.n > 0);
    if (!pick) {
      log('the feedback passes broke no example of any task in this run; filtering to "broken" shows none, then opening a corrected / wrong one');
      await frame.locator('#examples-filter-outcome').selectOption('broken');
      const n = await frame.locator('#examples-list tbody tr').count();
      if (n !== 0) throw new Error(`"broken by feedback" lists ${n} rows, but every count is 0`);
      pick = all.find((c) => c.outcome === 'corrected' && c.n > 0) || all.find((c) => c.outcome === 'wrong' && c.n > 0) || all.find((c) => c.n > 0);
    }
    const tf = Date.now();
    await frame.locator(`#examples-counts button[data-task="${pick.task}"][data-outcome="${pick.outcome}"]`).click();
    await W.until(page, async () => (await frame.locator('#examples-list tbody tr').count()) === Math.min(pick.n, 100), `${pick.n} ${pick.outcome} rows of ${pick.task}`, 5000, 50);
    s.measure('filterClickToList', Date.now() - tf);
    const timing = await frame.locator('#charts-root').evaluate(() => window.fmtlCharts.charts.get('examples').chart.timing);
    log('Examples timing in the webview (ms):', JSON.stringify(timing));
    await frame.locator('#examples-list tbody tr').first().click();
    const detail = frame.locator('#example-detail');
    await W.until(page, async () => (await detail.locator('table.ex-passes').count()) >= 2, 'the example to open (a table per task)', 5000, 50);
    const rowsText = await detail.locator(`table.ex-passes[data-task="slots"] tr th:first-child`).allInnerTexts();
    log('opened example rows:', JSON.stringify(rowsText));
    if (!rowsText.some((t) => t.startsWith('gold')) || !rowsText.some((t) => t.startsWith('y⁰')) || !rowsText.some((t) => t.startsWith('y²'))) {
      throw new Error(`the opened example does not show gold and passes y⁰..y²: ${JSON.stringify(rowsText)}`);
    }
    await detail.scrollIntoViewIfNeeded();
    await s.shot('example-open');

    // ---- Try the model: a sentence in, intent and slots per pass out (trainer process)
    const input = frame.locator('#try-input');
    await input.scrollIntoViewIfNeeded();
    await input.fill('play adele songs');
    const tt = Date.now();
    await frame.locator('#try-run').click();
    const result = frame.locator('#try-result');
    await W.until(page, async () => (await result.locator('table.ex-passes').count()) >= 2 || (await result.locator('.fmtl-error').count()) > 0, 'Try the model to answer', 90000, 200);
    s.measure('tryModelFirstAnswer', Date.now() - tt);
    const err = await result.locator('.fmtl-error').allInnerTexts();
    if (err.length) throw new Error(`Try the model failed: ${err[0]}`);
    const text = await result.innerText();
    log('Try the model says:', JSON.stringify(text.slice(0, 400)));
    if (!/PlayMusic|GetWeather/.test(text)) throw new Error(`no intent in the answer: ${text.slice(0, 300)}`);
    const tokens = await result.locator('table.ex-passes[data-task="slots"] th.tok').allInnerTexts();
    if (tokens.join(' ') !== 'play adele songs') throw new Error(`the slots table does not show the typed tokens: ${JSON.stringify(tokens)}`);
    const passes = await result.locator('table.ex-passes[data-task="slots"] tr th:first-child').allInnerTexts();
    if (passes.filter((t) => /^y/.test(t)).length !== 3) throw new Error(`expected passes y⁰..y²: ${JSON.stringify(passes)}`);
    await s.shot('try-model');
  },
};
