// The bad-input corpus (test/fixtures/bad, described in its README.md): every input goes through
// the real CLI (dist/cli.js) as a child process, `fmtl validate` and the command that consumes it
// (`fmtl train` for an experiment, `fmtl sweep` for a sweep file). Each must be refused with exit
// code 1, name the file and the place (JSON path or file:line) with the expected message, print no
// stack trace or JavaScript error class, and end within 10 s (else it is killed and counted as a
// hang). A command that does not refuse an input yet says so in cases.json (`accepts`, with the
// reason): it must then exit 0, so the day it starts refusing, this test asks for the expectation.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isSweepPath } from '../../src/shared/fileKinds';

const root = path.join(__dirname, '..', '..', '..');
const corpus = path.join(root, 'test', 'fixtures', 'bad');
const cli = path.join(root, 'dist', 'cli.js');
const LIMIT_MS = 10_000;

/** What a refusal must show: the file named, the place, the message (substrings of the output). */
interface Refusal {
  /** The file at fault, as the output names it (a base name or the end of a path). */
  file: string;
  /** Line of that file: the output holds `file:line`. Absent (or null in an override) for a problem of the whole file. */
  line?: number | null;
  /** JSON path (or the setting) the output names. */
  at?: string;
  message: string;
}
/** A command that does not refuse this input (yet): why, and who is on it. */
interface Accepted { accepts: string }
interface Case {
  /** The file given to the CLI, relative to test/fixtures/bad. */
  input: string;
  /** The commands to run it through (default: validate, then train or sweep by the file's kind). */
  commands?: Command[];
  /** How a refusal reads (both commands unless overridden). */
  expect: Refusal;
  validate?: Partial<Refusal> | Accepted;
  train?: Partial<Refusal> | Accepted;
  sweep?: Partial<Refusal> | Accepted;
}
type Command = 'validate' | 'train' | 'sweep';

const cases = JSON.parse(fs.readFileSync(path.join(corpus, 'cases.json'), 'utf8')) as Case[];
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-bad-'));

interface Outcome { code: number | null; output: string; ms: number; hung: boolean }

/** Runs the CLI in the corpus folder; kills its whole process group after LIMIT_MS. */
function runCli(args: string[]): Promise<Outcome> {
  const env = { ...process.env };
  delete env.FMTL_DEBUG; // stack traces only on request; the user's default is what we test
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [cli, ...args], { cwd: corpus, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    let hung = false;
    const timer = setTimeout(() => { hung = true; try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, LIMIT_MS);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, output, ms: Date.now() - t0, hung }); });
  });
}

function argsFor(cmd: Command, c: Case, n: number): string[] {
  if (cmd === 'validate') return ['validate', c.input];
  if (cmd === 'sweep') return ['sweep', c.input, '--out', path.join(scratch, `sweep-${n}`), '--backend', 'cpu'];
  return ['train', c.input, '--backend', 'cpu', '--runs-dir', path.join(scratch, `runs-${n}`)];
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Lines of a JavaScript stack, error class names, and the messages of crashes rather than refusals. */
const CRASH = /^\s+at .+[:(]|\b(TypeError|RangeError|ReferenceError|SyntaxError|EvalError|URIError|AggregateError)\b|Cannot read propert|is not a function|is not iterable|Maximum call stack|\[object Object\]|Error in \w+:/m;

/** Everything wrong with one command's outcome on one case (empty: as expected). */
function problems(c: Case, cmd: Command, r: Outcome): string[] {
  const own = c[cmd];
  if (r.hung) return [`no answer within ${LIMIT_MS / 1000} s (killed)`];
  const out: string[] = [];
  const crash = CRASH.exec(r.output);
  if (crash) out.push(`crash text in the output: '${crash[0].trim()}'`);
  if (own && 'accepts' in own) {
    if (r.code !== 0) out.push(`now refused (exit ${r.code}): replace 'accepts' in cases.json with the expectation`);
    return out;
  }
  const e: Refusal = { ...c.expect, ...own };
  if (r.code !== 1) out.push(`exit code ${r.code}, expected 1 (refused)`);
  if (!r.output.includes(e.file)) out.push(`the file '${e.file}' is not named`);
  if (e.line != null && !new RegExp(`${escape(e.file)}:${e.line}(?!\\d)`).test(r.output)) out.push(`the place '${e.file}:${e.line}' is not named`);
  if (e.at !== undefined && !r.output.includes(e.at)) out.push(`the place '${e.at}' is not named`);
  if (!r.output.includes(e.message)) out.push(`the message does not say '${e.message}'`);
  return out;
}

interface Tally { runs: number; refused: number; placed: number; accepted: number; hangs: number; crashes: number; slowestMs: number }
const tally: Record<string, Tally> = {};
const t0 = Date.now();

describe('bad-input corpus: fmtl validate and train/sweep refuse every input with its file and place', { concurrency: 2 }, () => {
  it('has at least 100 inputs, each existing, each listed once', () => {
    assert.ok(cases.length >= 100, `${cases.length} inputs`);
    assert.equal(new Set(cases.map((c) => c.input)).size, cases.length, 'an input is listed twice');
    for (const c of cases) {
      assert.ok(fs.existsSync(path.join(corpus, c.input)), `${c.input} is missing`);
      assert.ok(c.expect.message && c.expect.file, `${c.input}: expect needs file and message`);
    }
  });

  it('the bases the cases change are valid (so each case fails for its own change)', async () => {
    for (const base of ['experiment/base.fmtl.json', 'experiment/base-slu.fmtl.json', 'sweep/base.fmtl.json']) {
      const r = await runCli(['validate', base]);
      assert.equal(r.code, 0, `${base}: ${r.output}`);
    }
  });

  cases.forEach((c, n) => {
    it(c.input, async () => {
      const commands: Command[] = c.commands ?? ['validate', isSweepPath(c.input) ? 'sweep' : 'train'];
      const found: string[] = [];
      for (const cmd of commands) {
        const r = await runCli(argsFor(cmd, c, n));
        const p = problems(c, cmd, r);
        const t = (tally[cmd] ??= { runs: 0, refused: 0, placed: 0, accepted: 0, hangs: 0, crashes: 0, slowestMs: 0 });
        t.runs++;
        t.slowestMs = Math.max(t.slowestMs, r.ms);
        if (r.hung) t.hangs++;
        if (CRASH.test(r.output)) t.crashes++;
        const own = c[cmd];
        if (own && 'accepts' in own) t.accepted++;
        else if (r.code === 1) { t.refused++; if (!p.length) t.placed++; }
        if (p.length) found.push(`fmtl ${cmd} ${c.input}: ${p.join('; ')}\n    output: ${r.output.trim().split('\n').slice(0, 4).join('\n            ')}`);
      }
      assert.deepEqual(found, []);
    });
  });
});

after(() => {
  const lines = Object.entries(tally).map(([cmd, t]) =>
    `  fmtl ${cmd}: ${t.runs} inputs, ${t.refused} refused (${t.placed} with file, place and message), ${t.accepted} accepted as recorded, ${t.hangs} hangs, ${t.crashes} crash texts, slowest ${(t.slowestMs / 1000).toFixed(1)} s`);
  console.log(`bad-input corpus: ${cases.length} inputs in ${((Date.now() - t0) / 1000).toFixed(1)} s (2 at a time)\n${lines.join('\n')}`);
  fs.rmSync(scratch, { recursive: true, force: true });
});
