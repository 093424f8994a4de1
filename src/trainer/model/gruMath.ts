/**
 * The arithmetic of one direction of the fused BiGRU kernels (see `gru.ts`): all timesteps of the
 * forward or backward pass of one direction for all examples. The two directions read the same
 * inputs and write disjoint parts of the outputs, so they can run on two threads (`gruThreads.ts`)
 * with results identical to running them one after the other. With the native kernels
 * (`../native/fmtlNative.cc`) a whole direction is one native call with the same arithmetic.
 *
 * Layouts (B examples, T steps, H units, G = 3H, gate order r, z, n):
 * - xp [B, T, 2G]: x W_i + b_i, columns [fw r z n | bw r z n]
 * - w [2, H, G] recurrent weights, bh [2, 1, G] recurrent biases, m [B, T] mask (1 = real token)
 * - y [B, T, 2H] = [forward | backward]
 * - ws [2, T, B, WS·H]: per (direction, time, example) r, z, n, h W_hn + b_hn and the previous state
 * - dy [B, T, 2H]; dxp [B, T, 2G]; dW [2, H, G]; dbh [2, 1, G]
 */
import type { MatMuls } from './gruMatMuls';

/** Per (direction, time, example) the workspace keeps r, z, n, h W_hn + b_hn and the previous state. */
export const WS = 5;

/** Inputs and outputs of the forward kernel (outputs zero-filled by the caller). */
export interface ForwardArrays { xp: Float32Array; w: Float32Array; bh: Float32Array; m: Float32Array; y: Float32Array; ws: Float32Array }
/** Inputs and outputs of the gradient kernel (outputs zero-filled by the caller). */
export interface BackwardArrays { dy: Float32Array; w: Float32Array; ws: Float32Array; m: Float32Array; dxp: Float32Array; dW: Float32Array; dbh: Float32Array }

/**
 * Zero-filled work arrays reused from call to call (one set per thread: module state is per
 * isolate). A step's kernels allocated ~5 MB of short-lived arrays before, which showed as GC time.
 */
class WorkArrays {
  private readonly arrays: Float32Array[] = [];
  get(slot: number, n: number): Float32Array {
    let a = this.arrays[slot];
    if (!a || a.length < n) a = this.arrays[slot] = new Float32Array(n);
    return a.subarray(0, n).fill(0);
  }
}
const work = new WorkArrays();

/** One direction of the forward pass: writes its half of y and its half of ws. */
export function forwardDirection(B: number, T: number, H: number, dir: number, a: ForwardArrays, mats: MatMuls): void {
  if (mats.native) { mats.native.gruForward(B, T, H, dir, a.xp, a.w, a.bh, a.m, a.y, a.ws); return; }
  const G = 3 * H;
  const h = work.get(0, B * H);
  const gh = work.get(1, B * G);
  const pw = mats.prepare(a.w.subarray(dir * H * G, (dir + 1) * H * G), H, G);
  for (let s = 0; s < T; s++) {
    const t = dir === 0 ? s : T - 1 - s;
    mats.mm(h, B, H, pw, gh);
    forwardGates(B, T, H, dir, t, a.m, a.xp, gh, a.bh, h, a.ws, a.y);
  }
}

/** One direction of the gradient: writes its columns of dxp and its parts of dW and dbh. */
export function backwardDirection(B: number, T: number, H: number, dir: number, a: BackwardArrays, mats: MatMuls): void {
  if (mats.native) { mats.native.gruBackward(B, T, H, dir, a.dy, a.w, a.ws, a.m, a.dxp, a.dW, a.dbh); return; }
  const G = 3 * H, BT = B * T;
  const dh = work.get(0, B * H);
  const dhp = work.get(1, B * H);
  const dgh = work.get(2, T * B * G); // rows (t, b): the gradient of h W_h + b_h
  const hpT = work.get(3, H * T * B); // previous states, transposed, for dW
  const pwT = mats.prepare(transpose(a.w.subarray(dir * H * G, (dir + 1) * H * G), H, G), G, H);
  for (let s = T - 1; s >= 0; s--) {
    const t = dir === 0 ? s : T - 1 - s;
    backwardGates(B, T, H, dir, t, a.m, a.dy, a.ws, dh, a.dxp, dgh, hpT);
    mats.mm(dgh.subarray(t * B * G, (t + 1) * B * G), B, G, pwT, dhp);
    addInto(dh, dhp, B * H);
  }
  const pg = mats.prepare(dgh, BT, G);
  mats.mm(hpT, H, BT, pg, a.dW.subarray(dir * H * G, (dir + 1) * H * G));
  sumRows(dgh, BT, G, a.dbh, dir * G);
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}


/**
 * One timestep of one direction, all examples: gates from x's projection and h W_h, the new state
 * into h and y, what the backward pass needs into ws. Its own small function (like
 * `backwardGates`) so V8 optimises it after a few calls with complete type feedback, instead of
 * on-stack-replacing one large kernel mid-loop and deoptimising it on the first branch not yet run
 * (that made the first training steps several times slower than the later ones).
 */
