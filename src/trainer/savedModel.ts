/**
 * A trained model you can use: `exportModel(runDir, outDir)` writes a self-contained folder, and
 * `loadModel(dir)` reads it back and answers new inputs with `predict(inputs)` — every task's
 * answer at every feedback pass, through the same batching, forward pass and `Head.decode` as
 * evaluation, so a test sentence gets exactly the answer its predictions file holds.
 *
 * ```
 * <model folder>/
 *   model.json          format + version, the versions that wrote it, where the weights came from,
 *                       and tfjs's weightsManifest (the weights, without optimizer state)
 *   weights.bin         the weights, raw little-endian (tfjs layout)
 *   experiment.json     the experiment as trained (defaults filled)
 *   preprocessing.json  vocabulary, label maps, feature and target scaling
 * ```
 *
 * `loadRunModel(runDir)` gives the same model straight from a run folder (Try the model).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { validateExperiment, withDefaults } from '../shared/experiment';
import type { Experiment } from '../shared/experimentTypes';
import type { InputPrediction, PredictedTask } from '../shared/predictions/format';
import { RUN_FILES, type RunMeta } from '../runFolder/runFiles';
import { readRunJson } from '../runFolder/runFolderReader';
import { writeJsonAtomic } from '../runFolder/runFolderWriter';
import { initBackend, type BackendPreference } from './backend';
import { loadCheckpoint, resolveCheckpointDir } from './checkpointStore';
import { prepareData } from '../data/prepare';
import { encodeInputs, preprocessingOf, PREPROCESSING_VERSION, shapeOf, type ModelInput, type Preprocessing } from '../data/preprocessing';
import { answerSplit } from './evaluate';
import { buildModel, type FeedbackModel, type NamedTensor } from './model/feedbackModel';
import { answersOf } from './predictionsFile';
import pkg from '../../package.json';

export const MODEL_FORMAT = 'fmtl-model';
/** Bumped when a model folder's layout or meaning changes; a folder of another version is refused. */
export const MODEL_FORMAT_VERSION = 1;

/** The files of a model folder. */
export const MODEL_FILES = {
  manifest: 'model.json',
  weights: 'weights.bin',
  experiment: 'experiment.json',
  preprocessing: 'preprocessing.json',
} as const;

/** `model.json` of a model folder. */
export interface ModelManifest {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  /** Versions of what wrote the folder. */
  versions: { fmtl: string; tfjs: string; node: string };
  /** Where the weights came from. */
  source: { runId: string; checkpoint: 'best' | 'last'; epoch: number; step: number; seed: number };
  weightsManifest: tf.io.WeightsManifestConfig;
}

/** A model ready to answer. Call `dispose` when done (it holds the weights). */
export interface LoadedModel {
  readonly experiment: Experiment;
  readonly preprocessing: Preprocessing;
  /** K: answers hold passes 0..K. */
  readonly iterations: number;
  readonly tasks: readonly PredictedTask[];
  readonly source: ModelManifest['source'];
  /** Every task's answer at every pass, per input (in input order). */
  predict(inputs: readonly ModelInput[]): InputPrediction[];
  dispose(): void;
}

/** A model folder that cannot be used; the message names the folder and the file. */
export class ModelFolderError extends Error {}

export interface LoadOptions {
  /** Backend to initialise first (default `auto`); `false` keeps the active one. */
  backend?: BackendPreference | false;
}

function readJson<T>(dir: string, file: string): T {
  const p = path.join(dir, file);
  let text: string;
  try { text = fs.readFileSync(p, 'utf8'); } catch { throw new ModelFolderError(`${dir} is not a complete model folder: ${file} is missing`); }
  try { return JSON.parse(text) as T; } catch { throw new ModelFolderError(`${p} is not valid JSON`); }
}

/** Loads an exported model folder. Refuses a folder of another format version or with a missing file, naming it. */
export async function loadModel(dir: string, opts: LoadOptions = {}): Promise<LoadedModel> {
  const manifest = readJson<ModelManifest>(dir, MODEL_FILES.manifest);
  const where = path.join(dir, MODEL_FILES.manifest);
  if (manifest.format !== MODEL_FORMAT) throw new ModelFolderError(`${where} is not a Feedback MTL model (format '${manifest.format}', expected '${MODEL_FORMAT}')`);
  if (manifest.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new ModelFolderError(`${where}: model format version ${manifest.formatVersion} (written by fmtl ${manifest.versions?.fmtl ?? '?'}); this fmtl ${(pkg as { version: string }).version} reads version ${MODEL_FORMAT_VERSION} — export the run again with this version`);
  }
  const exp = checkedExperiment(readJson<Experiment>(dir, MODEL_FILES.experiment), path.join(dir, MODEL_FILES.experiment));
  const pre = readJson<Preprocessing>(dir, MODEL_FILES.preprocessing);
  if (pre.version !== PREPROCESSING_VERSION) throw new ModelFolderError(`${path.join(dir, MODEL_FILES.preprocessing)}: preprocessing version ${pre.version}; this fmtl reads version ${PREPROCESSING_VERSION}`);
  const specs = manifest.weightsManifest.flatMap((g) => g.weights);
  const buffers = manifest.weightsManifest.flatMap((g) => g.paths).map((p) => {
    try { return fs.readFileSync(path.join(dir, p)); } catch { throw new ModelFolderError(`${dir} is not a complete model folder: ${p} is missing`); }
  });
  const bytes = Buffer.concat(buffers);
  const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (bytes.byteLength !== expected) throw new ModelFolderError(`${path.join(dir, MODEL_FILES.weights)} holds ${bytes.byteLength} bytes; model.json lists ${expected}`);
  if (opts.backend !== false) await initBackend(opts.backend ?? 'auto');
  const map = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), specs);
  const weights = Object.entries(map).map(([name, tensor]) => ({ name, tensor }));
  return assemble(exp, pre, weights, manifest.source, where);
}

