// The SNIPS quality table (README "Results on SNIPS"): runs (or resumes) the sweep of
// samples/snips-quality.sweep.json with the CLI — static / fixed / Gumbel × seeds, each scored on
// test with its best-valid checkpoint, paired against static with a bootstrap over test sentences —
// then writes bench/results/quality.json:
//   { "<cell>": { "seeds": { "<seed>": { slotF1, intentAcc, overallAcc, epochs, wallSeconds } },
//                 "n": <seeds finished>, "mean": {…}, "std": {…} (null below 2 seeds),
//                 "vsBaseline": { "<metric>": { diff, lo, hi, over } } },
//   "_unfinished": [ { cell, seed, status, epochs, run } ] }   (only when some run is stopped or failed)
// (percent). Finished runs are not trained again, so an interrupted table resumes.
//
//   node bench/quality.mjs [--sweep FILE] [--out DIR] [--workers N] [--report-only]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1] : dflt; };
const sweepFile = resolve(repo, arg('sweep', 'samples/snips-quality.sweep.json'));
const sweepDir = resolve(repo, arg('out', 'bench/results/quality-sweep'));
const workers = arg('workers', '1');

if (!process.argv.includes('--report-only')) {
  if (!existsSync(join(repo, 'dist/cli.js'))) spawnSync(process.execPath, ['esbuild.mjs'], { cwd: repo, stdio: 'inherit' });
  const r = spawnSync(process.execPath, [join(repo, 'dist/cli.js'), 'sweep', sweepFile, '--out', sweepDir, '--workers', workers], { cwd: repo, stdio: 'inherit' });
  if (r.status !== 0) { console.error(`fmtl sweep exited with ${r.status}; the table below covers the runs that finished`); }
}

const table = JSON.parse(readFileSync(join(sweepDir, 'table.json'), 'utf8'));
const pct = (v) => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v * 1e4) / 100 : null);
const KEYS = { slotF1: 'slots.f1', intentAcc: 'intent.accuracy', overallAcc: '_overall.accuracy' };
const out = {};
const unfinished = [];
for (const row of table.rows) {
  const seeds = {};
  const runsDir = join(sweepDir, 'runs', row.cellId);
  for (const run of existsSync(runsDir) ? readdirSync(runsDir) : []) {
    const dir = join(runsDir, run);
    if (!existsSync(join(dir, 'summary.json'))) continue;
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
    const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    // Only finished runs count; a stopped or failed one (resumable) is listed apart, not as a seed.
    if (s.status !== 'completed' && s.status !== 'early-stopped') { unfinished.push({ cell: row.label ?? row.cellId, seed: meta.seed, status: s.status, epochs: s.epochs, run }); continue; }
    const t = s.best?.test ?? {};
    seeds[meta.seed] = {
      slotF1: pct(t.slots?.f1), intentAcc: pct(t.intent?.accuracy), overallAcc: pct(t._overall?.accuracy),
      epochs: s.epochs, bestEpoch: s.bestEpoch, status: s.status, wallSeconds: Math.round(s.durationMs / 1000),
    };
  }
  // A sample std needs two seeds: with one it is null (not 0), and `n` says how many seeds the mean holds.
  const stat = (k) => Object.fromEntries(Object.entries(KEYS).map(([name, key]) => [name, k === 'std' && !(row.metrics[key]?.n >= 2) ? null : pct(row.metrics[key]?.[k])]));
  out[row.label ?? row.cellId] = {
    seeds, n: Object.keys(seeds).length, mean: stat('mean'), std: stat('std'),
    ...(row.vsBaseline ? { vsBaseline: Object.fromEntries(Object.entries(KEYS).filter(([, key]) => row.vsBaseline[key]).map(([name, key]) => {
      const d = row.vsBaseline[key];
      return [name, { baseline: row.baselineId, diff: pct(d.diff), lo: pct(d.lo), hi: pct(d.hi), pairs: d.pairs, over: d.over }];
    })) } : {}),
  };
}
const file = join(repo, 'bench/results/quality.json');
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, JSON.stringify(unfinished.length ? { ...out, _unfinished: unfinished } : out, null, 2) + '\n');
console.log(`${file}\n${readFileSync(join(sweepDir, 'table.md'), 'utf8')}`);