function forwardGates(B: number, T: number, H: number, dir: number, t: number, m: Float32Array, xp: Float32Array,
  gh: Float32Array, bh: Float32Array, h: Float32Array, ws: Float32Array, y: Float32Array): void {
  const G = 3 * H, G2 = 6 * H, bo = dir * G;
  for (let b = 0; b < B; b++) {
    if (m[b * T + t] === 0) continue; // state kept, output and workspace stay zero
    const xo = (b * T + t) * G2 + dir * G, go = b * G, ho = b * H;
    const wo = ((dir * T + t) * B + b) * WS * H, yo = (b * T + t) * 2 * H + dir * H;
    for (let j = 0; j < H; j++) {
      const hp = h[ho + j];
      const r = 0.5 + 0.5 * tanhF32(0.5 * (xp[xo + j] + gh[go + j] + bh[bo + j]));
      const z = 0.5 + 0.5 * tanhF32(0.5 * (xp[xo + H + j] + gh[go + H + j] + bh[bo + H + j]));
      const ghn = gh[go + 2 * H + j] + bh[bo + 2 * H + j];
      const n = tanhF32(xp[xo + 2 * H + j] + r * ghn);
      const hn = n + z * (hp - n);
      ws[wo + j] = r; ws[wo + H + j] = z; ws[wo + 2 * H + j] = n; ws[wo + 3 * H + j] = ghn; ws[wo + 4 * H + j] = hp;
      h[ho + j] = hn;
      y[yo + j] = hn;
    }
  }
}

/**
 * tanh to float32 accuracy (|error| <= 2.2e-7, about one float32 ulp; the gates are stored as
 * float32 anyway): Eigen's rational approximation, the one TensorFlow's CPU kernels use, clamped
 * where float32 tanh is ±1. 4-5x faster than Math.tanh/Math.exp, which were most of the forward
 * kernel's time (three per gate element). sigmoid(a) = 0.5 + 0.5 tanh(a / 2).
 */
export function tanhF32(x: number): number {
  if (x > 7.99881172180175781) x = 7.99881172180175781;
  else if (x < -7.99881172180175781) x = -7.99881172180175781;
  const x2 = x * x;
  let p = x2 * -2.76076847742355e-16 + 2.00018790482477e-13;
  p = x2 * p + -8.60467152213735e-11;
  p = x2 * p + 5.12229709037114e-08;
  p = x2 * p + 1.48572235717979e-05;
  p = x2 * p + 6.37261928875436e-04;
  p = x2 * p + 4.89352455891786e-03;
  let q = x2 * 1.19825839466702e-06 + 1.18534705686654e-04;
  q = x2 * q + 2.26843463243900e-03;
  q = x2 * q + 4.89352518554385e-03;
  return (x * p) / q;
}

/** Gate gradients of one timestep of one direction, all examples (see `forwardGates` for why apart). */
function backwardGates(B: number, T: number, H: number, dir: number, t: number, m: Float32Array, g: Float32Array,
  ws: Float32Array, dh: Float32Array, dxp: Float32Array, dgh: Float32Array, hpT: Float32Array): void {
  const G = 3 * H, G2 = 6 * H, BT = B * T;
  for (let b = 0; b < B; b++) {
    if (m[b * T + t] === 0) continue; // state passed through: dh unchanged, no gate gradients
    const xo = (b * T + t) * G2 + dir * G, ho = b * H, row = t * B + b, go = row * G;
    const wo = ((dir * T + t) * B + b) * WS * H, yo = (b * T + t) * 2 * H + dir * H;
    for (let j = 0; j < H; j++) {
      const dht = dh[ho + j] + g[yo + j];
      const r = ws[wo + j], z = ws[wo + H + j], n = ws[wo + 2 * H + j], ghn = ws[wo + 3 * H + j], hp = ws[wo + 4 * H + j];
      const dan = dht * (1 - z) * (1 - n * n);
      const dar = dan * ghn * r * (1 - r);
      const daz = dht * (hp - n) * z * (1 - z);
      dxp[xo + j] = dar; dxp[xo + H + j] = daz; dxp[xo + 2 * H + j] = dan;
      dgh[go + j] = dar; dgh[go + H + j] = daz; dgh[go + 2 * H + j] = dan * r;
      dh[ho + j] = dht * z;
      hpT[j * BT + row] = hp;
    }
  }
}

function addInto(a: Float32Array, b: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) a[i] += b[i];
}

/** out[offset + j] = sum over rows of a[row, j]. */
function sumRows(a: Float32Array, rows: number, cols: number, out: Float32Array, offset: number): void {
  out.fill(0, offset, offset + cols);
  for (let row = 0; row < rows; row++) for (let j = 0; j < cols; j++) out[offset + j] += a[row * cols + j];
}
