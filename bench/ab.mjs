// A/B of two trainBench bundles in the same run, for measuring one change at a time on a loaded
// box: the two run alternately (A B A B ...), and the figure is the ratio of their median CPU time
// per step (user + system of the process), which other processes' load disturbs far less than wall
// time. Build the "before" bundle first and keep it under another name:
//
//   node bench/build.mjs trainBench && cp bench/out/trainBench.js bench/out/trainBench-base.js
//   ... make the change ...
//   node bench/build.mjs trainBench
//   node bench/ab.mjs bench/out/trainBench-base.js bench/out/trainBench.js --rounds 3 --steps 20 [-- trainBench args]
//
// Also checks that both produced the same loss sequence (equal results), printing the largest gap.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const own = sep >= 0 ? argv.slice(0, sep) : argv;
const passOn = sep >= 0 ? argv.slice(sep + 1) : [];
const opt = (name, fallback) => { const i = own.indexOf(name); return i >= 0 ? own[i + 1] : fallback; };
const [a, b] = own.filter((x, i) => !x.startsWith('--') && !own[i - 1]?.startsWith('--'));
const rounds = Number(opt('--rounds', '3'));
const steps = opt('--steps', '20');
const warmup = opt('--warmup', '5');

const median = (xs) => { const s = [...xs].sort((p, q) => p - q); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
function run(bundle) {
  const r = spawnSync(process.execPath, [bundle, '--steps', steps, '--warmup', warmup, ...passOn], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${bundle} failed:\n${r.stderr.slice(-2000)}`);
  const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('{'));
  return JSON.parse(lines[lines.length - 1]);
}
const res = { a: [], b: [] };
for (let i = 0; i < rounds; i++) {
  for (const [k, f] of [['a', a], ['b', b]]) {
    const r = run(f);
    res[k].push(r);
    process.stderr.write(`round ${i + 1} ${k}: CPU median ${median(r.cpuMs).toFixed(1)} ms, wall median ${median(r.stepMs).toFixed(1)} ms\n`);
  }
}
const cpuA = median(res.a.flatMap((r) => r.cpuMs)), cpuB = median(res.b.flatMap((r) => r.cpuMs));
const wallA = median(res.a.flatMap((r) => r.stepMs)), wallB = median(res.b.flatMap((r) => r.stepMs));
const la = res.a[0].losses, lb = res.b[0].losses;
let maxGap = 0;
for (let i = 0; i < Math.min(la.length, lb.length); i++) maxGap = Math.max(maxGap, Math.abs(la[i] - lb[i]));
const out = {
  a, b, passOn, rounds, steps: Number(steps),
  cpuMs: { a: Math.round(cpuA * 10) / 10, b: Math.round(cpuB * 10) / 10, ratio: Math.round(cpuB / cpuA * 1000) / 1000 },
  wallMs: { a: Math.round(wallA * 10) / 10, b: Math.round(wallB * 10) / 10, ratio: Math.round(wallB / wallA * 1000) / 1000 },
  lossMaxAbsGap: maxGap, losses: { a: la.slice(0, 5), b: lb.slice(0, 5) },
};
console.log(JSON.stringify(out));
