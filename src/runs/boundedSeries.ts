/**
 * A series with a hard memory bound for long runs: the newest `tailSize` items are kept exactly;
 * older items move into a downsampled head of at most `headSize` buckets. Each head bucket is the
 * weighted **mean** of the items it covers (weights = item counts), so the head keeps the series'
 * mean over every span it covers; spikes are averaged, not kept (min/max are not preserved).
 *
 * The head has a uniform resolution: a bucket holds `bucketWeight` items; when the head overflows,
 * neighbouring buckets merge pairwise and `bucketWeight` doubles. Memory never exceeds
 * `tailSize + headSize + 1` items however many are pushed.
 *
 * Pure: no node, no vscode. Used by the run store for step, iteration-delta and gate events.
 */
import { dict } from '../shared/dict';

/** Weighted merge of two items (`wa`, `wb` = how many original items each stands for). */
export type MergeFn<T> = (a: T, wa: number, b: T, wb: number) => T;

interface Bucket<T> {
  item: T;
  weight: number;
}

export class BoundedSeries<T> {
  private head: Bucket<T>[] = [];
  /** Items leaving the tail accumulate here until the bucket holds `bucketWeight` items. */
  private pending: Bucket<T> | undefined;
  private tail: T[] = [];
  /** Start index of the live part of `tail` (amortised O(1) shift). */
  private tailStart = 0;
  private bucketWeight = 1;
  private pushed = 0;

  /**
   * @param tailSize newest items kept exactly (>= 1)
   * @param headSize most downsampled buckets kept for older items (>= 2)
   * @param merge weighted merge of two items
   */
  constructor(readonly tailSize: number, readonly headSize: number, private readonly merge: MergeFn<T>) {
    if (!(tailSize >= 1) || !(headSize >= 2)) throw new Error(`BoundedSeries needs tailSize >= 1 and headSize >= 2 (got ${tailSize}, ${headSize})`);
  }

  /** Total items ever pushed. */
  get count(): number {
    return this.pushed;
  }

  /** Items currently held (head buckets + pending bucket + exact tail). */
  get size(): number {
    return this.head.length + (this.pending ? 1 : 0) + this.tail.length - this.tailStart;
  }

  /** How many original items one head bucket stands for now. */
  get resolution(): number {
    return this.bucketWeight;
  }

  push(item: T): void {
    this.pushed++;
    this.tail.push(item);
    if (this.tail.length - this.tailStart > this.tailSize) {
      const old = this.tail[this.tailStart];
      this.tail[this.tailStart++] = undefined as unknown as T;
      if (this.tailStart > 1024 && this.tailStart * 2 > this.tail.length) {
        this.tail = this.tail.slice(this.tailStart);
        this.tailStart = 0;
      }
      this.toHead(old);
    }
  }

  /** Oldest first: downsampled head, the partial bucket, then the exact tail. */
  values(): T[] {
    const out = this.head.map((b) => b.item);
    if (this.pending) out.push(this.pending.item);
    for (let i = this.tailStart; i < this.tail.length; i++) out.push(this.tail[i]);
    return out;
  }

  /** Like `values()` with the number of original items each entry stands for. */
  weighted(): { item: T; weight: number }[] {
    const out = this.head.map((b) => ({ item: b.item, weight: b.weight }));
    if (this.pending) out.push({ ...this.pending });
    for (let i = this.tailStart; i < this.tail.length; i++) out.push({ item: this.tail[i], weight: 1 });
    return out;
  }

  /** The newest item, if any. */
  last(): T | undefined {
    return this.tail.length > this.tailStart ? this.tail[this.tail.length - 1] : this.pending?.item ?? this.head.at(-1)?.item;
  }

  clear(): void {
    this.head = [];
    this.pending = undefined;
    this.tail = [];
    this.tailStart = 0;
    this.bucketWeight = 1;
    this.pushed = 0;
  }

  private toHead(item: T): void {
    const p = this.pending;
    this.pending = p ? { item: this.merge(p.item, p.weight, item, 1), weight: p.weight + 1 } : { item, weight: 1 };
    if (this.pending.weight < this.bucketWeight) return;
    this.head.push(this.pending);
    this.pending = undefined;
    if (this.head.length <= this.headSize) return;
    // Overflow: halve the head by merging neighbours; an odd last bucket stays as the partial one.
    const merged: Bucket<T>[] = [];
    for (let i = 0; i + 1 < this.head.length; i += 2) {
      const a = this.head[i], b = this.head[i + 1];
      merged.push({ item: this.merge(a.item, a.weight, b.item, b.weight), weight: a.weight + b.weight });
    }
    if (this.head.length % 2 === 1) this.pending = this.head[this.head.length - 1];
    this.head = merged;
    this.bucketWeight *= 2;
  }
}

/** Weighted mean of two numbers. */
export function wmean(a: number, wa: number, b: number, wb: number): number {
  return (a * wa + b * wb) / (wa + wb);
}

/** Weighted mean of two records of numbers (keys missing on one side keep the other's value). */
export function wmeanRecord(a: Record<string, number>, wa: number, b: Record<string, number>, wb: number): Record<string, number> {
  const out: Record<string, number> = dict();
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[k], y = b[k];
    out[k] = x === undefined ? y : y === undefined ? x : wmean(x, wa, y, wb);
  }
  return out;
}

/** Element-wise weighted mean of two number arrays (the longer one's extra entries are kept). */
export function wmeanArray(a: number[], wa: number, b: number[], wb: number): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const x = a[i], y = b[i];
    out[i] = x === undefined ? y : y === undefined ? x : wmean(x, wa, y, wb);
  }
  return out;
}
