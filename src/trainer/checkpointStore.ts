/**
 * Checkpoints on disk without tfjs-node: an `fs`-based `tf.io.IOHandler` (a `model.json` manifest +
 * one `weights.bin`, the tfjs layout) and a store that keeps `checkpoints/best/` and
 * `checkpoints/last/` of a run, each holding the model weights, the optimizer state and the
 * epoch/step they belong to.
 *
 * Writes never leave a half-written checkpoint in place: a checkpoint is written to a temporary
 * folder beside its target and renamed into place; the previous one is moved aside first and removed
 * only after the new one is in place (if the process dies in between, `loadCheckpoint` finds it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { diskError, makeDirs, removeQuietly, writeFileSynced } from '../runFolder/diskWrites';
import { faultPause, faultPauseDue } from '../runFolder/faultPause';

/** A tensor by name (weights or optimizer slots). */
export interface NamedTensorLike {
  name: string;
  tensor: tf.Tensor;
}

/**
 * What a checkpoint holds. Structurally the `TrainState` of `train.ts` (TEAM.md contract): the
 * caller owns the tensors passed to `save`; `loadCheckpoint` returns new tensors the caller disposes.
 */
export interface CheckpointState {
  weights: NamedTensorLike[];
  optimizer: NamedTensorLike[];
  epoch: number;
  step: number;
  /** Early-stopping state (`MonitorState` of train.ts), kept as JSON in the metadata. */
  monitor?: { metric: string; best: number; bestEpoch: number; bad: number; bestValid?: Record<string, Record<string, number>>; lr?: { factor: number; bad: number } };
  /** The loss weighting's host-side state (`LossWeighting.state`), kept as JSON in the metadata. */
  weighting?: WeightingCheckpoint;
}

/** A loss weighting's state in a checkpoint: its type and what `state()` returned. */
export interface WeightingCheckpoint {
  type: string;
  state: Record<string, unknown>;
}

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/** `model.json` as written by {@link fileHandler}. */
export interface CheckpointManifest {
  format: 'fmtl-checkpoint';
  generatedBy: string;
  weightsManifest: tf.io.WeightsManifestConfig;
  modelTopology?: unknown;
  userDefinedMetadata?: Record<string, unknown>;
}

function toArrayBuffer(data: tf.io.WeightData): ArrayBuffer {
  if (!Array.isArray(data)) return data;
  return tf.io.concatenateArrayBuffers(data);
}

/**
 * An `fs` IOHandler for folder `dir`: `save` writes `model.json` + `weights.bin` (creating the
 * folder), `load` reads them back. Values round-trip bit for bit (raw little-endian buffers).
 */
export function fileHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      makeDirs(dir);
      const data = artifacts.weightData ? toArrayBuffer(artifacts.weightData) : new ArrayBuffer(0);
      writeFileSynced(path.join(dir, WEIGHTS_BIN), new Uint8Array(data));
      const manifest: CheckpointManifest = {
        format: 'fmtl-checkpoint',
        generatedBy: `feedback-mtl (tfjs-core ${tf.version_core})`,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
        modelTopology: artifacts.modelTopology,
        userDefinedMetadata: artifacts.userDefinedMetadata as Record<string, unknown> | undefined,
      };
      writeFileSynced(path.join(dir, MODEL_JSON), Buffer.from(JSON.stringify(manifest, null, 1)));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
          weightDataBytes: data.byteLength,
        },
      };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, MODEL_JSON), 'utf8')) as CheckpointManifest;
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Uint8Array[] = [];
      for (const group of manifest.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) buffers.push(fs.readFileSync(path.join(dir, p)));
      }
      const total = buffers.reduce((s, b) => s + b.byteLength, 0);
      const joined = new Uint8Array(total);
      let o = 0;
      for (const b of buffers) { joined.set(b, o); o += b.byteLength; }
      return {
        modelTopology: manifest.modelTopology as tf.io.ModelArtifacts['modelTopology'],
        weightSpecs: specs,
        weightData: joined.buffer,
        userDefinedMetadata: manifest.userDefinedMetadata as tf.io.ModelArtifacts['userDefinedMetadata'],
      };
    },
  };
}

const W = 'weights/';
const O = 'optimizer/';

