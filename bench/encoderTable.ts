/**
 * The encoder section's table (`bench/encoderBench.ts`): per layer, the medians of our step times
 * (wasm + native kernels, plain wasm) and of its PyTorch twin over all repeats of one run, and the
 * ratios ours ÷ PyTorch. Pure, so the rule it enforces — a row compares two models only when their
 * parameter counts are equal — is tested apart from the measurement.
 */
import { median } from './stats';

/** One layer as one measuring process saw it. */
export interface LayerTiming {
  id: string;
  parameters: number;
  /** Wall time per training step (forward + backward + Adam), after warm-up. */
  stepMs: number[];
  /** CPU time (user + system) of the process per step. */
  cpuMs: number[];
}

/** One measuring process: every layer it ran. */
export interface TimingRun {
  layers: LayerTiming[];
}

/** A row of the table; ms figures are medians over every measured step of every repeat. */
export interface EncoderRow {
  id: string;
  parameters: number;
  ms: { ours: number; plain: number | null; pytorch: number | null };
  cpuMs: { ours: number; plain: number | null; pytorch: number | null };
  /** ours ÷ PyTorch (wall), two decimals; null without a PyTorch run. */
  ratio: number | null;
  ratioPlain: number | null;
  ratioCpu: number | null;
  /** Steps behind each median. */
  n: { ours: number; plain: number; pytorch: number };
}

const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;

/**
 * Rows in the order of `ours[0]`. Throws when a PyTorch or plain-wasm run lacks a layer, or when
 * a twin's parameter count differs from ours (then the two are not the same architecture).
 */
export function encoderRows(ours: TimingRun[], plain: TimingRun[], pytorch: TimingRun[]): EncoderRow[] {
  if (!ours.length) throw new Error('encoder bench: no run of ours to tabulate');
  const pool = (runs: TimingRun[], id: string, who: string) => {
    const found = runs.map((r) => r.layers.find((l) => l.id === id));
    if (found.some((l) => !l)) throw new Error(`encoder bench: layer '${id}' is missing from a ${who} run`);
    return found as LayerTiming[];
  };
  return ours[0].layers.map(({ id, parameters }) => {
    const o = pool(ours, id, 'wasm');
    const p = plain.length ? pool(plain, id, 'plain wasm') : [];
    const t = pytorch.length ? pool(pytorch, id, 'PyTorch') : [];
    for (const [who, ls] of [['wasm', o], ['plain wasm', p], ['PyTorch', t]] as const) {
      const bad = ls.find((l) => l.parameters !== parameters);
      if (bad) throw new Error(`encoder bench: layer '${id}' has ${parameters} parameters in ours but ${bad.parameters} in a ${who} run: not the same model`);
    }
    const med = (ls: LayerTiming[], k: 'stepMs' | 'cpuMs') => (ls.length ? r1(median(ls.flatMap((l) => l[k]))) : null);
    const ms = { ours: med(o, 'stepMs')!, plain: med(p, 'stepMs'), pytorch: med(t, 'stepMs') };
    const cpuMs = { ours: med(o, 'cpuMs')!, plain: med(p, 'cpuMs'), pytorch: med(t, 'cpuMs') };
    const ratio = (a: number | null, b: number | null) => (a !== null && b ? r2(a / b) : null);
    const count = (ls: LayerTiming[]) => ls.reduce((n, l) => n + l.stepMs.length, 0);
    return {
      id, parameters, ms, cpuMs,
      ratio: ratio(ms.ours, ms.pytorch), ratioPlain: ratio(ms.plain, ms.pytorch), ratioCpu: ratio(cpuMs.ours, cpuMs.pytorch),
      n: { ours: count(o), plain: count(p), pytorch: count(t) },
    };
  });
}
