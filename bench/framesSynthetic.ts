/**
 * Synthetic trainer event streams for the chart benchmark, screenshots and tests. The shapes follow
 * what a real feedback-MTL run showed (`/work/shared/reference/feedback-mtl-notes.md`): losses fall
 * with noise, iteration deltas settle fast (~0.2 -> 0.007 -> 0.003 for the token task), and the
 * Gumbel gates move to the later block within a few epochs. Deterministic for a given seed.
 */
import type { Experiment } from '../src/shared/experimentTypes';
import type { TrainerEvent } from '../src/shared/trainerProtocol';

export interface SyntheticOptions {
  runId?: string;
  seed?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Emit deltas and gates every N steps (like `training.logEvery`). */
  logEvery?: number;
  /** Feedback iterations K. */
  iterations?: number;
  /** Variant: 'static' has no arrows (no deltas, no gates). */
  variant?: 'gumbel' | 'fixed' | 'static';
  /** Milliseconds per step in the `t` field. */
  msPerStep?: number;
}

/** Small seeded PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The SLU-like experiment the synthetic run pretends to train. */
export function syntheticExperiment(o: SyntheticOptions = {}): Experiment {
  const variant = o.variant ?? 'gumbel';
  return {
    name: 'snips-feedback',
    data: { format: 'slu', path: 'data/snips' },
    encoder: { type: 'bigru', embeddingDim: 100, hidden: 64 },
    tasks: [
      { id: 'intent', kind: 'classification', label: 'label', blocks: [{ type: 'dense', units: 64 }, { type: 'dense', units: 64 }] },
      { id: 'slots', kind: 'tagging', label: 'seq.out', blocks: [{ type: 'bigru', units: 64 }, { type: 'dense', units: 64 }] },
    ],
    feedback: variant === 'static' ? [] : [
      { id: 'intent2slots', from: 'intent', to: 'slots', amplifier: { type: 'linear', units: 64 }, injection: variant === 'gumbel' ? 'gumbel' : 2 },
      { id: 'slots2intent', from: 'slots', to: 'intent', amplifier: { type: 'linear', units: 64 }, injection: variant === 'gumbel' ? 'gumbel' : 2 },
    ],
    iterations: o.iterations ?? 3,
    convergence: { beta: 0.5, lambda: 0.5 },
    gumbel: { tau0: 2, tauMin: 0.3 },
    training: { epochs: o.epochs ?? 10, batchSize: 32, optimizer: 'adam', learningRate: 0.001, seed: o.seed ?? 1, logEvery: o.logEvery ?? 10 },
    lossWeighting: { type: 'fixed' },
  };
}

/**
 * Generates the events of a whole run lazily, in order. `run/start` first, `run/done` last.
 */
