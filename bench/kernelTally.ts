/**
 * Where a step's time goes, by tfjs kernel: feed it the `kernels` of one `tf.profile` per measured
 * step; it sums wall time and calls per kernel name. Used by bench/kernelProfile.ts (the whole SNIPS
 * step) and bench/encoderBench.ts --profile (one layer's step).
 */
/** What tf.profile reports per kernel call (the fields used here). */
type KernelCall = { name: string; kernelTimeMs: unknown };

/** A kernel's share of the profiled steps. */
export interface KernelRow { name: string; msPerStep: number; share: number; callsPerStep: number }

export class KernelTally {
  private readonly byKernel = new Map<string, { ms: number; calls: number }>();
  private steps = 0;

  /** One profiled step's kernels. */
  add(kernels: readonly KernelCall[]): void {
    this.steps++;
    for (const k of kernels) {
      const e = this.byKernel.get(k.name) ?? { ms: 0, calls: 0 };
      e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      e.calls++;
      this.byKernel.set(k.name, e);
    }
  }

  /** Kernel time and calls per step, and the kernels by time, largest first (`limit` of them). */
  summary(limit = Infinity): { steps: number; kernelMsPerStep: number; kernelCallsPerStep: number; top: KernelRow[] } {
    const n = Math.max(1, this.steps);
    const kernelMs = [...this.byKernel.values()].reduce((a, e) => a + e.ms, 0);
    const top = [...this.byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, limit).map(([name, e]) => ({
      name, msPerStep: Math.round(e.ms / n * 10) / 10, share: Math.round(e.ms / kernelMs * 1000) / 1000, callsPerStep: Math.round(e.calls / n),
    }));
    return {
      steps: this.steps, kernelMsPerStep: Math.round(kernelMs / n),
      kernelCallsPerStep: Math.round([...this.byKernel.values()].reduce((a, e) => a + e.calls, 0) / n), top,
    };
  }
}
