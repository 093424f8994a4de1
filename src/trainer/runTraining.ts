/**
 * One training request, end to end: load + validate the experiment file, apply the request's
 * overrides (variant, epochs, seed, resume), pick the backend, prepare the data, create the run
 * folder, train, write the summary and the report. Shared by the CLI and the trainer process.
 *
 * Events leave only through `onEvent`; every event after the run folder exists is also appended to
 * its `events.jsonl`. `run/done` is always the last event and is sent only after `summary.json` and
 * the report are on disk, so whoever receives it can read them (and may kill the process).
 *
 * Resume (`options.resume` = a run folder) continues in that folder: the newest complete checkpoint
 * (`last`, else `best`; none: from the start) is loaded, what interrupted writes left is cleaned, and the events go on in
 * the same `events.jsonl` after a `run/start` marked `resumed` (times continue from the last event);
 * `summary.json` and the report are rewritten at the end. Readers fold the history into one run.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { crossStitchLeakMessage, formatPath, leakingArrows, leakMessage, validateExperiment, withDefaults } from '../shared/experiment';
import { applyOverrides } from '../shared/sweep';
import { estimateParameters, formatCount, LIMITS } from '../shared/limits';
import type { Experiment } from '../shared/experimentTypes';
import type { RunStartEvent, RunSummary, TrainerEvent, TrainRequestOptions } from '../shared/trainerProtocol';
import { describeHardware, initBackend } from './backend';
import { cleanStaleCheckpoints, FileCheckpointStore, loadCheckpoint, loadResumeCheckpoint, MODEL_JSON } from './checkpointStore';
import { DataError } from '../data/dataError';
import { resolveDataPath } from '../data/dataPath';
import { DiskError } from '../runFolder/diskWrites';
import { prepareData } from '../data/prepare';
import { dataReads, outsideIssues, outsideReads } from '../data/dataPaths';
import type { PreparedData } from '../data/types';
import { ExperimentFileError, loadExperimentFile, requireExperiment } from '../data/experimentFile';
import { writeReport } from './report';
import { defaultRunsDir, predictionsFileName, RUN_FILES, slug, timestampName, type RunMeta, type RunSummaryFile } from '../runFolder/runFiles';
import { readEvents, readRunJson } from '../runFolder/runFolderReader';
import { lockHolder, RunFolder, waitForRunLock, writeJsonAtomic } from '../runFolder/runFolderWriter';
import { writePredictions } from './predictionsFile';
import { preprocessingOf } from '../data/preprocessing';
import { train, type TrainState } from './train';
import pkg from '../../package.json';

/** How a request ended. `runDir` is set once the run folder exists. */
export interface RunOutcome {
  runId: string;
  runDir?: string;
  summary?: RunSummary;
  /** Set when the run failed (validation, data, backend or training error). */
  error?: { message: string; where?: string };
}

/**
 * Applies an ablation variant to an experiment with defaults:
 * - `static`: every arrow disabled (the model then runs a single pass, K is ignored);
 * - `fixed`: Gumbel arrows become fixed at their last candidate block (the deepest, where the
 *   reference implementation's gates settled);
 * - `gumbel`: fixed arrows become Gumbel gates over every block of their target;
 * - `asWritten` / undefined: unchanged.
 */
export function applyVariant(exp: Experiment, variant: TrainRequestOptions['variant']): Experiment {
  if (!variant || variant === 'asWritten') return exp;
  const out = JSON.parse(JSON.stringify(exp)) as Experiment;
  const blocks = new Map(out.tasks.map((t) => [t.id, t.blocks.length]));
  for (const f of out.feedback) {
    if (variant === 'static') f.enabled = false;
    else if (variant === 'fixed' && f.injection === 'gumbel') {
      const cands = f.candidates?.length ? f.candidates : Array.from({ length: blocks.get(f.to) ?? 1 }, (_, i) => i + 1);
      f.injection = Math.max(...cands);
      delete f.candidates;
    } else if (variant === 'gumbel' && typeof f.injection === 'number' && (blocks.get(f.to) ?? 1) > 1) {
      // A gate over a single block is no choice: such arrows stay fixed.
      f.injection = 'gumbel';
      f.candidates = Array.from({ length: blocks.get(f.to) ?? 1 }, (_, i) => i + 1);
    }
  }
  return out;
}

/**
 * Size and sha256 of every data file a run reads (`dataReads`: CSV file; JSONL / CoNLL file or
 * split files; SLU `seq.in` + label files per split),
 * with paths relative to the experiment folder. Files that cannot be read are left out.
 */
