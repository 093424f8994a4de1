// report.html in a real browser (Debian chromium through playwright-core, as the e2e suite): the
// Content-Security-Policy lets the charts run (no violation, the charts draw) and user strings —
// a run name, a task id, an arrow id, gate block names, a log line — that look like markup come
// out as text: the parsed page holds no element they would have made.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { renderReportHtml, writeReport } from '../../src/trainer/report';
import { sweepPageHtml } from '../../src/sweepView/sweepHtml';
import { syntheticRun } from '../../bench/framesSynthetic';
import type { TrainerEvent } from '../../src/shared/trainerProtocol';

const EVIL = '<img src=x onerror="window.__xss=1">';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const bundle = path.join(__dirname, '..', '..', '..', 'dist', 'webview', 'charts.js');

/** A synthetic run whose task 'slots', arrow 'intent2slots' and gate blocks carry markup. */
function hostileEvents(): TrainerEvent[] {
  const ev = [...syntheticRun({ runId: 'r1', epochs: 2, stepsPerEpoch: 30, logEvery: 5 })];
  const text = JSON.stringify(ev)
    .replaceAll('"intent2slots"', JSON.stringify(`${EVIL}arrow`))
    .replaceAll('"slots"', JSON.stringify(EVIL));
  const out = JSON.parse(text) as TrainerEvent[];
  for (const e of out) {
    // Block numbers arrive as JSON from events.jsonl: nothing makes them numbers.
    if (e.type === 'run/gates') for (const g of Object.values(e.gates)) g.blocks = g.blocks.map((b) => `${EVIL}${b}` as unknown as number);
  }
  out.push({ type: 'run/log', runId: 'r1', t: 1, level: 'warn', message: `${EVIL}</script><script>window.__xss=2</script>` });
  return out;
}

/** Elements the hostile strings would create if they were markup, counted in the parsed page. */
const INJECTED = `document.querySelectorAll('img[src="x"], [onerror]').length + [...document.scripts].filter((s) => s.type !== 'application/json' && /__xss/.test(s.textContent)).length`;

let browser: Browser | undefined;
const haveChromium = fs.existsSync(CHROMIUM);

test.before(async () => {
  if (haveChromium) browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
test.after(async () => { await browser?.close(); });

test('report.html: the CSP admits the charts bundle (no violation) and hostile names render as text', { skip: !haveChromium && `no chromium at ${CHROMIUM} (bash test/e2e/setup.sh installs it)`, timeout: 60_000 }, async () => {
  assert.ok(fs.existsSync(bundle), `${bundle} is built (node esbuild.mjs)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-report-browser-'));
  try {
    const runDir = path.join(dir, 'run');
    fs.mkdirSync(runDir);
    const file = await writeReport(runDir, hostileEvents(), { bundlePath: bundle });
    const html = fs.readFileSync(file, 'utf8');
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+'/);
    const page = await browser!.newPage({ viewport: { width: 1200, height: 900 } });
    const violations: string[] = [];
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => { (window.__csp ??= []).push(e.violatedDirective + ' ' + e.blockedURI); })`);
    await page.goto(`file://${file}`);
    // The gate heatmap's read-out is the one that used to take the block name as markup.
    await page.waitForFunction(`document.querySelectorAll('svg').length >= 6 && /block/.test(document.body.innerText)`, undefined, { timeout: 30_000 });
    violations.push(...await page.evaluate<string[]>('window.__csp ?? []'));
    assert.deepEqual(violations, [], 'no CSP violation');
    assert.deepEqual(errors.filter((e) => !/favicon/.test(e)), [], 'no script error');
    assert.equal(await page.evaluate<number>(INJECTED), 0, 'no element made from a user string');
    assert.equal(await page.evaluate('window.__xss'), undefined);
    const text = await page.evaluate<string>('document.body.innerText');
    assert.ok(text.includes(EVIL), 'the hostile task id is shown as text');
    assert.ok(text.includes(`block ${EVIL}1`), 'the gate read-out shows the block name as text');
    // Hover a heatmap cell: its tooltip is built as HTML too.
    const canvas = page.locator('canvas').first();
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.4);
    await page.waitForTimeout(200);
    assert.equal(await page.evaluate<number>(INJECTED), 0, 'no element made from a user string after hovering');
    await page.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('static report and sweep page: hostile names parse as text', { skip: !haveChromium && `no chromium at ${CHROMIUM}`, timeout: 30_000 }, async () => {
  const page = await browser!.newPage();
  await page.setContent(renderReportHtml(EVIL, '/tmp/x', hostileEvents()));
  assert.equal(await page.evaluate<number>(INJECTED), 0);
  assert.ok((await page.evaluate<number>("document.querySelectorAll('svg').length")) >= 6);
  assert.ok((await page.evaluate<string>('document.body.innerText')).includes(EVIL));

  const table = {
    finished: 1, split: EVIL, metrics: ['intent.accuracy'], bootstrap: { resamples: EVIL },
    rows: [
      { cellId: 'a', label: EVIL, finished: EVIL, seeds: EVIL, metrics: { 'intent.accuracy': { n: 1, mean: EVIL, std: 0 } } },
      { cellId: 'b', label: 'b', baselineId: 'a', finished: 1, seeds: 1, metrics: {}, vsBaseline: { 'intent.accuracy': { diff: 0.1, lo: 0, hi: 0.2, pairs: EVIL, over: 'seeds' } } },
    ],
  };
  await page.setContent(sweepPageHtml({
    name: EVIL, sweepDir: EVIL, state: EVIL, nonce: 'n', cspSource: 'x',
    cells: [{ cellId: 'a', label: EVIL, seeds: 1, done: 0, failed: 0, running: [EVIL] }],
    table: table as unknown as Parameters<typeof sweepPageHtml>[0]['table'],
  }));
  assert.equal(await page.evaluate<number>(INJECTED), 0);
  assert.ok((await page.evaluate<string>('document.body.innerText')).includes(EVIL));
  await page.close();
});
