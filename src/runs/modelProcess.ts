/**
 * Try the model: a trainer child process (`dist/trainer.js`) that keeps a run's trained model
 * loaded and answers `trainer/predict` requests, so typing into the run view never loads tfjs or
 * a model into the extension host. Started on the first request, killed on `dispose` (or when it
 * dies, restarted by the next request).
 *
 * No vscode import, so it is tested against the real trainer bundle in plain node.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Channel, type Port } from '../shared/channel';
import type { PredictReply, TrainerCommand, TrainerEvent } from '../shared/trainerProtocol';
import type { TrainerLaunch } from './trainerProcess';

/** First request may load tfjs, the backend and the model: allow for a slow machine. */
const PREDICT_TIMEOUT_MS = 60_000;

export class ModelProcess {
  private child: ChildProcess | undefined;
  private channel: Channel<TrainerEvent, TrainerCommand> | undefined;
  private lastStderr: string[] = [];

  constructor(private readonly launch: TrainerLaunch, private readonly log?: (line: string) => void) {}

  /** Answers `inputs` with the model of `runDir` (best checkpoint, else last). */
  async predict(runDir: string, inputs: PredictReplyInputs): Promise<PredictReply> {
    const channel = this.start();
    try {
      return await channel.request<PredictReply>({ type: 'trainer/predict', runDir, inputs }, PREDICT_TIMEOUT_MS);
    } catch (e) {
      const tail = this.lastStderr.slice(-3).join(' | ');
      throw new Error(`${(e as Error).message}${tail && !this.child ? ` (trainer: ${tail})` : ''}`);
    }
  }

  private start(): Channel<TrainerEvent, TrainerCommand> {
    if (this.child && this.channel && this.child.exitCode === null && this.child.connected) return this.channel;
    const child = fork(this.launch.trainerPath, [], {
      execPath: this.launch.execPath || process.execPath,
      cwd: this.launch.cwd,
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ...this.launch.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      for (const l of d.split('\n').filter(Boolean)) { this.lastStderr.push(l); this.log?.(`[model] ${l}`); }
      this.lastStderr = this.lastStderr.slice(-20);
    });
    child.stdout?.setEncoding('utf8').on('data', (d: string) => { for (const l of d.split('\n').filter(Boolean)) this.log?.(`[model] ${l}`); });
    const port: Port = {
      post: (m) => { if (child.connected) child.send(m as object); },
      onMessage: (listener) => { child.on('message', listener); return { dispose: () => { child.off('message', listener); } }; },
    };
    const channel = new Channel<TrainerEvent, TrainerCommand>(port);
    child.on('exit', () => {
      channel.dispose();
      if (this.child === child) { this.child = undefined; this.channel = undefined; }
    });
    child.on('error', (e) => this.log?.(`[model] ${e.message}`));
    this.child = child;
    this.channel = channel;
    return channel;
  }

  dispose(): void {
    this.channel?.dispose();
    if (this.child && this.child.exitCode === null) this.child.kill();
    this.child = undefined;
    this.channel = undefined;
  }
}

type PredictReplyInputs = (string | Record<string, string>)[];