export function fingerprintData(exp: Experiment, baseDir: string): { path: string; bytes: number; sha256: string }[] {
  const rels = dataReads(exp, baseDir).map((r) => path.relative(baseDir, r.file).split(path.sep).join('/'));
  const out: { path: string; bytes: number; sha256: string }[] = [];
  for (const rel of rels) {
    try {
      const buf = fs.readFileSync(resolveDataPath(baseDir, rel));
      out.push({ path: rel, bytes: buf.byteLength, sha256: createHash('sha256').update(buf).digest('hex') });
    } catch {
      // Reported by validation / data loading, not here.
    }
  }
  return out;
}

/**
 * The exact parameter count, now that the data fixes the input and output widths, checked before
 * the model is built (a 55 M-parameter model would otherwise allocate first and ask later).
 * Throws above the hard limit; returns a warning above the soft one.
 */
export function checkParameterCount(exp: Experiment, data: PreparedData): { count: number; warning?: string } {
  const { count } = estimateParameters(exp, {
    inputWidth: data.featureDim,
    vocab: data.vocab?.tokens.length,
    charVocab: data.charVocab?.tokens.length,
    outDims: new Map(exp.tasks.map((t) => [t.id, t.kind === 'regression' ? 1 : data.labelNames[t.id]?.length ?? 0])),
  });
  const L = LIMITS.parameters;
  const what = `the model has ${formatCount(count)} trainable parameters with this data (${data.vocab ? `vocabulary ${data.vocab.tokens.length}` : `${data.featureDim} input columns`})`;
  if (count > L.hard) throw new ExperimentFileError(`${what}, above the limit of ${formatCount(L.hard)}: ${L.why}; use narrower layers${data.vocab ? ', a smaller embeddingDim or a higher data.minFreq' : ''}`, 'encoder', []);
  return count > L.soft ? { count, warning: `${what}, above ${formatCount(L.soft)}: ${L.why}` } : { count };
}

/**
 * The best-validation checkpoint a failed run leaves behind: the newest `best` this process wrote
 * (a `run/checkpoint` event is sent only once it is in place, so a write that failed does not
 * count), else the resumed run's best when the run folder holds one; epoch 0 when there is none.
 */
export function bestCheckpointSoFar(events: readonly TrainerEvent[], resumed: TrainState['monitor'] | undefined, bestOnDisk: boolean): { epoch: number; valid: RunSummary['best']['valid'] } {
  let epoch = 0;
  for (const e of events) if (e.type === 'run/checkpoint' && e.kind === 'best') epoch = e.epoch;
  if (epoch > 0) {
    const ev = events.find((e) => e.type === 'run/epoch' && e.epoch === epoch);
    return { epoch, valid: ev?.type === 'run/epoch' ? ev.valid : {} };
  }
  if (bestOnDisk && resumed && resumed.bestEpoch > 0) return { epoch: resumed.bestEpoch, valid: resumed.bestValid ?? {} };
  return { epoch: 0, valid: {} };
}

/** Versions recorded in `meta.json`. */
export function versions(): { node: string; tfjs: string; extension: string } {
  return { node: process.version, tfjs: tf.version_core, extension: (pkg as { version: string }).version };
}

/**
 * Runs one training request. Never throws: failures become a `run/error` event (with `where` when
 * the problem is in the user's input) and an outcome with `error`. Abort `signal` to stop after the
 * current step; the run keeps its events and last checkpoint and ends with status `stopped`.
 */
