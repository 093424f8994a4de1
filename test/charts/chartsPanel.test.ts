import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Module from 'node:module';
import { RunStore } from '../../src/runs/runStore';
import { syntheticRun } from '../../bench/framesSynthetic';
import type { TrainerEvent } from '../../src/shared/trainerProtocol';

/** A small stand-in for the parts of `vscode` the run panel uses, recording what it does. */
function fakeVscode(saveTarget: { path: string }) {
  class Uri {
    constructor(readonly fsPath: string) {}
    static file(p: string) { return new Uri(p); }
    static joinPath(u: Uri, ...p: string[]) { return new Uri(path.join(u.fsPath, ...p)); }
    toString() { return `file://${this.fsPath}`; }
  }
  const commands = new Map<string, (...a: unknown[]) => unknown>();
  const panels: FakePanel[] = [];
  const errors: string[] = [];
  type Listener = (m: unknown) => void;
  interface FakePanel {
    title: string; visible: boolean; posted: unknown[]; receive: Listener[]; disposed: boolean; viewState: (() => void)[];
    webview: { html: string; cspSource: string; asWebviewUri(u: Uri): string; postMessage(m: unknown): Promise<boolean>; onDidReceiveMessage(l: Listener): { dispose(): void } };
    send(m: unknown): void; setVisible(v: boolean): void;
  }
  const api = {
    Uri,
    ViewColumn: { Active: -1 },
    commands: {
      registerCommand: (id: string, fn: (...a: unknown[]) => unknown) => { commands.set(id, fn); return { dispose: () => commands.delete(id) }; },
      executeCommand: async () => undefined,
    },
    window: {
      createWebviewPanel: (_type: string, title: string) => {
        const p: FakePanel = {
          title, visible: true, posted: [], receive: [], disposed: false, viewState: [],
          webview: {
            html: '', cspSource: 'vscode-webview:',
            asWebviewUri: (u: Uri) => `vscode-webview:${u.fsPath}`,
            postMessage: async (m: unknown) => { p.posted.push(m); return true; },
            onDidReceiveMessage: (l: Listener) => { p.receive.push(l); return { dispose: () => { p.receive = p.receive.filter((x) => x !== l); } }; },
          },
          send: (m) => { for (const l of p.receive) l(m); },
          setVisible: (v) => { p.visible = v; for (const l of p.viewState) l(); },
        };
        Object.assign(p, {
          onDidDispose: () => ({ dispose() {} }),
          onDidChangeViewState: (l: () => void) => { p.viewState.push(l); return { dispose() {} }; },
          reveal: () => {},
          dispose: () => { p.disposed = true; },
        });
        panels.push(p);
        return p;
      },
      showErrorMessage: async (m: string) => { errors.push(m); return undefined; },
      showInformationMessage: async () => undefined,
      showQuickPick: async () => undefined,
      showSaveDialog: async () => Uri.file(saveTarget.path),
    },
    workspace: {
      workspaceFolders: undefined,
      fs: { writeFile: async (u: Uri, bytes: Uint8Array) => fs.writeFileSync(u.fsPath, bytes) },
    },
  };
  return { api, commands, panels, errors };
}

// The module under test binds `vscode` once, so one stand-in serves every test of this file.
const saveTarget = { path: '' };
const fake = fakeVscode(saveTarget);
const m = Module as unknown as { _load: (req: string, ...rest: unknown[]) => unknown };
const orig = m._load;
m._load = function (req: string, ...rest: unknown[]) { return req === 'vscode' ? fake.api : orig.call(this, req, ...rest); };
test.after(() => { m._load = orig; });
const { registerChartsPanels } = require('../../src/charts/chartsPanel') as typeof import('../../src/charts/chartsPanel');

