/**
 * Messages between the extension host and the run charts webview (`webview/charts/main.ts`).
 *
 * Flow: the webview posts `webview/ready`; the host answers with one `run/snapshot` holding every
 * run of the panel (bounded, host-side buffers from the RunStore), then streams `run/events`
 * batches, coalesced (one message per run every ~100 ms, never one per event). When a hidden panel
 * is shown again, its webview starts over and sends `webview/ready` again, so it is re-hydrated from
 * the host buffers. The same snapshot shape is embedded in the static `report.html`.
 *
 * All messages travel inside `Channel` envelopes (`channel.ts`); `charts/export` is a request whose
 * reply is a `ChartsExportResult`.
 */
import type { Experiment } from './experimentTypes';
import type { PredictReply, TrainerEvent } from './trainerProtocol';
import type { PredictionsFile } from './predictions/format';

/** Lifecycle of a run as the host knows it. */
export type RunViewStatus = 'running' | 'completed' | 'stopped' | 'early-stopped' | 'failed' | 'unknown';

/** Everything the webview needs to draw one run from scratch. */
export interface RunSnapshot {
  /** Run id (the `runId` of its events). */
  id: string;
  /** Display name, e.g. the run folder name `penguins-2026-11-23T10-00-00-ablation-static`. */
  name: string;
  /**
   * Stable colour slot of this run (index into the `--vscode-charts-*` palette). The host assigns it
   * so a run keeps its colour across panels and re-hydration.
   */
  colorIndex: number;
  /** Experiment as trained (from `run/start`), when known; the compare view diffs these. */
  config?: Experiment;
  /** Run folder on disk, when known. */
  runDir?: string;
  status: RunViewStatus;
  /** Bounded event buffer, oldest first (old step events may be downsampled by the host). */
  events: TrainerEvent[];
}

/** What the panel shows: one run, or several overlaid. */
export type RunViewMode = 'single' | 'compare';

// ---------------------------------------------------------------- host -> webview

/** Full state of the panel; replaces whatever the webview had. */
export interface RunSnapshotMessage {
  type: 'run/snapshot';
  mode: RunViewMode;
  runs: RunSnapshot[];
}

/** New events of one run since the last message (coalesced batch, oldest first). */
export interface RunEventsMessage {
  type: 'run/events';
  runId: string;
  events: TrainerEvent[];
}

/** A run's status changed (e.g. finished) without new events worth sending. */
export interface RunStatusMessage {
  type: 'run/status';
  runId: string;
  status: RunViewStatus;
}

/** Host -> webview. */
export type HostToChartsMessage = RunSnapshotMessage | RunEventsMessage | RunStatusMessage;

// ---------------------------------------------------------------- webview -> host

/** The webview's script has loaded and listens; the host answers with a `run/snapshot`. */
export interface WebviewReadyMessage {
  type: 'webview/ready';
}

/** Formats the webview can export. */
export type ExportFormat = 'png' | 'svg' | 'csv' | 'json';

/**
 * Request: save a file the webview rendered (the host shows a save dialog). `content` is text for
 * svg/csv/json and base64 (no `data:` prefix) for png.
 */
export interface ChartsExportRequest {
  type: 'charts/export';
  format: ExportFormat;
  /** Suggested file name, e.g. `penguins-loss-species.png`. */
  fileName: string;
  content: string;
  encoding: 'utf8' | 'base64';
}

/** Reply to `charts/export`: where it was saved, or nothing if the user cancelled. */
export interface ChartsExportResult {
  savedPath?: string;
}

/** A problem inside the webview the user should hear about (shown by the host, logged). */
export interface ChartsLogMessage {
  type: 'charts/log';
  level: 'info' | 'warn' | 'error';
  message: string;
}

/** Request: a run's per-example predictions (`predictions/<split>.jsonl`, best checkpoint). Reply: `ExamplesLoadResult`. */
export interface ExamplesLoadRequest {
  type: 'examples/load';
  runId: string;
  split: 'valid' | 'test';
}

/** Reply to `examples/load`: the parsed file, or why there is none. */
export interface ExamplesLoadResult {
  file?: PredictionsFile;
  /** E.g. the run predates predictions files, or is still training. */
  error?: string;
  path?: string;
}

/** Request: run a run's trained model on typed text (in a trainer process). Reply: `TryModelResult`. */
export interface TryModelRequest {
  type: 'model/try';
  runId: string;
  text: string;
}

/** Reply to `model/try`. */
export interface TryModelResult {
  reply?: PredictReply;
  error?: string;
}

/** Webview -> host. */
export type ChartsToHostMessage = WebviewReadyMessage | ChartsExportRequest | ChartsLogMessage | ExamplesLoadRequest | TryModelRequest;
