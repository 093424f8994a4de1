/**
 * `gradnorm` loss weighting (Chen, Badrinarayanan, Lee & Rabinovich 2018, "GradNorm: gradient
 * normalization for adaptive loss balancing in deep multitask networks"). Learned task weights w_t
 * (start 1, kept summing to T) multiply the task losses; after each step they move to reduce
 *
 *   L_grad = sum_t | G_t - mean_i(G_i) * r_t^alpha |,   G_t = ||grad_W (w_t L_t)|| = w_t ||grad_W L_t||,
 *   r_t = Ltilde_t / mean_i(Ltilde_i),  Ltilde_t = L_t / L_t(0)   (L_t(0): the first step's loss),
 *
 * with the target mean(G) r^alpha held constant, as in the paper, so dL_grad/dw_t =
 * sign(G_t - target_t) ||grad_W L_t||. W is the encoder's top layer: every parameter of the last layer
 * the encoder creates (`gradNormLayer`, named in the run log), the last layer all tasks share. Under
 * soft sharing (one encoder copy per task) W is the top layers of all copies together: task t's loss
 * reaches its own copy's (and, through cross-stitch units, the others'), so ||grad_W L_t|| is still
 * the size of what t asks of the shared representation. The
 * weights take an Adam step with their own learning rate, are floored at 1e-3 and renormalised to
 * sum T. The model's own update uses the weights of the step (constants: the model's gradient does
 * not reach them). State (checkpointed): the weights, L(0) and the Adam moments.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradNormWeightingSpec } from '../../shared/experimentTypes';
import type { Batch } from '../../data/types';
import type { FeedbackModel, ForwardOptions } from './feedbackModel';
import { objective } from './objective';
import { globalNormSquared } from './optimizer';
import type { NamedVariable } from './params';
import { lossWeightings, restoredNumbers, weightedSum, type LossWeighting } from './lossWeighting';

const BETA1 = 0.9, BETA2 = 0.999, EPS = 1e-8, FLOOR = 1e-3;

/**
 * W for GradNorm: the parameters of the encoder's last layer, i.e. the variables whose path shares
 * the parent path of the encoder's last-created variable (`encoder/gru2/...` for a two-layer BiGRU,
 * `encoder/dense2/...` for a two-layer MLP, `encoder/attention/...` with self-attention). `scope`:
 * the encoder's path prefix (`encoders/<task>` for a soft-sharing copy).
 */
export function gradNormLayer(encoderVariables: readonly NamedVariable[], scope = 'encoder'): NamedVariable[] {
  if (!encoderVariables.length) throw new Error("loss weighting 'gradnorm' needs a shared layer, but the encoder has no parameters");
  const last = encoderVariables[encoderVariables.length - 1].name;
  const parts = last.slice(scope.length + 1).split('/');
  // `<scope>/<layer>/...`: the layer is the first path element below the scope (e.g. gru2, dense2, attention).
  const prefix = parts.length > 1 ? `${scope}/${parts[0]}/` : last;
  return encoderVariables.filter((v) => (parts.length > 1 ? v.name.startsWith(prefix) : v.name === last));
}

/**
 * ||grad_W L_t|| per task (unweighted), [T], each from its own forward of `batch` (with the same
 * options, hence the same dropout masks, as the training step's): one backward per task from its
 * loss down to W. Call inside the caller's tidy.
 */
export function taskGradNorms(model: FeedbackModel, batch: Batch, opts: ForwardOptions, layer: readonly NamedVariable[]): tf.Tensor1D {
  const vars = layer.map((v) => v.variable);
  return tf.stack(model.tasks.map((_, j) => {
    const { grads } = tf.variableGrads(() => objective(model, model.forward(batch, opts), batch).taskLosses[j], vars);
    return tf.sqrt(globalNormSquared(vars.map((v) => grads[v.name] ?? tf.zerosLike(v))));
  })) as tf.Tensor1D;
}

/** One GradNorm update of the weights (pure; returns the new state). */
export function gradNormStep(
  st: { weights: number[]; initial: number[]; m: number[]; v: number[]; t: number },
  losses: readonly number[], gradNorms: readonly number[], alpha: number, lr: number,
): { weights: number[]; initial: number[]; m: number[]; v: number[]; t: number } {
  const T = st.weights.length;
  const initial = st.initial.length ? st.initial : losses.map((l) => l);
  const G = st.weights.map((w, i) => w * gradNorms[i]);
  const Gbar = G.reduce((a, b) => a + b, 0) / T;
  const Lt = losses.map((l, i) => (initial[i] > 0 ? l / initial[i] : 1));
  const LtBar = Lt.reduce((a, b) => a + b, 0) / T;
  const target = Lt.map((l) => Gbar * Math.pow(LtBar > 0 ? l / LtBar : 1, alpha));
  const grad = G.map((g, i) => Math.sign(g - target[i]) * gradNorms[i]);
  const t = st.t + 1;
  const m = st.m.map((x, i) => BETA1 * x + (1 - BETA1) * grad[i]);
  const v = st.v.map((x, i) => BETA2 * x + (1 - BETA2) * grad[i] * grad[i]);
  let w = st.weights.map((x, i) => {
    const mh = m[i] / (1 - Math.pow(BETA1, t)), vh = v[i] / (1 - Math.pow(BETA2, t));
    return Math.max(FLOOR, x - (lr * mh) / (Math.sqrt(vh) + EPS));
  });
  const sum = w.reduce((a, b) => a + b, 0);
  w = w.map((x) => (x * T) / sum);
  return { weights: w, initial, m, v, t };
}

lossWeightings.register('gradnorm', (spec, { tasks }): LossWeighting => {
  const s = spec as GradNormWeightingSpec;
  const alpha = s.alpha ?? 1.5;
  const lr = s.learningRate ?? 0.025;
  const T = tasks.length;
  let st = { weights: new Array<number>(T).fill(1), initial: [] as number[], m: new Array<number>(T).fill(0), v: new Array<number>(T).fill(0), t: 0 };
  return {
    type: 'gradnorm',
    needs: { accuracy: false, gradNorms: true },
    combine: (losses) => weightedSum(losses, st.weights),
    observe(o) {
      if (!o.gradNorms) throw new Error("loss weighting 'gradnorm' needs the tasks' gradient norms");
      // A non-finite norm (a task without labels in the batch gives 0, not NaN) skips the update.
      if (![...o.gradNorms, ...o.losses].every(Number.isFinite)) return;
      st = gradNormStep(st, o.losses, o.gradNorms, alpha, lr);
    },
    endEpoch: () => undefined,
    state: () => ({ weights: [...st.weights], initial: [...st.initial], m: [...st.m], v: [...st.v], t: st.t }),
    restore(x) {
      const initial = Array.isArray(x.initial) && x.initial.length === 0 ? [] : restoredNumbers(x, 'initial', T, 'gradnorm');
      st = {
        weights: restoredNumbers(x, 'weights', T, 'gradnorm'), initial,
        m: restoredNumbers(x, 'm', T, 'gradnorm'), v: restoredNumbers(x, 'v', T, 'gradnorm'),
        t: typeof x.t === 'number' && Number.isInteger(x.t) && x.t >= 0 ? x.t : 0,
      };
    },
    describe: () => `loss weighting gradnorm (Chen et al. 2018): learned w_t (sum ${T}), alpha ${alpha}, Adam learning rate ${lr}`,
  };
});