const body = (m: unknown) => (m as { body?: { type: string } }).body as Record<string, unknown> & { type: string };
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('opens a panel, hydrates on ready, streams coalesced events, re-hydrates after hide, saves exports', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-panel-'));
  const ext = path.join(tmp, 'ext');
  fs.mkdirSync(path.join(ext, 'dist', 'webview'), { recursive: true });
  fs.writeFileSync(path.join(ext, 'dist', 'webview', 'charts.js'), '');
  saveTarget.path = path.join(tmp, 'out.svg');
  fake.panels.length = 0;
  fake.errors.length = 0;
  try {
    const store = new RunStore({ flushMs: 0 });
    const events: TrainerEvent[] = [...syntheticRun({ runId: 'r1', epochs: 1, stepsPerEpoch: 20, logEvery: 5 })];
    for (const e of events.slice(0, 10)) store.append(e);
    const reg = registerChartsPanels({ extensionUri: fake.api.Uri.file(ext) } as never, { runStore: store });
    await fake.commands.get('feedbackMtl.openRunCharts')!('r1');
    assert.equal(fake.panels.length, 1);
    const p = fake.panels[0];
    const nonce = /script-src 'nonce-([\w-]+)'/.exec(p.webview.html)![1];
    assert.ok(p.webview.html.includes(`<script nonce="${nonce}" src="vscode-webview:${path.join(ext, 'dist', 'webview', 'charts.js')}"`));
    assert.ok(p.webview.html.includes("default-src 'none'"));
    assert.ok(p.webview.html.includes('<main id="charts-root">'));

    p.send({ fmtl: 1, body: { type: 'webview/ready' } });
    await tick(5);
    const snap = body(p.posted[0]);
    assert.equal(snap.type, 'run/snapshot');
    assert.equal(snap.mode, 'single');
    const runs = snap.runs as { id: string; events: TrainerEvent[] }[];
    assert.equal(runs[0].id, 'r1');
    assert.equal(runs[0].events.length, 10);

    for (const e of events.slice(10, 20)) store.append(e);
    await tick(150);
    const batches = p.posted.slice(1).map(body).filter((b) => b.type === 'run/events');
    assert.equal(batches.length, 1, 'ten events arrive as one message');
    assert.equal((batches[0].events as unknown[]).length, 10);

    // Hidden: nothing is sent; shown again: the new webview says ready and gets a full snapshot.
    p.setVisible(false);
    const before = p.posted.length;
    for (const e of events.slice(20)) store.append(e);
    await tick(150);
    assert.equal(p.posted.length, before);
    p.setVisible(true);
    p.send({ fmtl: 1, body: { type: 'webview/ready' } });
    await tick(5);
    const again = body(p.posted[p.posted.length - 1]);
    assert.equal(again.type, 'run/snapshot');
    assert.equal((again.runs as { events: unknown[] }[])[0].events.length, events.length);

    // Export request -> save dialog -> file written -> reply with the path.
    p.send({ fmtl: 1, id: 7, body: { type: 'charts/export', format: 'svg', fileName: '../x.svg', content: '<svg/>', encoding: 'utf8' } });
    await tick(10);
    assert.equal(fs.readFileSync(path.join(tmp, 'out.svg'), 'utf8'), '<svg/>');
    const reply = p.posted.find((x) => (x as { re?: number }).re === 7) as { body: { savedPath: string } };
    assert.equal(reply.body.savedPath, path.join(tmp, 'out.svg'));

    // Same run again reveals the same panel; two runs open a compare panel; unknown ids are reported.
    await fake.commands.get('feedbackMtl.openRunCharts')!(['r1']);
    assert.equal(fake.panels.length, 1);
    store.append({ ...events[0], runId: 'r2', runDir: '/elsewhere/r2' } as TrainerEvent);
    await fake.commands.get('feedbackMtl.openRunCharts')!(['r1', 'r2']);
    assert.equal(fake.panels.length, 2);
    assert.equal(fake.panels[1].title, 'Compare 2 runs');
    await fake.commands.get('feedbackMtl.openRunCharts')!('nope');
    assert.match(fake.errors[0], /no run "nope"/);
    reg.dispose();
    store.dispose();
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('a run folder the store does not know is read from its events.jsonl', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-panel-'));
  const ext = path.join(tmp, 'ext');
  fs.mkdirSync(path.join(ext, 'dist', 'webview'), { recursive: true });
  fs.writeFileSync(path.join(ext, 'dist', 'webview', 'charts.js'), '');
  const runDir = path.join(tmp, 'elsewhere', 'run-x');
  fs.mkdirSync(runDir, { recursive: true });
  const events = [...syntheticRun({ runId: 'rx', epochs: 1, stepsPerEpoch: 10, logEvery: 5 })];
  fs.writeFileSync(path.join(runDir, 'events.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n{broken\n');
  saveTarget.path = path.join(tmp, 'out.svg');
  fake.panels.length = 0;
  fake.errors.length = 0;
  try {
    const store = new RunStore({ flushMs: 0 });
    const reg = registerChartsPanels({ extensionUri: fake.api.Uri.file(ext) } as never, { runStore: store });
    await fake.commands.get('feedbackMtl.openRunCharts')!(runDir);
    assert.deepEqual(fake.errors, []);
    const p = fake.panels[0];
    p.send({ fmtl: 1, body: { type: 'webview/ready' } });
    await tick(20);
    const snap = body(p.posted[0]);
    const run = (snap.runs as { events: TrainerEvent[]; status: string }[])[0];
    assert.equal(run.events.filter((e) => e.type === 'run/step').length, 10);
    assert.equal(run.status, 'completed');
    reg.dispose();
    store.dispose();
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
