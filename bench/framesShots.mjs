// Renders the charts with realistic synthetic runs in headless chromium and saves screenshots:
// the static report of one run (light and dark), and a compare panel of three ablation runs + seeds.
// Usage: node esbuild.mjs && node bench/framesShots.mjs [outDir] [reportHtml...]   (default bench/results)
// Extra arguments are report.html files of real runs (e.g. from `node dist/cli.js train ...`),
// shot as charts-real-<n>.png (full page) and charts-real-<n>-top.png (first screen).
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';

const outDir = resolve(process.argv[2] ?? 'bench/results');
const realReports = process.argv.slice(3).map((p) => resolve(p));
mkdirSync(outDir, { recursive: true });
const tmp = resolve('out/bench');
mkdirSync(tmp, { recursive: true });
await esbuild.build({
  entryPoints: { framesLib: 'bench/framesLib.ts' }, bundle: true, platform: 'node', format: 'cjs', outdir: tmp, logLevel: 'warning',
});
const lib = createRequire(import.meta.url)(join(tmp, 'framesLib.js'));
const bundle = readFileSync('dist/webview/charts.js', 'utf8');

const chromiumPath = process.env.CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
try {
  const single = lib.reportHtml({ runId: 'snips-gumbel', epochs: 8, stepsPerEpoch: 250 }, bundle);
  writeFileSync(join(outDir, 'report-synthetic.html'), single);
  for (const scheme of ['light', 'dark']) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: scheme, deviceScaleFactor: 1 });
    await page.goto(`file://${join(outDir, 'report-synthetic.html')}`);
    await page.waitForSelector('#gates canvas');
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(outDir, `charts-single-${scheme}.png`), fullPage: true });
    await page.screenshot({ path: join(outDir, `charts-single-${scheme}-top.png`) });
    await page.close();
  }
  const compare = lib.compareHtml(bundle);
  writeFileSync(join(outDir, 'report-compare.html'), compare);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  await page.goto(`file://${join(outDir, 'report-compare.html')}`);
  await page.waitForSelector('#compare table');
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(outDir, 'charts-compare.png'), fullPage: true });
  await page.screenshot({ path: join(outDir, 'charts-compare-top.png') });
  await page.close();
  for (const [i, file] of realReports.entries()) {
    const p = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    await p.goto(`file://${file}`);
    await p.waitForSelector('#charts-status');
    await p.waitForTimeout(1000);
    await p.screenshot({ path: join(outDir, `charts-real-${i + 1}.png`), fullPage: true });
    await p.screenshot({ path: join(outDir, `charts-real-${i + 1}-top.png`) });
    await p.close();
  }
  console.log(`screenshots in ${outDir}`);
} finally {
  await browser.close();
}