export async function runTraining(options: TrainRequestOptions, onEvent: (e: TrainerEvent) => void, signal?: AbortSignal): Promise<RunOutcome> {
  const t0 = performance.now();
  /** A resumed run's times continue from its last event (so one run's `t` only grows). */
  let tOffset = 0;
  const now = () => tOffset + Math.round(performance.now() - t0);
  const experimentPath = path.resolve(options.experimentPath);
  let runId = `${timestampName(new Date())}-${slug(path.basename(experimentPath).replace(/\.fmtl\.json$|\.json$/, ''))}`;
  let folder: RunFolder | undefined;
  const events: TrainerEvent[] = [];
  let heldDone: TrainerEvent | undefined;
  /** Set once the run is failing: a write error then no longer throws (the first one is reported). */
  let failing = false;
  /** Newest `t` sent: two clocks (this request's, train's) meet in one log, whose `t` never goes back. */
  let lastT = 0;
  const emit = (e: TrainerEvent): void => {
    if (e.t < lastT) e = { ...e, t: lastT };
    lastT = e.t;
    if (e.type === 'run/done') { heldDone = e; return; } // sent last, after summary and report
    try {
      folder?.append(e);
    } catch (err) {
      if (!failing) throw err;
    }
    if (folder) events.push(e);
    onEvent(e);
  };
  const log = (level: 'info' | 'warn' | 'error', message: string) => emit({ type: 'run/log', runId, t: now(), level, message });

  let resume: TrainState | undefined;
  let resumeBest: { name: string; tensor: tf.Tensor }[] | undefined;
  try {
    // 1. The experiment: the file as written, or the resumed run's own config snapshot.
    const loaded = loadExperimentFile(experimentPath, options.dataAccess);
    let exp: Experiment;
    let resumedFrom: string | undefined;
    if (options.resume) {
      const runDir = path.resolve(options.resume);
      const snap = readRunJson<Experiment>(runDir, RUN_FILES.config);
      if (!snap) throw new ExperimentFileError(`cannot resume: ${path.join(runDir, RUN_FILES.config)} is missing or unreadable`, runDir, []);
      const issues = validateExperiment(snap).filter((i) => i.severity === 'error');
      if (issues.length) throw new ExperimentFileError(`cannot resume: the run's config.json is invalid (${issues[0].pathText}: ${issues[0].message})`, runDir, issues);
      exp = withDefaults(snap);
      resumedFrom = runDir;
    } else {
      exp = requireExperiment(loaded);
    }

    // 2. Overrides: a sweep cell's values (not on resume: the snapshot already has them), then the variant.
    if (options.overrides?.length && !resumedFrom) {
      exp = applyOverrides(exp, options.overrides);
      const overrideErrors = validateExperiment(exp).filter((i) => i.severity === 'error');
      if (overrideErrors.length) {
        const what = options.overrides.map((o) => `${formatPath(o.path)}=${JSON.stringify(o.value)}`).join(', ');
        throw new ExperimentFileError(`${what} makes the experiment invalid: ${overrideErrors[0].pathText}: ${overrideErrors[0].message}`, overrideErrors[0].pathText, overrideErrors);
      }
    }
    exp = applyVariant(exp, options.variant);
    if (options.epochs !== undefined) {
      if (!(Number.isInteger(options.epochs) && options.epochs >= 1)) throw new ExperimentFileError(`--epochs must be an integer >= 1 (got ${options.epochs})`, 'epochs', []);
      exp.training.epochs = options.epochs;
    }
    const seed = options.seed ?? exp.training.seed;
    if (!(Number.isInteger(seed) && seed >= 0)) throw new ExperimentFileError(`--seed must be an integer >= 0 (got ${seed})`, 'seed', []);
    // The data split keeps its own seed (withDefaults fixed it), so seed studies share one split.
    exp.training.seed = seed;
    const variantErrors = validateExperiment(exp).filter((i) => i.severity === 'error');
    if (variantErrors.length) {
      throw new ExperimentFileError(`variant '${options.variant}' makes the experiment invalid: ${variantErrors[0].pathText}: ${variantErrors[0].message}`, variantErrors[0].pathText, variantErrors);
    }
    runId = `${timestampName(new Date())}-${slug(exp.name)}`;

    // 3. Data files outside the folders this run may read are refused unless the user allowed them.
    const outside = outsideReads(exp, experimentPath, options.dataAccess);
    if (outside.length) {
      const issues = outsideIssues(outside, experimentPath, options.dataAccess);
      throw new ExperimentFileError(issues.map((i) => `${i.pathText}: ${i.message}`).join('\n'), issues[0].pathText, issues);
    }

    // 4. Backend, data, checkpoint to resume.
    const backend = await initBackend(options.backend ?? 'auto');
    const data = await prepareData(exp, path.dirname(experimentPath));
    const params = checkParameterCount(exp, data);
    let resumePoint: { kind: 'last' | 'best' | 'none'; skipped: string[]; cleaned: string[]; none?: string } | undefined;
    if (resumedFrom) {
      // A process still writing the folder (an orphaned trainer saving its last checkpoint after its
      // worker died) is given time to finish; resume then continues from what it saved.
      await waitForRunLock(resumedFrom, 15_000);
      const holder = lockHolder(resumedFrom);
      if (holder?.alive) throw new ExperimentFileError(`cannot resume: ${resumedFrom} is being trained by process ${holder.pid}${holder.host !== os.hostname() ? ` on ${holder.host}` : ''} (${RUN_FILES.lock}); stop it first`, resumedFrom, []);
      // What interrupted saves left behind goes first (a `.old` whose checkpoint is missing is put back).
      const cleaned = cleanStaleCheckpoints(resumedFrom);
      try {
        const point = await loadResumeCheckpoint(resumedFrom);
        resume = point.state;
        resumePoint = { kind: point.kind, skipped: point.skipped, cleaned };
        const bestDir = path.join(resumedFrom, 'checkpoints', 'best');
        if (point.kind === 'best') resumeBest = point.state.weights.map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
        else if (fs.existsSync(path.join(bestDir, MODEL_JSON))) resumeBest = (await loadCheckpoint(bestDir)).weights;
      } catch (e) {
        // Killed before its first checkpoint: the run trains again from the start, in its folder.
        resumePoint = { kind: 'none', skipped: [], cleaned, none: (e as Error).message };
      }
    }
    if (signal?.aborted) throw new Error('stopped before training started');

    // 5. The run folder: a new one, or the resumed run's own (its history continues in it).
    const hw = describeHardware();
    const tag = options.tag ?? (options.variant && options.variant !== 'asWritten' ? options.variant : undefined);
    let resumedMarker: RunStartEvent['resumed'];
    if (resumedFrom && resumePoint) {
      const history = readEvents(resumedFrom);
      const loggedTo = history.reduce((m, e) => (e.type === 'run/step' ? Math.max(m, e.step) : m), 0);
      const meta = readRunJson<RunMeta>(resumedFrom, RUN_FILES.meta);
      const reopened = RunFolder.reopen(resumedFrom, meta?.runId ?? history[0]?.runId);
      folder = reopened.folder;
      tOffset = reopened.lastT + 1;
      resumePoint.cleaned.push(...reopened.cleaned);
      const from = { step: resume?.step ?? 0, epoch: resume?.epoch ?? 0 };
      resumedMarker = { ...from, checkpoint: resumePoint.kind, redoneSteps: Math.max(0, loggedTo - from.step) };
      if (meta) {
        // Each session's backend and versions, so a result is tied to every machine that trained it.
        const resumes = [...(meta.resumes ?? []), { at: new Date().toISOString(), fromStep: from.step, checkpoint: resumePoint.kind, backend, versions: versions(), hardware: { os: hw.os, cpus: hw.cpus, cpuModel: hw.cpuModel, memoryBytes: hw.memoryBytes } }];
        writeJsonAtomic(path.join(folder.dir, RUN_FILES.meta), { ...meta, resumes });
      }
    } else folder = RunFolder.create({
      runsDir: options.runsDir ? path.resolve(options.runsDir) : defaultRunsDir(experimentPath),
      name: exp.name,
      tag,
      config: exp,
      meta: {
        experimentPath,
        experimentSha256: createHash('sha256').update(loaded.text).digest('hex'),
        data: fingerprintData(exp, path.dirname(experimentPath)),
        seed,
        versions: versions(),
        backend,
        hardware: { os: hw.os, cpus: hw.cpus, cpuModel: hw.cpuModel, memoryBytes: hw.memoryBytes },
        request: {
          variant: options.variant, tag, epochs: options.epochs, seed: options.seed, resume: options.resume, backend: options.backend,
          ...(options.overrides?.length ? { overrides: options.overrides } : {}),
          ...(options.sweep ? { sweep: options.sweep } : {}),
        },
      },
    });
    runId = folder.id;
    const theFolder = folder;
    // What a saved model needs to read new inputs (vocabulary, label maps, scaling).
    writeJsonAtomic(path.join(folder.dir, RUN_FILES.preprocessing), preprocessingOf(exp, data));
    const warnings = resumedFrom ? [] : loaded.issues.filter((i) => i.severity === 'warning');
    if (params.warning) warnings.push({ path: [], pathText: '', severity: 'warning', message: params.warning });

    // 6. Train.
    // train's times count from its own start; the run's from this request's start (so `t` never
    // goes back within events.jsonl), a resumed run's continue from the previous sessions'.
    const trainT0 = now();
    const shifted = (e: TrainerEvent): TrainerEvent => (e.type === 'run/done' && tOffset
      ? { ...e, t: e.t + trainT0, summary: { ...e.summary, durationMs: e.summary.durationMs + tOffset } }
      : { ...e, t: e.t + trainT0 });
    const trained = await train(exp, data, {
      runId,
      onEvent: (raw) => {
        const e = shifted(raw);
        if (e.type !== 'run/start') { emit(e); return; }
        // The resume marker belongs on run/start (train does not know it); the file's warnings and
        // what resuming found follow it so every viewer of the run sees them.
        emit(resumedFrom ? { ...e, resumedFrom, resumed: resumedMarker } : e);
        if (resumePoint && resumedMarker) {
          const r = resumedMarker;
          if (resumePoint.none) log('warn', `${resumePoint.none}: training again from the start, in the same folder${r.redoneSteps ? ` (the ${r.redoneSteps} steps logged before the interruption are replaced)` : ''}`);
          else log('info', `resumed from the ${r.checkpoint} checkpoint (epoch ${r.epoch}, step ${r.step})${r.redoneSteps ? `; the ${r.redoneSteps} steps logged after it are trained again and replace their first record` : ''}`);
          for (const s of resumePoint.skipped) log('warn', `checkpoint not used: ${s}`);
          if (resumePoint.cleaned.length) log('info', `cleaned up after the interruption: ${resumePoint.cleaned.join('; ')}`);
        }
        for (const w of warnings) log('warn', `${w.pathText || '(root)'}: ${w.message}`);
      },
      signal,
      seed,
      backend,
      experimentPath,
      runDir: folder.dir,
      checkpoints: new FileCheckpointStore(folder.checkpointsDir),
      resume,
      resumeBest,
      predictions: { save: (file) => { writePredictions(path.join(theFolder.dir, RUN_FILES.predictions), predictionsFileName(file.header.split), file); } },
    });
    const summary = tOffset ? { ...trained, durationMs: trained.durationMs + tOffset } : trained;
    // Said again at the end (and after a resume, which does not repeat the file's warnings): what the perplexity is not.
    for (const a of leakingArrows(exp)) log('warn', `feedback '${a.id}': ${leakMessage(a.from, a.to)}`);
    const lm = exp.tasks.find((t) => t.kind === 'language-model');
    if (lm && exp.sharing?.crossStitch?.after.length) log('warn', `sharing.crossStitch: ${crossStitchLeakMessage(lm.id)}`);
    await finish(summary);
    return { runId, runDir: folder.dir, summary };
  } catch (err) {
    failing = true;
    const e = err as Error;
    const where = err instanceof DataError || err instanceof ExperimentFileError ? err.where : err instanceof DiskError ? err.path : undefined;
    const user = err instanceof DataError || err instanceof ExperimentFileError || err instanceof DiskError;
    emit({ type: 'run/error', runId, t: now(), message: e.message ?? String(err), ...(where ? { where } : {}), ...(!user && e.stack ? { stack: e.stack } : {}) });
    if (folder) {
      // The run folder exists: close it as failed, with whatever the events say was done.
      const epochs = events.filter((x) => x.type === 'run/epoch');
      const lastEpoch = epochs[epochs.length - 1];
      const best = bestCheckpointSoFar(events, resume?.monitor, fs.existsSync(path.join(folder.checkpointsDir, 'best', 'model.json')));
      const summary: RunSummary = {
        status: 'failed',
        epochs: lastEpoch?.type === 'run/epoch' ? lastEpoch.epoch : resume?.epoch ?? 0,
        steps: events.reduce((s, x) => (x.type === 'run/step' ? Math.max(s, x.step) : s), resume?.step ?? 0),
        bestEpoch: best.epoch,
        best: { valid: best.valid },
        last: { valid: lastEpoch?.type === 'run/epoch' ? lastEpoch.valid : {} },
        gates: {},
        durationMs: now(),
        backend: tf.getBackend() ?? 'unknown',
      };
      heldDone = { type: 'run/done', runId, t: now(), summary };
      try {
        await finish(summary, e.message);
      } catch {
        // The summary cannot be written either (same full or read-only disk): the error above is
        // the one reported; viewers still get the end of the run.
        if (heldDone) onEvent(heldDone);
      }
      return { runId, runDir: folder.dir, summary, error: { message: e.message, where } };
    }
    return { runId, error: { message: e.message ?? String(err), where } };
  } finally {
    if (resume) tf.dispose([...resume.weights, ...resume.optimizer].map((w) => w.tensor));
    if (resumeBest) tf.dispose(resumeBest.map((w) => w.tensor));
    folder?.close();
  }

  /** summary.json, report, then the held-back run/done. */
  async function finish(summary: RunSummary, error?: string): Promise<void> {
    if (!folder) return;
    const file: RunSummaryFile = { ...summary, runId, finishedAt: new Date().toISOString(), ...(error ? { error } : {}) };
    folder.writeSummary(file);
    try {
      // A resumed run's report shows its whole history, not only this session.
      await writeReport(folder.dir, tOffset ? readEvents(folder.dir) : events);
    } catch (e) {
      log('warn', `could not write the HTML report: ${(e as Error).message}`);
    }
    const done = heldDone ?? { type: 'run/done', runId, t: now(), summary };
    heldDone = undefined;
    try { folder.append(done); } catch { /* summary.json is written; the last line is a courtesy */ }
    onEvent(done);
  }
}
