/**
 * Amplifiers f_ij: turn a source task's output y_i (class probabilities, or the standardised value
 * of a regression task) into a feedback signal of `units` features for a block of task j.
 * Applied on the last axis, so token-level sources are amplified per token.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AmplifierSpec } from '../../shared/experimentTypes';
import { activate, matMulAny } from './layers';
import type { NamedVariable, ParamScope } from './params';
import { Registry } from './registry';

export interface Amplifier {
  readonly variables: readonly NamedVariable[];
  readonly inDim: number;
  readonly outDim: number;
  /** y: [..., inDim] -> [..., outDim]. */
  apply(y: tf.Tensor): tf.Tensor;
}

/** What the amplifier reads. */
export interface AmplifierSource {
  /** Number of classes (1 for regression). */
  inDim: number;
  /** False for regression sources (a value, not a distribution). */
  probabilities: boolean;
  /** Description for error messages, e.g. `feedback 'a1'`. */
  where: string;
}

export type AmplifierFactory = (spec: AmplifierSpec, source: AmplifierSource, scope: ParamScope) => Amplifier;

/** `amplifier.type` -> factory. */
export const amplifiers = new Registry<AmplifierFactory>('amplifier');

/** `linear`: act(y W + b); activation defaults to linear. */
amplifiers.register('linear', (spec, src, scope): Amplifier => {
  const w = scope.weight('W', src.inDim, spec.units);
  const b = scope.zeros('b', spec.units);
  const act = spec.activation ?? 'linear';
  return {
    variables: scope.variables, inDim: src.inDim, outDim: spec.units,
    apply: (y) => activate(tf.add(matMulAny(y, w as tf.Tensor2D), b), act),
  };
});

/** `mlp`: act(y W1 + b1) W2 + b2, hidden width `hidden` (default units), activation default relu. */
amplifiers.register('mlp', (spec, src, scope): Amplifier => {
  const hidden = spec.hidden ?? spec.units;
  const w1 = scope.weight('W1', src.inDim, hidden);
  const b1 = scope.zeros('b1', hidden);
  const w2 = scope.weight('W2', hidden, spec.units);
  const b2 = scope.zeros('b2', spec.units);
  const act = spec.activation ?? 'relu';
  return {
    variables: scope.variables, inDim: src.inDim, outDim: spec.units,
    apply: (y) => tf.add(matMulAny(activate(tf.add(matMulAny(y, w1 as tf.Tensor2D), b1), act), w2 as tf.Tensor2D), b2),
  };
});

/**
 * `label-embedding`: one learned vector per source label, mixed by the source's probabilities
 * (sum_c p_c e_c = y E), as in Stack-Propagation / JMT. Needs a distribution, so not for regression
 * sources. No bias: a zero-feedback pass then really contributes nothing.
 */
amplifiers.register('label-embedding', (spec, src, scope): Amplifier => {
  if (!src.probabilities) {
    throw new Error(`${src.where}: amplifier 'label-embedding' mixes label vectors by class probabilities, but the source is a regression task; use 'linear' or 'mlp'`);
  }
  const e = scope.weight('E', src.inDim, spec.units);
  return {
    variables: scope.variables, inDim: src.inDim, outDim: spec.units,
    apply: (y) => matMulAny(y, e as tf.Tensor2D),
  };
});
