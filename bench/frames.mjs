// Chart rendering benchmark in headless chromium (issue 5: hold 1,000 events/s with p95 frame time
// <= 16 ms and stay flat in memory on a 100,000-step run).
//
// 1. Real-time stream: a synthetic run (bench/framesSynthetic.ts) at RATE events/s for SECONDS,
//    delivered like the host does (one coalesced `run/events` message every 100 ms through
//    window.postMessage into the real charts bundle). Records requestAnimationFrame deltas, the
//    time spent in each draw, and long tasks. Run for a normal viewport and for a tall one where
//    every chart is on screen (worst case: nothing is culled).
// 2. Heap: a 100,000-step run fed as fast as the page takes it; JS heap after a forced GC every
//    10,000 steps (must stay flat thanks to bounded, downsampled series).
//
// Usage: node esbuild.mjs && node bench/frames.mjs [--quick] [--rate N] [--seconds S]
// Writes bench/results/frames.json and prints a table.
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';
import { existsSync, mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { loadavg, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const argv = process.argv.slice(2);
const opt = (n, d) => { const i = argv.indexOf(n); return i >= 0 ? Number(argv[i + 1]) : d; };
const quick = argv.includes('--quick');
const RATE = opt('--rate', 1000);
const SECONDS = opt('--seconds', quick ? 5 : 20);
const LONG_STEPS = opt('--steps', quick ? 20_000 : 100_000);
const outDir = join(root, 'out', 'bench-frames');
mkdirSync(outDir, { recursive: true });
mkdirSync(join(here, 'results'), { recursive: true });

// The charts bundle as shipped (dist/webview/charts.js); built here if `node esbuild.mjs` was not run.
const chartsJs = join(outDir, 'charts.js');
if (existsSync(join(root, 'dist', 'webview', 'charts.js'))) copyFileSync(join(root, 'dist', 'webview', 'charts.js'), chartsJs);
else await esbuild.build({ entryPoints: [join(root, 'webview', 'charts', 'main.ts')], bundle: true, format: 'iife', target: 'es2022', outfile: chartsJs, logLevel: 'warning' });
await esbuild.build({
  entryPoints: [join(here, 'framesSynthetic.ts')], bundle: true, format: 'iife', globalName: 'FmtlSynthetic', target: 'es2022',
  outfile: join(outDir, 'synthetic.js'), logLevel: 'warning',
});
copyFileSync(join(here, 'framesPage.js'), join(outDir, 'framesPage.js'));
// The page stands in for the VS Code webview: acquireVsCodeApi exists, messages come via postMessage.
writeFileSync(join(outDir, 'frames.html'), `<!doctype html><html><head><meta charset="utf-8"><title>frames</title>
<script>window.acquireVsCodeApi = () => ({ postMessage() {}, getState() { return undefined; }, setState() {} });</script>
</head><body class="vscode-dark"><main id="charts-root"></main>
<script src="charts.js"></script><script src="synthetic.js"></script><script src="framesPage.js"></script></body></html>`);

const executablePath = process.env.CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
if (!executablePath) { console.error('chromium not found: apt-get install -y chromium (or set CHROMIUM)'); process.exit(1); }
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--enable-precise-memory-info', '--js-flags=--expose-gc'] });
// Other processes on the machine skew frame times: record the load next to the numbers.
const results = { date: new Date().toISOString(), chromium: browser.version(), cores: cpus().length, loadavgBefore: loadavg(), rate: RATE, seconds: SECONDS, stream: {}, heap: {} };
try {
  for (const [name, viewport] of [['viewport 1280x900', { width: 1280, height: 900 }], ['all charts on screen 1280x4200', { width: 1280, height: 4200 }]]) {
    const page = await browser.newPage({ viewport });
    await page.goto(`file://${join(outDir, 'frames.html')}`);
    await page.waitForFunction(() => !!window.fmtlCharts && !!window.benchStream);
    process.stderr.write(`streaming ${RATE} events/s for ${SECONDS} s (${name})...\n`);
    results.stream[name] = await page.evaluate((o) => window.benchStream(o), { rate: RATE, seconds: SECONDS, flushMs: 100 });
    await page.close();
  }

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`file://${join(outDir, 'frames.html')}`);
  await page.waitForFunction(() => !!window.fmtlCharts && !!window.benchLongStart);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.enable');
  const heapMB = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    const { usedSize } = await cdp.send('Runtime.getHeapUsage');
    return usedSize / 2 ** 20;
  };
  await page.evaluate(() => window.benchLongStart());
  // ~1.2 events per step with logEvery 10 (step + deltas and gates every 10 steps).
  const perStep = 1.2;
  const samples = [];
  const chunk = LONG_STEPS / 10;
  process.stderr.write(`feeding a ${LONG_STEPS.toLocaleString('en-US')}-step run...\n`);
  const tLong = Date.now();
  for (let s = chunk; s <= LONG_STEPS; s += chunk) {
    await page.evaluate(([n, b]) => window.benchLongFeed(n, b), [Math.round(chunk * perStep), 2000]);
    const status = await page.$eval('#charts-status', (e) => e.textContent);
    const steps = Number(/steps: (\d+)/.exec(status)?.[1] ?? NaN);
    samples.push({ steps, heapMB: Number((await heapMB()).toFixed(2)) });
  }
  const longSecs = (Date.now() - tLong) / 1000;
  const first = samples[0].heapMB;
  const lastS = samples[samples.length - 1];
  results.heap = {
    samples, steps: lastS.steps, firstMB: first, lastMB: lastS.heapMB, growthMB: Number((lastS.heapMB - first).toFixed(2)),
    maxMB: Math.max(...samples.map((s) => s.heapMB)), ingestEventsPerSec: Math.round((lastS.steps * perStep) / longSecs),
  };
  await page.close();
} finally {
  await browser.close();
}

results.loadavgAfter = loadavg();
writeFileSync(join(here, 'results', 'frames.json'), JSON.stringify(results, null, 2) + '\n');
const f = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '–');
console.log(`\nCharts under a live stream (${RATE} events/s target, ${SECONDS} s, host batches every 100 ms, chromium ${results.chromium}, ${results.cores} cores, load average ${results.loadavgBefore[0].toFixed(1)})`);
console.log('| scenario | events/s | frames | rAF p50 / p95 / p99 ms | dropped (>25 ms) | draw p50 / p95 / max ms | long tasks |');
console.log('|---|---|---|---|---|---|---|');
for (const [name, r] of Object.entries(results.stream)) {
  console.log(`| ${name} | ${f(r.eventsPerSec, 0)} | ${r.frames} | ${f(r.frameP50)} / ${f(r.frameP95)} / ${f(r.frameP99)} | ${f(r.droppedPct)}% | ${f(r.drawP50, 2)} / ${f(r.drawP95, 2)} / ${f(r.drawMax, 2)} | ${r.longTasks} |`);
}
const h = results.heap;
console.log(`\nJS heap over a ${h.steps.toLocaleString('en-US')}-step run (after GC): ${h.samples.map((s) => s.heapMB.toFixed(1)).join(' → ')} MB`);
console.log(`growth ${f(h.growthMB, 2)} MB from 10% to 100% of the run; ingest + draw ${h.ingestEventsPerSec.toLocaleString('en-US')} events/s when fed as fast as possible`);
console.log('wrote bench/results/frames.json');
