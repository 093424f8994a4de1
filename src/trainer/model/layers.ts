/**
 * Small building blocks shared by the plug-ins: activations, a dense layer that accepts [N,D] or
 * [B,T,D] inputs, a "same" 1-D convolution, layer normalisation, and masked pooling over tokens
 * (level alignment).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Activation } from '../../shared/experimentTypes';
import { ParamScope } from './params';

/** Applies a named activation. `gelu` uses the tanh approximation (tfjs-core has no gelu op). */
export function activate(x: tf.Tensor, act: Activation): tf.Tensor {
  switch (act) {
    case 'relu': return tf.relu(x);
    case 'tanh': return tf.tanh(x);
    case 'sigmoid': return tf.sigmoid(x);
    case 'linear': return x;
    case 'gelu': {
      const c = Math.sqrt(2 / Math.PI);
      const inner = tf.mul(c, tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
      return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
    }
    default: throw new Error(`unknown activation '${act as string}' (known: relu, tanh, sigmoid, gelu, linear)`);
  }
}

/** x @ W for x of rank 2 or 3 (a rank-3 input is flattened to one matMul, not one per token). */
export function matMulAny(x: tf.Tensor, w: tf.Tensor2D): tf.Tensor {
  if (x.rank === 2) return tf.matMul(x as tf.Tensor2D, w);
  const shape = x.shape;
  const d = shape[shape.length - 1];
  const flat = tf.reshape(x, [-1, d]) as tf.Tensor2D;
  return tf.reshape(tf.matMul(flat, w), [...shape.slice(0, -1), w.shape[1]]);
}

/** A fully connected layer y = x W + b on the last axis. */
export class Dense {
  readonly w: tf.Variable;
  readonly b?: tf.Variable;

  constructor(scope: ParamScope, name: string, readonly inDim: number, readonly outDim: number, bias = true) {
    this.w = scope.weight(`${name}/W`, inDim, outDim);
    if (bias) this.b = scope.zeros(`${name}/b`, outDim);
  }

  apply(x: tf.Tensor): tf.Tensor {
    const y = matMulAny(x, this.w as tf.Tensor2D);
    return this.b ? tf.add(y, this.b) : y;
  }
}

/**
 * A 1-D convolution with "same" padding over the middle axis: x [N,L,C], w [width*C, F], b [F] ->
 * [N,L,F], one output per position; windows reaching past either end see zeros (left pad
 * floor((width-1)/2), the rest on the right). Written as one matrix product: the `width` shifted
 * copies of x are concatenated on the feature axis ([N,L,width*C]) and multiplied by w, so the work
 * goes through the backend's (native, where built) matMul instead of a conv kernel. Row j*C+c of w
 * is tap j (j = 0 the leftmost) of input channel c, the layout of tf.conv1d's [width,C,F] filter.
 */
export function convSame(x: tf.Tensor3D, width: number, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor3D {
  const [N, L, C] = x.shape;
  const left = Math.floor((width - 1) / 2);
  const right = width - 1 - left;
  const padded = width > 1 ? tf.pad(x, [[0, 0], [left, right], [0, 0]]) : x;
  const windows = width === 1 ? x : tf.concat(Array.from({ length: width }, (_, j) => tf.slice(padded, [0, j, 0], [N, L, C])), 2);
  return tf.add(matMulAny(windows, w), b) as tf.Tensor3D;
}

/** Layer normalisation over the last axis (Ba et al. 2016): gain 1 and bias 0 at the start, eps 1e-5. */
export class LayerNorm {
  private readonly gain: tf.Variable;
  private readonly bias: tf.Variable;

  constructor(scope: ParamScope, name: string, dim: number) {
    this.gain = scope.ones(`${name}/gain`, dim);
    this.bias = scope.zeros(`${name}/bias`, dim);
  }

  apply<T extends tf.Tensor>(x: T): T {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), this.gain), this.bias) as T;
  }
}

/** Float mask [B,T] (1 = real token) from per-example lengths. */
export function lengthMask(lengths: ArrayLike<number>, seqLen: number): Float32Array {
  const m = new Float32Array(lengths.length * seqLen);
  for (let b = 0; b < lengths.length; b++) {
    const n = Math.min(lengths[b], seqLen);
    m.fill(1, b * seqLen, b * seqLen + n);
  }
  return m;
}

/**
 * Mean over real tokens: x [B,T,D], mask [B,T] -> [B,D]. Padding never contributes; an all-pad row
 * (length 0) gives zeros instead of NaN.
 */