/** Writes a checkpoint into `dir` (which must not exist yet or is overwritten file by file). */
export async function writeCheckpoint(dir: string, state: CheckpointState, extra: Record<string, unknown> = {}): Promise<void> {
  const named = [
    ...state.weights.map((w) => ({ name: W + w.name, tensor: w.tensor })),
    ...state.optimizer.map((w) => ({ name: O + w.name, tensor: w.tensor })),
  ];
  const { data, specs } = await tf.io.encodeWeights(named);
  await fileHandler(dir).save!({
    weightSpecs: specs,
    weightData: data,
    userDefinedMetadata: {
      epoch: state.epoch, step: state.step, ...(state.monitor ? { monitor: state.monitor } : {}), ...(state.weighting ? { weighting: state.weighting } : {}), savedAt: new Date().toISOString(),
      weights: state.weights.map((w) => w.name), optimizer: state.optimizer.map((w) => w.name), ...extra,
    },
  });
}

/**
 * Reads a checkpoint folder (`checkpoints/last`, `checkpoints/best`, or a run folder, which means
 * its `last`). Order of weights and optimizer slots is the order they were saved in.
 */
export async function loadCheckpoint(dir: string): Promise<CheckpointState & { meta: Record<string, unknown> }> {
  const target = resolveCheckpointDir(dir);
  const artifacts = await fileHandler(target).load!();
  const map = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
  const meta = (artifacts.userDefinedMetadata ?? {}) as Record<string, unknown>;
  const take = (prefix: string, names: unknown): NamedTensorLike[] => {
    const order = Array.isArray(names) ? (names as string[]) : Object.keys(map).filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
    return order.map((name) => {
      const tensor = map[prefix + name];
      if (!tensor) throw new Error(`checkpoint ${target} is missing tensor '${prefix + name}'`);
      return { name, tensor };
    });
  };
  return {
    weights: take(W, meta.weights),
    optimizer: take(O, meta.optimizer),
    epoch: Number(meta.epoch ?? 0),
    step: Number(meta.step ?? 0),
    // JSON turns an infinite `best` into null; train.ts ignores `best` while `bestEpoch` is 0.
    ...(meta.monitor && typeof meta.monitor === 'object' ? { monitor: meta.monitor as CheckpointState['monitor'] } : {}),
    ...(isWeightingCheckpoint(meta.weighting) ? { weighting: meta.weighting } : {}),
    meta,
  };
}

function isWeightingCheckpoint(v: unknown): v is WeightingCheckpoint {
  const o = v as WeightingCheckpoint | null;
  return typeof o === 'object' && o !== null && typeof o.type === 'string' && typeof o.state === 'object' && o.state !== null && !Array.isArray(o.state);
}

/** A run folder -> its last checkpoint; a checkpoints folder -> last; `best`/`last` as given (or its aside copy). */
export function resolveCheckpointDir(dir: string): string {
  const candidates = [dir, path.join(dir, 'last'), path.join(dir, 'checkpoints', 'last')];
  for (const c of candidates) {
    if (fs.existsSync(path.join(c, MODEL_JSON))) return c;
    const aside = `${c}.old`;
    if (fs.existsSync(path.join(aside, MODEL_JSON))) return aside; // died between the two renames
  }
  throw new Error(`no checkpoint found in ${dir} (looked for ${MODEL_JSON} in it, in last/ and in checkpoints/last/)`);
}

/** The `CheckpointStore` of `train.ts`: `save(kind, state)` -> path written. */
export class FileCheckpointStore {
  private seq = 0;

  constructor(readonly root: string) {}

  async save(kind: 'best' | 'last', state: CheckpointState): Promise<string> {
    makeDirs(this.root);
    const target = path.join(this.root, kind);
    const tmp = path.join(this.root, `.tmp-${kind}-${process.pid}-${++this.seq}`);
    removeQuietly(tmp);
    try {
      await writeCheckpoint(tmp, state, { kind });
      if (faultPauseDue('checkpoint-written')) faultPause('checkpoint-written');
    } catch (e) {
      // Disk full or read-only: no half-written folder stays behind; the previous checkpoint is intact.
      removeQuietly(tmp);
      throw diskError(`write the ${kind} checkpoint`, target, e);
    }
    const aside = `${target}.old`;
    try {
      fs.rmSync(aside, { recursive: true, force: true });
      if (fs.existsSync(target)) fs.renameSync(target, aside);
      if (faultPauseDue('checkpoint-swapped')) faultPause('checkpoint-swapped');
      fs.renameSync(tmp, target);
    } catch (e) {
      removeQuietly(tmp);
      throw diskError(`replace the ${kind} checkpoint`, target, e);
    }
    removeQuietly(aside);
    return target;
  }
}

