/**
 * Where the time from `fmtl train` to the first step event goes: the phases runTraining goes
 * through, timed in one process from process start (performance.now() counts from it), the first
 * two training steps included (the first one pays one-time JIT/XNNPACK set-up). One JSON line.
 *
 *   node bench/out/startup.js [--exp samples/snips.fmtl.json] [--backend auto]
 */
const tModules0 = performance.now();
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { initBackend, type BackendPreference } from '../src/trainer/backend';
import { prepareData } from '../src/data/prepare';
import { loadExperimentFile, requireExperiment } from '../src/data/experimentFile';
import { train } from '../src/trainer/train';
import type { TrainerEvent } from '../src/shared/trainerProtocol';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main() {
  const marks: Record<string, number> = { modulesLoaded: performance.now() };
  const mark = (k: string) => { marks[k] = performance.now(); };
  const loaded = loadExperimentFile(arg('exp', 'samples/snips.fmtl.json'));
  const exp = requireExperiment(loaded);
  mark('experimentParsed');
  const backend = await initBackend(arg('backend', 'auto') as BackendPreference);
  mark('backendReady');
  const data = await prepareData(exp, path.dirname(loaded.path));
  mark('dataPrepared');
  const controller = new AbortController();
  let steps = 0;
  const stepMs: number[] = [];
  const onEvent = (e: TrainerEvent) => {
    if (e.type === 'run/start') mark('runStart');
    if (e.type !== 'run/step') return;
    stepMs.push(Math.round(e.ms));
    mark(`step${++steps}`);
    if (steps >= 3) controller.abort();
  };
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-startup-'));
  await train({ ...exp, training: { ...exp.training, earlyStopping: undefined } }, data, { runId: 'startup', onEvent, signal: controller.signal, backend, experimentPath: loaded.path, runDir });
  fs.rmSync(runDir, { recursive: true, force: true });
  const r = (x: number) => Math.round(x);
  console.log(JSON.stringify({
    backend: backend.name,
    // Absolute times from process start; the bundle's module evaluation starts at `modulesStart`.
    at: { modulesStart: r(tModules0), ...Object.fromEntries(Object.entries(marks).map(([k, v]) => [k, r(v)])) },
    phases: {
      processAndBundleLoad: r(marks.modulesLoaded),
      experiment: r(marks.experimentParsed - marks.modulesLoaded),
      backend: r(marks.backendReady - marks.experimentParsed),
      data: r(marks.dataPrepared - marks.backendReady),
      modelBuildToRunStart: r(marks.runStart - marks.dataPrepared),
      firstStep: r(marks.step1 - marks.runStart),
    },
    stepMs,
  }));
}

main().catch((e) => { console.error(e); process.exit(1); });
