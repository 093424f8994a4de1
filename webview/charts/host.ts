/**
 * Where the charts live: inside a VS Code webview (messages over `Channel`, exports saved by the
 * host through a save dialog) or in a static `report.html` (data embedded in the page, exports as
 * browser downloads). The app only sees `ChartsHost`.
 */
import { Channel, type Port } from '../../src/shared/channel';
import type {
  ChartsExportRequest, ChartsExportResult, ChartsToHostMessage, ExamplesLoadResult, HostToChartsMessage, RunSnapshotMessage, TryModelResult,
} from '../../src/shared/runViewProtocol';

/** View state that survives a hidden panel (VS Code keeps it per webview). */
export interface ViewState {
  smoothing: number;
  /** chart id -> log y axis on. */
  logScales: Record<string, boolean>;
}

export interface ChartsHost {
  readonly kind: 'vscode' | 'report';
  /** Start listening; the host answers with a snapshot. */
  start(onMessage: (m: HostToChartsMessage) => void): void;
  /** Save an export; resolves with where it went (undefined = cancelled). */
  save(req: Omit<ChartsExportRequest, 'type'>): Promise<string | undefined>;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  /** A run's predictions file of a split (the Examples section). */
  loadExamples(runId: string, split: 'valid' | 'test'): Promise<ExamplesLoadResult>;
  /** The run's model on typed text (Try the model). */
  tryModel(runId: string, text: string): Promise<TryModelResult>;
  getState(): ViewState | undefined;
  setState(s: ViewState): void;
}

interface VsCodeApi {
  postMessage(m: unknown): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** True inside a VS Code webview. */
export function inVsCode(): boolean {
  return typeof acquireVsCodeApi === 'function';
}

export function vscodeHost(): ChartsHost {
  const api = acquireVsCodeApi();
  const port: Port = {
    post: (m) => api.postMessage(m),
    onMessage: (listener) => {
      const h = (ev: MessageEvent) => listener(ev.data);
      window.addEventListener('message', h);
      return { dispose: () => window.removeEventListener('message', h) };
    },
  };
  const channel = new Channel<HostToChartsMessage, ChartsToHostMessage>(port);
  return {
    kind: 'vscode',
    start(onMessage) {
      channel.onAny(onMessage);
      channel.notify({ type: 'webview/ready' });
    },
    async save(req) {
      const r = await channel.request<ChartsExportResult>({ type: 'charts/export', ...req }, 0);
      return r?.savedPath;
    },
    log(level, message) {
      channel.notify({ type: 'charts/log', level, message });
    },
    loadExamples: (runId, split) => channel.request<ExamplesLoadResult>({ type: 'examples/load', runId, split }, 60_000),
    tryModel: (runId, text) => channel.request<TryModelResult>({ type: 'model/try', runId, text }, 90_000),
    getState: () => api.getState() as ViewState | undefined,
    setState: (s) => api.setState(s),
  };
}

/** Host of the static report: the snapshot is embedded in `<script type="application/json" id="fmtl-data">`. */
export function reportHost(snapshot: RunSnapshotMessage): ChartsHost {
  let state: ViewState | undefined;
  return {
    kind: 'report',
    start(onMessage) {
      onMessage(snapshot);
    },
    async save(req) {
      const bytes = req.encoding === 'base64' ? Uint8Array.from(atob(req.content), (c) => c.charCodeAt(0)) : req.content;
      const type = { png: 'image/png', svg: 'image/svg+xml', csv: 'text/csv', json: 'application/json' }[req.format];
      const url = URL.createObjectURL(new Blob([bytes], { type }));
      const a = document.createElement('a');
      a.href = url;
      a.download = req.fileName;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      return req.fileName;
    },
    log(level, message) {
      (level === 'error' ? console.error : console.warn)(message);
    },
    loadExamples: async () => ({ error: 'The static report holds no per-example predictions: open the run in VS Code (Examples), or read predictions/test.jsonl in the run folder.' }),
    tryModel: async () => ({ error: 'The static report cannot run the model: use fmtl predict <run folder> "text", or Try the model in VS Code.' }),
    getState: () => state,
    setState: (s) => { state = s; },
  };
}

/** Reads the embedded report data, if this page is a report. */
export function embeddedSnapshot(): RunSnapshotMessage | undefined {
  const node = document.getElementById('fmtl-data');
  if (!node?.textContent) return undefined;
  try {
    return JSON.parse(node.textContent) as RunSnapshotMessage;
  } catch {
    return undefined;
  }
}
