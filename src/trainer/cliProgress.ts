/**
 * The CLI's live progress: on a TTY one line redrawn (epoch, step, loss, ETA), otherwise one plain
 * line per epoch. Formatting over `TrainerEvent`s; the only side effect is writing to the given
 * stream.
 */
import type { TrainerEvent } from '../shared/trainerProtocol';
import { formatDuration } from '../shared/duration';
import { formatMetric, NO_VALUE } from '../shared/metrics/catalogue';
import { shortMetrics } from './cliTables';

interface Writable {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * Live progress. On a TTY one line is redrawn (at most ~10 times a second); otherwise one line is
 * printed per epoch. `onEvent` takes every event of the run.
 */
export class ProgressView {
  private epochs = 0;
  private stepsPerEpoch = 0;
  private startStep = 0;
  private startT = 0;
  private lastDraw = 0;
  private lineShown = false;
  private lossEma: number | undefined;
  /** Non-`fixed` loss weighting: the last step's task weights, shown compactly. */
  private dynamicWeights = false;
  private weights: Record<string, number> | undefined;

  constructor(private readonly out: Writable, private readonly tty = !!out.isTTY) {}

  onEvent(e: TrainerEvent): void {
    switch (e.type) {
      case 'run/start': {
        this.epochs = e.config.training.epochs;
        this.stepsPerEpoch = e.sizes.stepsPerEpoch;
        this.startT = e.t;
        this.dynamicWeights = (e.config.lossWeighting?.type ?? 'fixed') !== 'fixed';
        const s = e.sizes;
        const b = e.backend;
        this.print(`run ${e.runId}`);
        this.print(`  backend ${b.name} (${b.package}${b.gpu ? ', GPU' : ''}${b.detail ? `, ${b.detail}` : ''})  seed ${e.seed}`);
        if (e.resumed) {
          const r = e.resumed;
          this.print(r.checkpoint === 'none'
            ? `  resumed in ${e.runDir}: no checkpoint was complete, training again from the start`
            : `  resumed in ${e.runDir} from the ${r.checkpoint} checkpoint: epoch ${r.epoch}, step ${r.step}${r.redoneSteps ? ` (${r.redoneSteps} steps logged after it are trained again)` : ''}`);
        }
        this.print(`  data train ${s.train} · valid ${s.valid} · test ${s.test}${s.vocab ? ` · vocab ${s.vocab}` : ''}  parameters ${s.parameters.toLocaleString('en-US')}  ${s.stepsPerEpoch} steps/epoch`);
        break;
      }
      case 'run/step': {
        if (!this.startStep) this.startStep = e.step - 1;
        this.lossEma = this.lossEma === undefined ? e.total : 0.9 * this.lossEma + 0.1 * e.total;
        if (e.weights) this.weights = e.weights;
        if (!this.tty) return;
        const nowMs = e.t;
        if (nowMs - this.lastDraw < 100 && e.step % this.stepsPerEpoch !== 0) return;
        this.lastDraw = nowMs;
        this.draw(e.epoch, e.step, e.t, e.tau);
        break;
      }
      case 'run/epoch': {
        const mon = e.monitor ? `  ${e.monitor.metric} ${formatMetric(e.monitor.metric, e.monitor.value)}${e.monitor.improved ? ' *' : ''}` : '';
        const loss = Object.values(e.trainLoss).reduce((a, b) => a + b, 0);
        // After a mid-epoch resume the epoch's loss covers only the steps since the resume: say so.
        const counted = e.resumedAtStep !== undefined ? ` (${e.stepsCounted} of ${this.stepsPerEpoch} steps: resumed at step ${e.resumedAtStep})` : '';
        this.print(`epoch ${String(e.epoch).padStart(String(this.epochs).length)}/${this.epochs}  loss ${loss.toFixed(4)}${counted}  valid ${shortMetrics(e.valid)}${mon}${this.weightsText('  weights ')}  ${formatDuration(e.ms)}`);
        break;
      }
      case 'run/log':
        if (e.level !== 'info') this.print(`${e.level}: ${e.message}`);
        break;
      case 'run/error':
        this.print(`error: ${e.message}${e.where && !e.message.includes(e.where) ? ` (at ${e.where})` : ''}`);
        break;
      case 'run/done':
        this.clear();
        break;
      case 'run/iterationDeltas':
      case 'run/gates':
      case 'run/checkpoint':
        break;
    }
  }

  /** ` w intent 0.83 slots 1.17` (the last step's loss weights) when the weighting is not `fixed`. */
  private weightsText(label: string): string {
    if (!this.dynamicWeights || !this.weights) return '';
    return label + Object.entries(this.weights).map(([t, w]) => `${t} ${w.toPrecision(3)}`).join(' ');
  }

  /** Print a message above the live line. */
  print(line: string): void {
    this.clear();
    this.out.write(line + '\n');
  }

  private clear(): void {
    if (this.tty && this.lineShown) { this.out.write('\r\x1b[2K'); this.lineShown = false; }
  }

  private draw(epoch: number, step: number, t: number, tau: number): void {
    const inEpoch = step - (epoch - 1) * this.stepsPerEpoch;
    const total = this.epochs * this.stepsPerEpoch;
    const done = step - this.startStep;
    const rate = done > 0 ? (t - this.startT) / done : NaN;
    const eta = formatDuration(rate * (total - step));
    const cols = Math.max(40, this.out.columns ?? 80);
    const text = ` ${inEpoch}/${this.stepsPerEpoch}  loss ${this.lossEma?.toFixed(4) ?? NO_VALUE}${this.weightsText('  w ')}  τ ${tau.toFixed(2)}  ETA ${eta}`;
    const head = `epoch ${epoch}/${this.epochs} `;
    const barWidth = Math.max(10, Math.min(30, cols - head.length - text.length - 3));
    const frac = Math.min(1, inEpoch / this.stepsPerEpoch);
    const fill = Math.round(frac * barWidth);
    const line = `${head}[${'#'.repeat(fill)}${'.'.repeat(barWidth - fill)}]${text}`;
    this.out.write('\r\x1b[2K' + line.slice(0, cols - 1));
    this.lineShown = true;
  }
}
