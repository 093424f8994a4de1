/**
 * Shared encoders: the layers every task reads. An encoder runs once per step (the feedback loop
 * only re-runs the task towers). Plug-ins register a factory by the experiment's `encoder.type`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { EncoderSpec } from '../../shared/experimentTypes';
import type { DataShape } from '../../data/types';
import type { ForwardCtx } from './context';
import type { NamedVariable, ParamScope } from './params';
import { Registry } from './registry';

/** What an encoder produces for a batch. */
export interface EncoderOutput {
  /** Per-token states [B,T,tokenDim] (text encoders only). */
  tokens?: tf.Tensor3D;
  /** One vector per example [B,outDim] (pooled for text, the row itself for tabular). */
  sentence: tf.Tensor2D;
  /**
   * Causal per-token states [B,T,causalDim]: the state at t has read tokens <= t only (what a
   * language model may read). Only encoders that have such states give them (`causalDim`).
   */
  causal?: tf.Tensor3D;
}

/** A shared encoder. */
export interface Encoder {
  readonly variables: readonly NamedVariable[];
  /** Width of `sentence`. */
  readonly outDim: number;
  /** Width of `tokens`, when the encoder produces them. */
  readonly tokenDim?: number;
  /** Width of `causal`, when the encoder produces causal states (a BiGRU/BiLSTM: its first layer's forward direction). */
  readonly causalDim?: number;
  /**
   * Probability that a real training token is replaced by `<unk>` before the encoder sees it
   * (word dropout; applied by the model when it turns a training batch into tensors).
   */
  readonly wordDropout?: number;
  apply(ctx: ForwardCtx): EncoderOutput;
}

/** Builds an encoder; throws a clear message when the spec does not fit the data. */
export type EncoderFactory = (spec: EncoderSpec, data: DataShape, scope: ParamScope) => Encoder;

/** `encoder.type` -> factory. */
export const encoders = new Registry<EncoderFactory>('encoder');
