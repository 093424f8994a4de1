// Examples section benchmark in headless chromium (issue 11: on SNIPS test, 700 sentences, K = 3,
// the section opens in <= 1 s and a filter answers in <= 100 ms). The real charts bundle in a page
// that stands in for the VS Code webview: the fake host answers `webview/ready` with the run's
// events and `examples/load` with its predictions/test.jsonl, parsed in the page (an upper bound:
// the extension host parses it and posts the structured object).
//
// Usage: node esbuild.mjs && node bench/examples.mjs <run folder with predictions/test.jsonl>
import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { join, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const runDir = process.argv[2];
if (!runDir) { console.error('usage: node bench/examples.mjs <run folder>'); process.exit(2); }
const events = readFileSync(join(runDir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
  .filter((e) => e.type !== 'run/step' && e.type !== 'run/iterationDeltas' && e.type !== 'run/gates');
const text = readFileSync(join(runDir, 'predictions', 'test.jsonl'), 'utf8');
const outDir = join(root, 'out', 'bench-examples');
mkdirSync(outDir, { recursive: true });
copyFileSync(join(root, 'dist', 'webview', 'charts.js'), join(outDir, 'charts.js'));
const runId = events[0].runId;
const snapshot = { type: 'run/snapshot', mode: 'single', runs: [{ id: runId, name: basename(runDir), colorIndex: 0, status: 'completed', runDir, events }] };
writeFileSync(join(outDir, 'data.js'), `window.SNAP = ${JSON.stringify(snapshot)}; window.PRED = ${JSON.stringify(text)};`);
writeFileSync(join(outDir, 'examples.html'), `<!doctype html><html><head><meta charset="utf-8"><title>examples</title>
<script src="data.js"></script>
<script>
window.acquireVsCodeApi = () => ({
  postMessage(env) {
    const m = env.body;
    if (m.type === 'webview/ready') { window.T0 = performance.now(); setTimeout(() => window.postMessage({ fmtl: 1, body: window.SNAP }), 0); }
    if (m.type === 'examples/load') {
      const lines = window.PRED.trim().split('\\n').map((l) => JSON.parse(l));
      const file = { header: lines[0], examples: lines.slice(1) };
      setTimeout(() => window.postMessage({ fmtl: 1, re: env.id, body: { file } }), 0);
    }
  },
  getState() { return undefined; }, setState() {},
});
</script></head><body><main id="charts-root"></main><script src="charts.js"></script></body></html>`);

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
await page.goto(`file://${join(outDir, 'examples.html')}`);
await page.waitForSelector('#examples-counts [data-outcome]', { timeout: 30000 });
const open = await page.evaluate(() => {
  const t = performance.now() - window.T0;
  return { openMs: t, ...window.fmtlCharts.charts.get('examples').chart.timing };
});
const filters = await page.evaluate(() => {
  const out = {};
  const time = (name, act) => { const t = performance.now(); act(); void document.body.offsetHeight; out[name] = performance.now() - t; };
  const sel = (id, v) => { const s = document.getElementById(id); s.value = v; s.dispatchEvent(new Event('change')); };
  time('outcome=broken', () => sel('examples-filter-outcome', 'broken'));
  time('outcome=changed', () => sel('examples-filter-outcome', 'changed'));
  time('task=slots', () => sel('examples-filter-task', 'slots'));
  time('gold=artist', () => sel('examples-filter-gold', 'artist'));
  time('outcome=all', () => sel('examples-filter-outcome', ''));
  time('text "play"', () => { const q = document.getElementById('examples-filter-text'); q.value = 'play'; q.dispatchEvent(new Event('input')); });
  time('open an example', () => document.querySelector('#examples-list tbody tr').click());
  out.rows = document.querySelectorAll('#examples-list tbody tr').length;
  out.count = document.getElementById('examples-list-count').textContent;
  return out;
});
await page.locator('#examples').scrollIntoViewIfNeeded();
await page.screenshot({ path: join(outDir, 'examples.png'), fullPage: false });
await browser.close();
console.log(JSON.stringify({ run: basename(runDir), examples: text.trim().split('\n').length - 1, bytes: text.length, open, filters }, null, 1));
