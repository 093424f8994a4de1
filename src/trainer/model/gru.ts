import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../rng';

/**
 * Bidirectional GRU over padded batches, in PyTorch's formulation (so a PyTorch `nn.GRU` with
 * `bidirectional=True` over packed sequences is the same model):
 *
 *   r = σ(x W_ir + b_ir + h W_hr + b_hr)
 *   z = σ(x W_iz + b_iz + h W_hz + b_hz)
 *   n = tanh(x W_in + b_in + r ⊙ (h W_hn + b_hn))
 *   h' = (1 − z) ⊙ n + z ⊙ h
 *
 * Masking: the forward direction keeps its previous state on padded steps; the backward direction
 * starts (from a zero state) at each sequence's real end. Outputs at padded steps are zero, like
 * PyTorch's `pad_packed_sequence`.
 *
 * Parameters (gate order r, z, n; direction order forward, backward):
 * - `<name>/kernel` [D, 6H]: input weights of both directions, columns [fw r z n | bw r z n]
 * - `<name>/bias` [6H]: input biases, same column order
 * - `<name>/recurrent` [2, H, 3H]: recurrent weights per direction
 * - `<name>/recurrentBias` [2, 1, 3H]: recurrent biases per direction (b_hn stays inside r ⊙ (...))
 * All initialised uniform in ±1/√H, as PyTorch does.
 */
export class BiGru {
  /** Trainable variables, in a fixed order (checkpoints rely on their names). */
  readonly variables: tf.Variable[];
  private readonly kernel: tf.Variable;
  private readonly bias: tf.Variable;
  private readonly recurrent: tf.Variable;
  private readonly recurrentBias: tf.Variable;

  constructor(readonly name: string, readonly inputDim: number, readonly hidden: number, rng: Rng) {
    const H = hidden;
    const bound = 1 / Math.sqrt(H);
    const uniform = (shape: number[], label: string): tf.Variable => {
      const r = rng.fork(`${name}/${label}`);
      const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
      for (let i = 0; i < values.length; i++) values[i] = (2 * r.next() - 1) * bound;
      return tf.variable(tf.tensor(values, shape), true, `${name}/${label}`);
    };
    this.kernel = uniform([inputDim, 6 * H], 'kernel');
    this.bias = uniform([6 * H], 'bias');
    this.recurrent = uniform([2, H, 3 * H], 'recurrent');
    this.recurrentBias = uniform([2, 1, 3 * H], 'recurrentBias');
    this.variables = [this.kernel, this.bias, this.recurrent, this.recurrentBias];
  }

  /**
   * Runs both directions over `x` [B, T, D] with `mask` [B, T] (1 = real token, 0 = padding; real
   * tokens form a prefix of each row) and returns [B, T, 2H] = [forward | backward].
   */
  apply(x: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      const [B, T, D] = x.shape;
      const H = this.hidden;
      // One input projection for all timesteps and both directions.
      const xp = tf.add(tf.matMul(tf.reshape(x, [B * T, D]), this.kernel), this.bias);
      const xp3 = tf.reshape(xp, [B, T, 6 * H]);
      const [xpFw, xpBw] = tf.split(xp3, 2, 2);
      const steps = [tf.unstack(xpFw, 1), tf.unstack(xpBw, 1)];
      const masks = tf.unstack(tf.reshape(tf.cast(mask, 'float32'), [B, T, 1]), 1);
      const [whFw, whBw] = tf.unstack(this.recurrent, 0);
      const [bhFw, bhBw] = tf.unstack(this.recurrentBias, 0);
      const wh = [whFw, whBw];
      const bh = [bhFw, bhBw];
      const outs: tf.Tensor2D[][] = [new Array(T), new Array(T)];
      for (let dir = 0; dir < 2; dir++) {
        let h: tf.Tensor2D = tf.zeros([B, H]);
        for (let s = 0; s < T; s++) {
          const t = dir === 0 ? s : T - 1 - s;
          const [xr, xz, xn] = tf.split(steps[dir][t], 3, 1);
          const [hr, hz, hn] = tf.split(tf.add(tf.matMul(h, wh[dir]), bh[dir]), 3, 1);
          const r = tf.sigmoid(tf.add(xr, hr));
          const z = tf.sigmoid(tf.add(xz, hz));
          const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
          const hNew = tf.add(n, tf.mul(z, tf.sub(h, n)));
          const m = masks[t];
          // Padded steps keep the previous state (zero for the backward direction until the real end).
          h = tf.add(h, tf.mul(m, tf.sub(hNew, h))) as tf.Tensor2D;
          outs[dir][t] = tf.mul(h, m) as tf.Tensor2D;
        }
      }
      const fw = tf.stack(outs[0], 1);
      const bw = tf.stack(outs[1], 1);
      return tf.concat([fw, bw], 2) as tf.Tensor3D;
    });
  }
}