/** A checkpoint found for resuming a run, and what was passed over. */
export interface ResumePoint {
  state: CheckpointState & { meta: Record<string, unknown> };
  kind: 'last' | 'best';
  dir: string;
  /** Checkpoints that exist but could not be used, with why (for the run's log). */
  skipped: string[];
}

/**
 * The newest complete checkpoint of a run folder: `last`, or `best` when `last` is missing or
 * incomplete (a kill during the first `last` save leaves `best` and a `.tmp-last-*` folder), or
 * `best` when it is newer (a kill after an epoch's `best` save and before its `last` save). Each
 * kind may be in `<kind>.old` (a kill between the two renames of a save). A checkpoint counts as
 * complete when its manifest parses and `weights.bin` holds exactly the bytes it lists.
 */
export async function loadResumeCheckpoint(runDir: string): Promise<ResumePoint> {
  const root = path.join(runDir, 'checkpoints');
  const found: ResumePoint[] = [];
  const skipped: string[] = [];
  for (const kind of ['last', 'best'] as const) {
    const dir = [path.join(root, kind), path.join(root, `${kind}.old`)].find((d) => fs.existsSync(path.join(d, MODEL_JSON)));
    if (!dir) continue;
    try {
      checkComplete(dir);
      found.push({ state: await loadCheckpoint(dir), kind, dir, skipped });
    } catch (e) {
      skipped.push(`${path.relative(runDir, dir)}: ${(e as Error).message}`);
    }
  }
  if (!found.length) {
    throw new Error(`no complete checkpoint in ${root} (looked for last/ and best/${skipped.length ? `; ${skipped.join('; ')}` : ''})`);
  }
  found.sort((a, b) => b.state.step - a.state.step || (a.kind === 'last' ? -1 : 1));
  const [pick, ...rest] = found;
  for (const r of rest) tf.dispose([...r.state.weights, ...r.state.optimizer].map((w) => w.tensor));
  return pick;
}

/** Throws unless `dir`'s `weights.bin` has exactly the bytes its `model.json` lists. */
function checkComplete(dir: string): void {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, MODEL_JSON), 'utf8')) as CheckpointManifest;
  for (const group of manifest.weightsManifest) {
    const want = group.weights.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1) * bytesPer(w.dtype), 0);
    const have = group.paths.reduce((s, p) => s + fs.statSync(path.join(dir, p)).size, 0);
    if (have !== want) throw new Error(`incomplete: ${group.paths.join(', ')} holds ${have} bytes, the manifest lists ${want}`);
  }
}

function bytesPer(dtype: string): number {
  return dtype === 'bool' ? 1 : dtype === 'complex64' ? 8 : 4;
}

/**
 * Removes what interrupted checkpoint saves leave in a run's `checkpoints/` folder: `.tmp-<kind>-*`
 * folders (a save cut short) and `<kind>.old` when `<kind>` is in place; a `<kind>.old` whose
 * `<kind>` is missing (a kill between the two renames) is moved back into place. Returns what it did.
 */
export function cleanStaleCheckpoints(runDir: string): string[] {
  const root = path.join(runDir, 'checkpoints');
  let names: string[];
  try { names = fs.readdirSync(root); } catch { return []; }
  const done: string[] = [];
  for (const n of names) {
    const p = path.join(root, n);
    if (n.startsWith('.tmp-')) {
      removeQuietly(p);
      done.push(`removed ${n}`);
    } else if (n.endsWith('.old')) {
      const target = path.join(root, n.slice(0, -'.old'.length));
      if (fs.existsSync(path.join(target, MODEL_JSON))) { removeQuietly(p); done.push(`removed ${n}`); }
      else if (fs.existsSync(path.join(p, MODEL_JSON))) {
        removeQuietly(target);
        fs.renameSync(p, target);
        done.push(`restored ${path.basename(target)} from ${n}`);
      }
    }
  }
  return done;
}