export function* syntheticRun(o: SyntheticOptions = {}): Generator<TrainerEvent> {
  const runId = o.runId ?? 'synthetic';
  const seed = o.seed ?? 1;
  const rand = rng(seed * 7919 + 17);
  const noise = () => (rand() + rand() + rand() - 1.5) / 1.5;
  const epochs = o.epochs ?? 10;
  const spe = o.stepsPerEpoch ?? 200;
  const logEvery = o.logEvery ?? 10;
  const K = o.iterations ?? 3;
  const variant = o.variant ?? 'gumbel';
  const ms = o.msPerStep ?? 40;
  const config = syntheticExperiment(o);
  const total = epochs * spe;
  let t = 0;
  yield {
    type: 'run/start', runId, t, experimentPath: '/work/snips.fmtl.json', runDir: `/work/.fmtl/runs/${runId}`, config,
    backend: { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', gpu: false, skipped: [] },
    sizes: { train: spe * 32, valid: 700, test: 700, parameters: 412_345, stepsPerEpoch: spe, vocab: 11_000, labels: { intent: 7, slots: 72 } },
    seed,
  };
  const quality = variant === 'static' ? 1 : variant === 'fixed' ? 0.97 : 0.985;
  const seedShift = (rng(seed)() - 0.5) * 0.02;
  let best = -Infinity;
  for (let step = 1; step <= total; step++) {
    t += ms * (0.9 + 0.2 * rand());
    const epoch = Math.ceil(step / spe);
    const p = step / total;
    const intentLoss = Math.max(1e-4, 0.05 + 1.9 * Math.exp(-step / (total * 0.08)) + 0.06 * noise() * (1 - 0.6 * p));
    const slotsLoss = Math.max(1e-4, 0.12 + 3.4 * Math.exp(-step / (total * 0.12)) + 0.1 * noise() * (1 - 0.6 * p));
    const conv: Record<string, number> = variant === 'static' ? {} : {
      intent: Math.max(0, 0.004 + 0.05 * Math.exp(-step / (total * 0.05)) + 0.002 * noise()),
      slots: Math.max(0, 0.01 + 0.12 * Math.exp(-step / (total * 0.06)) + 0.004 * noise()),
    };
    const tau = Math.max(0.3, 2 * Math.pow(0.3 / 2, p));
    yield {
      type: 'run/step', runId, t, step, epoch, losses: { intent: intentLoss, slots: slotsLoss }, convergence: conv,
      total: intentLoss + slotsLoss + 0.5 * ((conv.intent ?? 0) + (conv.slots ?? 0)),
      lr: 0.001, tau, ms: ms * (0.9 + 0.2 * rand()),
    };
    if (variant !== 'static' && step % logEvery === 0) {
      const settle = 0.4 + 0.6 * Math.exp(-step / (total * 0.1));
      const deltas = (base: number[]) => base.slice(0, K).map((d) => d * settle * (1 + 0.15 * noise()));
      yield {
        type: 'run/iterationDeltas', runId, t, step, epoch, split: 'train',
        deltas: { slots: deltas([0.35, 0.012, 0.005, 0.002, 0.001]), intent: deltas([0.03, 0.002, 0.0012, 0.0006, 0.0003]) },
      };
      if (variant === 'gumbel') {
        // Logit of the later block grows; the two arrows settle at different speeds.
        const g = (speed: number, bias: number) => {
          const z = bias + speed * p * 6 + 0.3 * noise();
          const p2 = 1 / (1 + Math.exp(-z));
          return { blocks: [1, 2], probs: [1 - p2, p2] };
        };
        yield { type: 'run/gates', runId, t, step, epoch, tau, gates: { intent2slots: g(1.4, -0.4), slots2intent: g(0.8, 0.1) } };
      }
    }
    if (step % spe === 0) {
      const e = epoch / epochs;
      const sat = 1 - Math.exp(-epoch / 2.2);
      const slotF1 = (0.55 + 0.36 * sat) * quality + seedShift + 0.004 * noise();
      const intentAcc = (0.8 + 0.18 * sat) * (0.5 + 0.5 * quality) + seedShift / 2 + 0.003 * noise();
      const overall = slotF1 * intentAcc * 0.92;
      const improved = overall > best;
      best = Math.max(best, overall);
      if (variant !== 'static') {
        yield {
          type: 'run/iterationDeltas', runId, t, step, epoch, split: 'valid',
          deltas: { slots: [0.2, 0.007, 0.003, 0.0015, 0.0008].slice(0, K).map((d) => d * (1 + 0.3 * (1 - e))), intent: [0.01, 0.001, 0.0006, 0.0003, 0.0002].slice(0, K) },
        };
      }
      yield {
        type: 'run/epoch', runId, t, epoch, step,
        train: { intent: { accuracy: Math.min(1, intentAcc + 0.01), macroF1: Math.min(1, intentAcc - 0.01) }, slots: { f1: Math.min(1, slotF1 + 0.03), precision: slotF1 + 0.035, recall: slotF1 + 0.025, tokenAccuracy: 0.9 + 0.08 * sat } },
        valid: { intent: { accuracy: intentAcc, macroF1: intentAcc - 0.02 }, slots: { f1: slotF1, precision: slotF1 + 0.01, recall: slotF1 - 0.01, tokenAccuracy: 0.88 + 0.08 * sat }, _overall: { accuracy: overall } },
        trainLoss: { intent: 0.05 + 1.9 * Math.exp(-step / (total * 0.08)), slots: 0.12 + 3.4 * Math.exp(-step / (total * 0.12)) },
        validLoss: { intent: 0.09 + 1.8 * Math.exp(-step / (total * 0.08)) + 0.02 * e, slots: 0.2 + 3.2 * Math.exp(-step / (total * 0.12)) + 0.04 * e },
        monitor: { metric: 'overall', value: overall, best, improved },
        ms: spe * ms,
      };
    }
  }
  yield {
    type: 'run/done', runId, t, summary: {
      status: 'completed', epochs, steps: total, bestEpoch: epochs, best: { valid: {} }, last: { valid: {} },
      gates: variant === 'gumbel' ? { intent2slots: { block: 2, prob: 0.99 }, slots2intent: { block: 2, prob: 0.97 } } : {},
      durationMs: t, backend: 'wasm',
    },
  };
}
