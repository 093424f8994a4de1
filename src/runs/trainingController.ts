/**
 * One training at a time in this window (two cores are not enough for two): starts the trainer
 * process, feeds its events to the RunStore, and shows it — a cancellable progress notification,
 * the status bar item, the `feedbackMtl.training` context key, the log in the output channel.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TrainerEvent, TrainRequestOptions } from '../shared/trainerProtocol';
import { nativeKernelsEnv } from './nativeKernels';
import { progressMessage, statusBarText, type ProgressState } from './progressText';
import type { RunStore } from './runStore';
import { TrainerProcess, type TrainerOutcome } from './trainerProcess';
import { runsDirOverride } from './workspaceRuns';

/** What one call of `train()` asks for. */
export interface TrainJob {
  experimentPath: string;
  /** Shown in the notification and status bar. */
  name: string;
  /** e.g. `ablation 2/3: fixed`. */
  label?: string;
  request?: Partial<TrainRequestOptions>;
  /** Shared across the jobs of a sequence (ablation) so one Cancel ends them all. */
  cancel?: vscode.CancellationTokenSource;
}

export interface TrainResult {
  outcome: TrainerOutcome;
  cancelled: boolean;
  runId?: string;
  /** The trainer had the native kernels (its backend line said so, or it was handed them). */
  nativeKernels: boolean;
}