/** The model of a run folder's checkpoint (default: best, else last), without exporting it. */
export async function loadRunModel(runDir: string, checkpoint?: 'best' | 'last', opts: LoadOptions = {}): Promise<LoadedModel> {
  if (opts.backend !== false) await initBackend(opts.backend ?? 'auto');
  const g = await gather(runDir, checkpoint);
  return assemble(g.exp, g.pre, g.weights, g.source, runDir);
}

/**
 * Writes the model folder of a run's checkpoint into `outDir` (created; files in it are replaced).
 * The vocabulary and scaling come from the run's `preprocessing.json`, or, for runs older than that
 * file, from preparing the run's data again (which must then still be where the run read it).
 */
export async function exportModel(runDir: string, outDir: string, checkpoint?: 'best' | 'last'): Promise<{ dir: string; manifest: ModelManifest; bytes: number }> {
  const g = await gather(runDir, checkpoint);
  try {
    const { data, specs } = await tf.io.encodeWeights(g.weights.map((w) => ({ name: w.name, tensor: w.tensor })));
    const bin = new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data);
    const manifest: ModelManifest = {
      format: MODEL_FORMAT, formatVersion: MODEL_FORMAT_VERSION,
      versions: { fmtl: (pkg as { version: string }).version, tfjs: tf.version_core, node: process.version },
      source: g.source,
      weightsManifest: [{ paths: [MODEL_FILES.weights], weights: specs }],
    };
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, MODEL_FILES.weights), bin);
    writeJsonAtomic(path.join(outDir, MODEL_FILES.experiment), g.exp);
    writeJsonAtomic(path.join(outDir, MODEL_FILES.preprocessing), g.pre);
    writeJsonAtomic(path.join(outDir, MODEL_FILES.manifest), manifest); // last: a folder with model.json is complete
    const bytes = Object.values(MODEL_FILES).reduce((n, f) => n + fs.statSync(path.join(outDir, f)).size, 0);
    return { dir: outDir, manifest, bytes };
  } finally {
    tf.dispose(g.weights.map((w) => w.tensor));
  }
}

/** Experiment, preprocessing and weights (caller disposes) of a run's checkpoint. */
async function gather(runDir: string, checkpoint?: 'best' | 'last') {
  const config = readRunJson<Experiment>(runDir, RUN_FILES.config);
  const meta = readRunJson<RunMeta>(runDir, RUN_FILES.meta);
  if (!config || !meta) throw new ModelFolderError(`${runDir} is not a run folder (no ${RUN_FILES.config} / ${RUN_FILES.meta})`);
  const exp = checkedExperiment(config, path.join(runDir, RUN_FILES.config));
  const which = checkpoint ?? (fs.existsSync(path.join(runDir, RUN_FILES.checkpoints, 'best')) ? 'best' : 'last');
  let pre = readRunJson<Preprocessing>(runDir, RUN_FILES.preprocessing);
  if (!pre) pre = preprocessingOf(exp, await prepareData(exp, path.dirname(meta.experimentPath)));
  const state = await loadCheckpoint(resolveCheckpointDir(path.join(runDir, RUN_FILES.checkpoints, which)));
  tf.dispose(state.optimizer.map((w) => w.tensor));
  return {
    exp, pre, weights: state.weights as NamedTensor[],
    source: { runId: meta.runId ?? path.basename(runDir), checkpoint: which, epoch: state.epoch, step: state.step, seed: meta.seed },
  };
}

function checkedExperiment(raw: Experiment, where: string): Experiment {
  const errors = validateExperiment(raw).filter((i) => i.severity === 'error');
  if (errors.length) throw new ModelFolderError(`${where}: ${errors[0].pathText}: ${errors[0].message}`);
  return withDefaults(raw);
}

/** Builds the model and sets the weights (takes ownership of `weights`). */
function assemble(exp: Experiment, pre: Preprocessing, weights: NamedTensor[], source: ModelManifest['source'], where: string): LoadedModel {
  const shape = shapeOf(pre);
  let model: FeedbackModel | undefined;
  try {
    model = buildModel(exp, shape, source.seed);
    try { model.setWeights(weights); } catch (e) { throw new ModelFolderError(`${where}: ${(e as Error).message}`); }
  } catch (e) {
    model?.dispose();
    throw e;
  } finally {
    tf.dispose(weights.map((w) => w.tensor));
  }
  const m = model;
  const tasks = m.tasks.map((t) => ({ id: t.id, kind: t.kind, labels: [...(pre.labels[t.id] ?? [])] }));
  return {
    experiment: exp, preprocessing: pre, iterations: m.iterations, tasks, source,
    predict(inputs) {
      if (!inputs.length) return [];
      const enc = encodeInputs(pre, m.tasks, inputs);
      const answers = answerSplit(m, shape, exp, enc);
      return inputs.map((_, i) => ({
        ...(enc.words ? { tokens: enc.words[i] } : {}),
        pred: answersOf(m.tasks, shape, answers, i),
      }));
    },
    dispose: () => m.dispose(),
  };
}
