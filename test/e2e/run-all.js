#!/usr/bin/env node
// Runs the e2e scenarios, each in its own fresh code-server session (profile, HOME, workspace),
// against the extension already installed in E2E_EXTENSIONS_DIR (run.sh packages + installs it).
// Prints one PASS / FAIL / SKIP line per scenario and, last, `N passed, N failed, N skipped`.
//
// Usage: node test/e2e/run-all.js [scenario ...]     (default: all, in the order below)
// Env: FMTL_E2E_TOOLS (setup.sh's tools), E2E_EXTENSIONS_DIR, E2E_RUN_BASE, E2E_OUT (screenshots),
//      E2E_KEEP=1 keeps the per-scenario folders, CHROMIUM (default /usr/bin/chromium).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Session } = require('./lib/session');
const W = require('./lib/workbench');
const { makeWorkspace, missingSamples } = require('./lib/workspace');
const { commandLabel } = require('./lib/contributes');

const REPO = path.resolve(__dirname, '..', '..');
const ORDER = ['workbench', 'train', 'graph', 'charts', 'insights', 'template', 'native', 'newcomer', 'sweep', 'examples', 'outside', 'badinputs'];
const TOOLS = process.env.FMTL_E2E_TOOLS || path.join(os.homedir(), '.cache', 'fmtl-e2e');
const OUT = path.resolve(process.env.E2E_OUT || path.join(__dirname, '.shots'));
const EXTS = process.env.E2E_EXTENSIONS_DIR;
const RUN_BASE = process.env.E2E_RUN_BASE || fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-e2e-'));

async function runScenario(name) {
  const sc = require(`./scenarios/${name}.js`);
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  const skip = sc.skip ? sc.skip({ repo: REPO, pkg }) : null;
  if (skip) return { name, status: 'skip', reason: skip };
  const samples = sc.needsSamples === false ? null : missingSamples(REPO);
  if (samples) return { name, status: 'skip', reason: samples };

  const s = new Session({
    name, runBase: RUN_BASE, outDir: OUT, tools: TOOLS, extensionsDir: EXTS, settings: sc.settings || {},
  });
  const ctx = { s, W, repo: REPO, pkg, log: (...a) => s.log(...a) };
  const started = Date.now();
  let error = null;
  try {
    ctx.files = makeWorkspace(REPO, s.ws);
    await s.startServer();
    ctx.page = await s.openBrowser();
    await W.waitWorkbench(ctx.page, ctx.files.quick || 'README.md');
    s.measure('workbenchReady', Date.now() - started);
    // our contributions (commands, custom editor) are known once a command shows in the palette
    const first = ((pkg.contributes || {}).commands || [])[0];
    if (first && sc.needsSamples !== false) {
      const t0 = Date.now();
      await W.waitCommandInPalette(ctx.page, commandLabel(pkg, first.command), { log: ctx.log });
      s.measure('extensionReady', Date.now() - t0);
    }
    await sc.run(ctx);
  } catch (e) {
    error = e;
    s.log('FAILED:', (e && e.stack) || e);
    if (s.page) await s.shot('failure').catch(() => {});
  } finally {
    await s.close();
    s.collectOutputLog();
    if (error) s.log('logs ->', s.collectLogs());
    if (!error) s.cleanup();
    else s.log('run folder (profile, workspace, logs):', s.dir, process.env.E2E_KEEP ? '' : '(removed at exit; E2E_KEEP=1 keeps it)');
  }
  return {
    name, status: error ? 'fail' : 'pass', error: error ? String(error.message || error).split('\n')[0] : undefined,
    seconds: +((Date.now() - started) / 1000).toFixed(1), measures: s.measures, steps: s.steps,
  };
}

(async () => {
  if (!EXTS || !fs.existsSync(EXTS)) {
    console.error('E2E_EXTENSIONS_DIR is not set or missing: run `npm run test:e2e` (test/e2e/run.sh), which packages and installs the extension.');
    process.exit(2);
  }
  fs.mkdirSync(OUT, { recursive: true });
  const wanted = process.argv.slice(2);
  for (const w of wanted) if (!ORDER.includes(w)) { console.error(`unknown scenario ${w}; known: ${ORDER.join(', ')}`); process.exit(2); }
  const results = [];
  for (const name of (wanted.length ? wanted : ORDER)) {
    console.log(`--- scenario ${name}`);
    const r = await runScenario(name);
    results.push(r);
    if (r.status === 'skip') console.log(`SKIP: ${name}: ${r.reason}`);
    else if (r.status === 'pass') console.log(`PASS: ${name} (${r.seconds}s) ${JSON.stringify(r.measures)}`);
    else console.log(`FAIL: ${name} (${r.seconds}s): ${r.error}`);
  }
  fs.writeFileSync(path.join(OUT, 'summary.json'), JSON.stringify(results, null, 2));
  const n = (st) => results.filter((r) => r.status === st).length;
  console.log('');
  for (const r of results) {
    const m = Object.entries(r.measures || {}).map(([k, v]) => `${k}=${v}ms`).join(' ');
    console.log(`  ${r.status.toUpperCase().padEnd(4)} ${r.name.padEnd(10)} ${r.status === 'skip' ? r.reason : (r.seconds + 's ' + m + (r.error ? ' — ' + r.error : ''))}`);
  }
  console.log(`${n('pass')} passed, ${n('fail')} failed, ${n('skip')} skipped`);
  process.exit(n('fail') ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(1); });