export function maskedMean(x: tf.Tensor, mask: tf.Tensor2D): tf.Tensor2D {
  const m = tf.expandDims(mask, 2);
  const sum = tf.sum(tf.mul(x, m), 1);
  const count = tf.maximum(tf.sum(mask, 1, true), 1);
  return tf.div(sum, count) as tf.Tensor2D;
}

/**
 * Max over real tokens: padding is pushed to -1e9 first. x [B,T,D], mask [B,T] -> [B,D].
 *
 * Computed in one pass on the host (the trainer's backends are synchronous) with a gradient that
 * routes dy to the maximising token(s) from the indices kept by the forward pass. Same values and
 * gradient as `tf.max(x + (mask - 1) * 1e9, 1)` — ties (an all-padding row) share dy like tfjs's
 * Max gradient — without its four [B,T,D] kernels forward and the broadcast Equal backward, which
 * alone took ~4 % of a SNIPS step on wasm.
 */
export function maskedMax(x: tf.Tensor, mask: tf.Tensor2D): tf.Tensor2D {
  const [B, T, D] = x.shape as [number, number, number];
  const f = tf.customGrad((...args) => {
    const xs = (args[0] as tf.Tensor).dataSync() as Float32Array;
    const ms = mask.dataSync();
    const out = new Float32Array(B * D);
    // First maximising token per (b, d); `tied` marks entries where a later token equals it.
    const arg = new Int32Array(B * D);
    const tied = new Uint8Array(B * D);
    let anyTie = false;
    const shift = new Float32Array(T);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) shift[t] = Math.fround(Math.fround(ms[b * T + t] - 1) * 1e9);
      const o = b * D;
      for (let d = 0; d < D; d++) out[o + d] = Math.fround(xs[b * T * D + d] + shift[0]);
      for (let t = 1; t < T; t++) {
        const sh = shift[t], row = (b * T + t) * D;
        for (let d = 0; d < D; d++) {
          const v = Math.fround(xs[row + d] + sh);
          if (v > out[o + d]) { out[o + d] = v; arg[o + d] = t; tied[o + d] = 0; }
          else if (v === out[o + d]) { tied[o + d] = 1; anyTie = true; }
        }
      }
    }
    return {
      value: tf.tensor2d(out, [B, D]),
      gradFunc: (dy: tf.Tensor) => {
        const g = dy.dataSync();
        const dx = new Float32Array(B * T * D);
        for (let b = 0; b < B; b++) {
          for (let d = 0; d < D; d++) {
            const i = b * D + d;
            if (anyTie && tied[i]) {
              for (let t = 0; t < T; t++) {
                const v = Math.fround(xs[(b * T + t) * D + d] + Math.fround(Math.fround(ms[b * T + t] - 1) * 1e9));
                if (v === out[i]) dx[(b * T + t) * D + d] = g[i];
              }
            } else {
              dx[(b * T + arg[i]) * D + d] = g[i];
            }
          }
        }
        return tf.tensor3d(dx, [B, T, D]);
      },
    };
  });
  return f(x) as tf.Tensor2D;
}

/**
 * Sentence -> token alignment: [B,D] -> [B,T,D] by repeating over the T tokens. The gradient is one
 * sum over the token axis: tfjs's own Tile gradient adds T slices one by one (2T small kernels per
 * call, ~60 per feedback arrow on SNIPS), which cost more than the whole broadcast.
 */
export function broadcastTokens(x: tf.Tensor, seqLen: number): tf.Tensor3D {
  const f = tf.customGrad((...args) => {
    const input = args[0] as tf.Tensor;
    return {
      // A broadcasting add of zeros, not tf.tile: the wasm Tile kernel took ~0.9 ms per call on
      // SNIPS shapes (profiled), the add ~0.05 ms; the values are the same (x + 0 = x).
      value: tf.add(tf.expandDims(input, 1), tf.zeros([1, seqLen, 1])),
      gradFunc: (dy: tf.Tensor) => tf.sum(dy, 1),
    };
  });
  return f(x) as tf.Tensor3D;
}

/**
 * Identity forward, zero gradient backward (tfjs-core has no stopGradient op). Used for the
 * `training.stopGradient` option and the straight-through Gumbel estimator.
 */
export const stopGradient = tf.customGrad((...args) => ({
  value: tf.clone(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as <T extends tf.Tensor>(x: T) => T;
