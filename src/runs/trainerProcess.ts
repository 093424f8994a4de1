/**
 * Lifecycle of one trainer child process (`dist/trainer.js`): fork, one `trainer/train` request over
 * the IPC `Channel`, events back, stop with a deadline, kill. The host never parses stdout: stdout
 * and stderr lines only go to the log (the output channel) and the crash report's last lines.
 *
 * No vscode import, so the routing is tested against a real forked process in plain node.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as readline from 'node:readline';
import { Channel, type Port } from '../shared/channel';
import type { RunSummary, TrainerCommand, TrainerEvent, TrainRequestOptions } from '../shared/trainerProtocol';

/** How to start the trainer. */
export interface TrainerLaunch {
  /** Absolute path of the bundled trainer entry (`dist/trainer.js`). */
  trainerPath: string;
  /**
   * Node executable. Undefined: this process's own runtime (VS Code's Electron, run as plain Node
   * through `ELECTRON_RUN_AS_NODE`).
   */
  execPath?: string;
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Grace period after `trainer/stop` (and after `run/done`) before the process is killed. Default 2000 ms. */
  killAfterMs?: number;
  /** Log lines kept for a crash report. Default 40. */
  keepLines?: number;
}

/** Where the trainer's output goes. */
export interface TrainerCallbacks {
  onEvent(event: TrainerEvent): void;
  /** One line of the trainer's stdout/stderr, or a `run/log` message. */
  onLog(line: string, source: 'stdout' | 'stderr' | 'trainer'): void;
}

/** How a trainer process ended. */
export type TrainerOutcome =
  /** The run finished (`run/done`), whatever its status (completed, stopped, early-stopped, failed). */
  | { kind: 'done'; runId: string; summary: RunSummary; exitMs: number }
  /** The process did not stop within the grace period after a stop request and was killed. */
  | { kind: 'killed'; runId?: string; message: string; lastLines: string[]; exitMs: number }
  /** The process could not start, exited without `run/done`, or refused the request. */
  | { kind: 'failed'; runId?: string; message: string; lastLines: string[]; exitCode: number | null; signal: string | null; exitMs: number };

/** One trainer process running one training request. */
export class TrainerProcess {
  /** Settles once the process has exited (never rejects). */
  readonly finished: Promise<TrainerOutcome>;
  /** Run id, once `run/start` arrived. */
  runId: string | undefined;

  private readonly child: ChildProcess;
  private readonly channel: Channel<TrainerEvent, TrainerCommand>;
  private readonly lines: string[] = [];
  private readonly keepLines: number;
  private readonly killAfterMs: number;
  private summary: RunSummary | undefined;
  private errorMessage: string | undefined;
  private stopRequestedAt: number | undefined;
  private killedAfterStop = false;
  private killTimer: ReturnType<typeof setTimeout> | undefined;
  private exited = false;
  private readonly startedAt = Date.now();