export class TrainingController implements vscode.Disposable {
  private current: { proc: TrainerProcess; job: TrainJob; cancelled: boolean } | undefined;
  private readonly statusItem: vscode.StatusBarItem;
  private readonly started = new vscode.EventEmitter<void>();
  /** A training started or ended. */
  readonly onDidChangeState = this.started.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly store: RunStore,
    private readonly output: vscode.OutputChannel,
  ) {
    this.statusItem = vscode.window.createStatusBarItem('feedbackMtl.training', vscode.StatusBarAlignment.Left, 20);
    this.statusItem.name = 'Feedback MTL training';
  }

  get isTraining(): boolean {
    return !!this.current;
  }

  /** Run id and experiment of the training in progress. */
  get currentRun(): { runId?: string; experimentPath: string } | undefined {
    return this.current && { runId: this.current.proc.runId, experimentPath: this.current.job.experimentPath };
  }

  /** Ask the running trainer to stop (keeps the run); resolves when it has exited. */
  async stop(): Promise<void> {
    const cur = this.current;
    if (!cur) return;
    cur.cancelled = true;
    cur.job.cancel?.cancel();
    const t0 = Date.now();
    const out = await cur.proc.stop();
    this.output.appendLine(`[host] stop: trainer exited ${Date.now() - t0} ms after the stop request (${out.kind})`);
  }

  /** Kill without waiting (window closing). */
  killNow(): void {
    this.current?.proc.kill();
  }

  /** Train once; resolves when the trainer process has exited. Undefined if it could not start. */
  async train(job: TrainJob): Promise<TrainResult | undefined> {
    if (this.current) throw new Error('a training is already running');
    const trainerPath = this.context.asAbsolutePath(path.join('dist', 'trainer.js'));
    if (!fs.existsSync(trainerPath)) {
      void vscode.window.showErrorMessage(`Feedback MTL: the trainer bundle is missing (${trainerPath}). Build the extension with \`npm run build\`.`);
      return undefined;
    }
    const cfg = vscode.workspace.getConfiguration('feedbackMtl', vscode.Uri.file(job.experimentPath));
    const nodePath = cfg.get<string>('nodePath', '').trim();
    const backend = cfg.get<TrainRequestOptions['backend']>('backend', 'auto');
    const request: TrainRequestOptions = {
      experimentPath: job.experimentPath,
      runsDir: runsDirOverride(job.experimentPath),
      backend,
      ...job.request,
    };
    const t0 = Date.now();
    const state: ProgressState = { name: job.name, label: job.label, stepsSeen: 0, msSinceFirstStep: 0, phase: 'starting' };
    let firstStepAt: number | undefined;
    let usedNative = false;
    let dirty = true;
    const tag = request.tag;

    this.output.appendLine(`[host] train ${job.experimentPath}${job.label ? ` [${job.label}]` : ''} — backend ${backend}, node ${nodePath || `VS Code's runtime (${process.execPath})`}`);
    const onEvent = (e: TrainerEvent): void => {
      this.store.append(e);
      switch (e.type) {
        case 'run/start': {
          const info = this.store.getRun(e.runId);
          if (info && tag) info.tag = tag;
          state.epochs = e.config?.training?.epochs;
          state.plannedSteps = info?.plannedSteps;
          state.phase = this.current?.cancelled ? 'stopping' : 'training';
          this.output.appendLine(`[host] run ${e.runId} started ${Date.now() - t0} ms after the command: ${e.runDir} (backend ${e.backend.name}${e.backend.detail ? `, ${e.backend.detail}` : ''})`);
          for (const s of e.backend.skipped ?? []) this.output.appendLine(`[host]   skipped ${s.package}: ${s.reason}`);
          usedNative = e.backend.native === true;
          if (e.backend.name === 'wasm' && process.platform === 'linux' && /no native kernels/.test(e.backend.detail ?? '')) {
            this.output.appendLine('[host]   tip: "Feedback MTL: Build native kernels" compiles OpenBLAS-backed kernels for this machine (about 2x faster on text models; needs g++ and libopenblas0)');
          }
          this.statusItem.command = { title: 'Open run', command: 'feedbackMtl.openRun', arguments: [e.runId] };
          // Live charts beside the experiment, without taking focus from the editor.
          if (vscode.workspace.getConfiguration('feedbackMtl').get<boolean>('charts.openOnTrain', true)) {
            void vscode.commands.executeCommand('feedbackMtl.openRunCharts', e.runId, { beside: true });
          }
          break;
        }
        case 'run/step':
          if (firstStepAt === undefined) {
            firstStepAt = Date.now();
            this.output.appendLine(`[host] first step event ${firstStepAt - t0} ms after the command`);
          }
          state.stepsSeen++;
          state.msSinceFirstStep = Date.now() - firstStepAt;
          state.step = e.step;
          state.epoch = e.epoch;
          state.loss = e.total;
          break;
        case 'run/epoch':
          state.epoch = e.epoch;
          break;
        default:
          return;
      }
      dirty = true;
    };
    const env = nativeKernelsEnv(this.context);
    const proc = new TrainerProcess(
      { trainerPath, execPath: nodePath || undefined, cwd: path.dirname(job.experimentPath), env },
      request,
      { onEvent, onLog: (line, source) => this.output.appendLine(source === 'trainer' ? line : `[${source}] ${line}`) },
    );
    const cur = { proc, job, cancelled: false };
    this.current = cur;
    this.setTraining(true);
    this.statusItem.text = statusBarText(state);
    this.statusItem.tooltip = `Feedback MTL: training ${job.name}. Click to open its charts.`;
    this.statusItem.command = 'feedbackMtl.showLog';
    this.statusItem.show();

    const outcome = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Feedback MTL', cancellable: true },
      async (progress, token) => {
        let reported = 0;
        const onCancel = () => {
          if (cur.cancelled && state.phase === 'stopping') return;
          state.phase = 'stopping';
          dirty = true;
          void this.stop();
        };
        const subs = [token.onCancellationRequested(onCancel)];
        if (job.cancel) subs.push(job.cancel.token.onCancellationRequested(onCancel));
        if (job.cancel?.token.isCancellationRequested) onCancel();
        // Repaint at most 4 times a second, whatever the event rate.
        const paint = () => {
          if (!dirty) return;
          dirty = false;
          let increment: number | undefined;
          if (state.plannedSteps && state.step !== undefined) {
            const pct = Math.min(100, (state.step / state.plannedSteps) * 100);
            increment = pct - reported;
            reported = pct;
          }
          progress.report({ message: progressMessage(state), increment });
          this.statusItem.text = statusBarText(state);
        };
        paint();
        const timer = setInterval(paint, 250);
        try {
          return await proc.finished;
        } finally {
          clearInterval(timer);
          for (const s of subs) s.dispose();
        }
      },
    );

    this.current = undefined;
    this.statusItem.hide();
    this.setTraining(false);
    const runId = outcome.runId ?? proc.runId;
    // A trainer killed after a stop request is a stopped run whose folder holds what it wrote.
    if (runId) this.store.endLive(runId, outcome.kind === 'done' ? undefined : outcome.message, outcome.kind === 'killed' ? 'stopped' : 'failed');
    this.logOutcome(outcome, Date.now() - t0);
    return { outcome, cancelled: cur.cancelled, runId, nativeKernels: usedNative || (!!env.FMTL_NATIVE && env.FMTL_NATIVE !== '0') };
  }

  dispose(): void {
    this.killNow();
    this.statusItem.dispose();
    this.started.dispose();
  }

  private setTraining(on: boolean): void {
    void vscode.commands.executeCommand('setContext', 'feedbackMtl.training', on);
    this.started.fire();
  }

  private logOutcome(out: TrainerOutcome, ms: number): void {
    if (out.kind === 'done') {
      this.output.appendLine(`[host] run ${out.runId} ${out.summary.status} after ${(ms / 1000).toFixed(1)} s (${out.summary.epochs} epochs, ${out.summary.steps} steps, backend ${out.summary.backend})`);
      return;
    }
    this.output.appendLine(`[host] ${out.kind === 'killed' ? 'killed' : 'failed'}: ${out.message}`);
    if (out.lastLines.length) {
      this.output.appendLine('[host] last lines of the trainer:');
      for (const l of out.lastLines) this.output.appendLine(`  ${l}`);
    }
  }
}
