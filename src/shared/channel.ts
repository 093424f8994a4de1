/**
 * One typed notify / request / reply helper used on every boundary: host <-> webview (postMessage)
 * and host <-> trainer process (Node IPC). Only the `Port` differs; message unions come from
 * `protocol.ts` and `trainerProtocol.ts`.
 */

/** Something to dispose. Structurally compatible with `vscode.Disposable`. */
export interface Disposable {
  dispose(): void;
}

/** The transport: a webview, `window` inside a webview, or a child process. */
export interface Port {
  post(message: unknown): void;
  onMessage(listener: (message: unknown) => void): Disposable;
}

/** What travels on the wire. `id` marks a request, `re` a reply to request `id`. */
export interface Envelope {
  fmtl: 1;
  body?: { type: string };
  id?: number;
  re?: number;
  error?: string;
}

type Handler<M> = (message: M) => unknown | Promise<unknown>;

/** True if `x` is an envelope of ours (ignores foreign messages, e.g. from other extensions). */
export function isEnvelope(x: unknown): x is Envelope {
  return typeof x === 'object' && x !== null && (x as Envelope).fmtl === 1;
}

/**
 * Typed channel: `In` is the union this side receives, `Out` the union it sends. Handlers are keyed
 * by the message's `type`; a handler's return value answers a request.
 */
export class Channel<In extends { type: string }, Out extends { type: string }> implements Disposable {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; timer?: ReturnType<typeof setTimeout> }>();
  private readonly handlers = new Map<string, Handler<In>>();
  private readonly any: ((m: In) => void)[] = [];
  private readonly sub: Disposable;
  private disposed = false;

  constructor(private readonly port: Port) {
    this.sub = port.onMessage((raw) => this.receive(raw));
  }

  /** Fire and forget. */
  notify(message: Out): void {
    if (this.disposed) return;
    this.port.post({ fmtl: 1, body: message } satisfies Envelope);
  }

  /** Send and wait for the other side's handler result (rejects on its error or after `timeoutMs`). */
  request<R = unknown>(message: Out, timeoutMs = 30_000): Promise<R> {
    if (this.disposed) return Promise.reject(new Error('channel disposed'));
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      const timer = timeoutMs > 0
        ? setTimeout(() => { this.pending.delete(id); reject(new Error(`request '${message.type}' timed out after ${timeoutMs} ms`)); }, timeoutMs)
        : undefined;
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.port.post({ fmtl: 1, id, body: message } satisfies Envelope);
    });
  }

  /** Handle one message type. One handler per type; a second registration replaces the first. */
  on<T extends In['type']>(type: T, handler: Handler<Extract<In, { type: T }>>): Disposable {
    this.handlers.set(type, handler as Handler<In>);
    return { dispose: () => { if (this.handlers.get(type) === handler) this.handlers.delete(type); } };
  }

  /** See every incoming message (after its typed handler). */
  onAny(listener: (message: In) => void): Disposable {
    this.any.push(listener);
    return { dispose: () => { const i = this.any.indexOf(listener); if (i >= 0) this.any.splice(i, 1); } };
  }

  dispose(): void {
    this.disposed = true;
    this.sub.dispose();
    for (const p of this.pending.values()) { if (p.timer) clearTimeout(p.timer); p.reject(new Error('channel disposed')); }
    this.pending.clear();
    this.handlers.clear();
    this.any.length = 0;
  }

  private receive(raw: unknown): void {
    if (!isEnvelope(raw) || this.disposed) return;
    if (raw.re !== undefined) {
      const p = this.pending.get(raw.re);
      if (!p) return;
      this.pending.delete(raw.re);
      if (p.timer) clearTimeout(p.timer);
      if (raw.error !== undefined) p.reject(new Error(raw.error)); else p.resolve(raw.body);
      return;
    }
    const msg = raw.body as In | undefined;
    if (!msg || typeof msg.type !== 'string') return;
    const handler = this.handlers.get(msg.type);
    const id = raw.id;
    let result: unknown;
    try {
      result = handler ? handler(msg) : undefined;
    } catch (e) {
      if (id !== undefined) this.port.post({ fmtl: 1, re: id, error: errorText(e) } satisfies Envelope);
      for (const l of this.any) l(msg);
      return;
    }
    for (const l of this.any) l(msg);
    if (id === undefined) return;
    if (!handler) { this.port.post({ fmtl: 1, re: id, error: `no handler for '${msg.type}'` } satisfies Envelope); return; }
    Promise.resolve(result).then(
      (value) => this.port.post({ fmtl: 1, re: id, body: value as { type: string } } satisfies Envelope),
      (e) => this.port.post({ fmtl: 1, re: id, error: errorText(e) } satisfies Envelope),
    );
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