  /** Fork the trainer and send it the request. */
  constructor(launch: TrainerLaunch, request: TrainRequestOptions, private readonly cb: TrainerCallbacks) {
    this.keepLines = launch.keepLines ?? 40;
    this.killAfterMs = launch.killAfterMs ?? 2000;
    let spawnError: Error | undefined;
    this.child = fork(launch.trainerPath, [], {
      execPath: launch.execPath || process.execPath,
      cwd: launch.cwd,
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ...launch.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    const child = this.child;
    for (const [stream, source] of [[child.stdout, 'stdout'], [child.stderr, 'stderr']] as const) {
      if (!stream) continue;
      readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => this.log(line, source));
    }
    const port: Port = {
      post: (m) => {
        if (child.connected) child.send(m as object, (err) => { if (err) this.log(`could not send to the trainer: ${err.message}`, 'stderr'); });
      },
      onMessage: (l) => {
        child.on('message', l);
        return { dispose: () => { child.off('message', l); } };
      },
    };
    this.channel = new Channel<TrainerEvent, TrainerCommand>(port);
    this.channel.onAny((e) => this.onEvent(e));

    this.finished = new Promise<TrainerOutcome>((resolve) => {
      child.once('error', (err) => {
        spawnError = err;
        this.log(`could not start the trainer (${launch.execPath || process.execPath} ${launch.trainerPath}): ${err.message}`, 'stderr');
        // 'exit' may not follow a spawn failure.
        if (child.pid === undefined) finish(null, null);
      });
      child.once('exit', (code, signal) => finish(code, signal));
      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (this.exited) return;
        this.exited = true;
        if (this.killTimer) clearTimeout(this.killTimer);
        const exitMs = Date.now() - (this.stopRequestedAt ?? this.startedAt);
        // Let readline deliver the last buffered lines before reporting.
        setImmediate(() => {
          this.channel.dispose();
          if (this.summary && this.runId) {
            resolve({ kind: 'done', runId: this.runId, summary: this.summary, exitMs });
          } else if (this.killedAfterStop) {
            resolve({ kind: 'killed', runId: this.runId, message: `the trainer did not stop within ${this.killAfterMs} ms and was killed; the run folder keeps what was written`, lastLines: [...this.lines], exitMs });
          } else {
            const why = spawnError ? `could not start the trainer: ${spawnError.message}`
              : this.errorMessage ?? (signal ? `the trainer process was killed (${signal})` : `the trainer process exited with code ${code} before finishing the run`);
            resolve({ kind: 'failed', runId: this.runId, message: why, lastLines: [...this.lines], exitCode: code, signal, exitMs });
          }
        });
      };
    });

    // No timeout: a run takes as long as it takes; events, not the reply, carry the result.
    this.channel.request({ type: 'trainer/train', options: request }, 0).catch((err: Error) => {
      if (this.exited || err.message === 'channel disposed') return;
      this.errorMessage ??= err.message;
      this.log(`trainer refused the request: ${err.message}`, 'stderr');
      this.release();
    });
  }

  /** Process id (undefined if it could not start). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  /**
   * Ask the trainer to stop after its current step (it saves the last checkpoint and sends
   * `run/done` with status `stopped`); kill it if it has not exited within the grace period.
   */
  stop(): Promise<TrainerOutcome> {
    if (!this.exited && this.stopRequestedAt === undefined) {
      this.stopRequestedAt = Date.now();
      this.channel.notify({ type: 'trainer/stop' });
      this.armKill(() => { this.killedAfterStop = !this.summary; });
    }
    return this.finished;
  }

  /** Kill now (window closing, extension deactivating). */
  kill(): void {
    if (this.exited) return;
    try {
      this.child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }

  private onEvent(e: TrainerEvent): void {
    if (e.type === 'run/start') this.runId = e.runId;
    if (e.type === 'run/log') this.log(e.message, 'trainer', e.level);
    if (e.type === 'run/error') {
      this.errorMessage = e.where ? `${e.message} (at ${e.where})` : e.message;
      this.log(`error: ${this.errorMessage}`, 'trainer', 'error');
    }
    try {
      this.cb.onEvent(e);
    } catch (err) {
      this.log(`event handler failed: ${(err as Error).message}`, 'stderr');
    }
    if (e.type === 'run/done') {
      this.summary = e.summary;
      this.runId ??= e.runId;
      this.release();
    }
  }

  /** The run is over: close IPC so the trainer can exit on its own; kill it if it lingers. */
  private release(): void {
    if (this.exited) return;
    setImmediate(() => {
      if (this.child.connected) this.child.disconnect();
    });
    this.armKill();
  }

  private armKill(before?: () => void): void {
    if (this.killTimer || this.exited) return;
    this.killTimer = setTimeout(() => {
      this.killTimer = undefined;
      if (this.exited) return;
      before?.();
      this.kill();
    }, this.killAfterMs);
  }

  private log(line: string, source: 'stdout' | 'stderr' | 'trainer', level?: string): void {
    const text = level && level !== 'info' ? `[${level}] ${line}` : line;
    this.lines.push(text);
    if (this.lines.length > this.keepLines) this.lines.shift();
    try {
      this.cb.onLog(text, source);
    } catch {
      // a broken log sink must not break training
    }
  }
}
