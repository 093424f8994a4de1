import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Module from 'node:module';
import { buildSync } from 'esbuild';

/**
 * Loads the real extension bundle against a recording stand-in for the `vscode` module and checks
 * that what package.json promises is what activate() registers (commands, views, providers).
 */
const root = path.resolve(__dirname, '../../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-act-'));
const bundle = path.join(dir, 'extension.js');
buildSync({
  entryPoints: [path.join(root, 'src/extension.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20',
  external: ['vscode'], mainFields: ['module', 'main'], outfile: bundle, logLevel: 'error',
});
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

function loadWithStub() {
  const registered: string[] = [];
  const views: string[] = [];
  const providers: string[] = [];
  const handler: ProxyHandler<() => void> = {
    get(_t, p) {
      if (p === 'then') return undefined;
      if (p === Symbol.iterator) return function* () { /* empty */ };
      if (p === Symbol.toPrimitive) return () => 0;
      if (p === 'get') return (_k: string, d: unknown) => d;
      return stub;
    },
    apply: () => stub,
    construct: () => stub as object,
    set: () => true,
  };
  const stub: unknown = new Proxy(function () { /* stub */ }, handler);
  const api: Record<string, unknown> = {};
  for (const k of ['workspace', 'env', 'Uri', 'EventEmitter', 'ThemeIcon', 'ThemeColor', 'TreeItem', 'TreeItemCollapsibleState', 'StatusBarAlignment',
    'ProgressLocation', 'CancellationTokenSource', 'MarkdownString', 'Range', 'CodeLens', 'Hover', 'Diagnostic', 'DiagnosticSeverity', 'UIKind',
    'TabInputCustom', 'TabInputText', 'ViewColumn']) api[k] = stub;
  api.Disposable = { from: () => stub };
  api.commands = new Proxy({}, { get: (_t, p) => p === 'registerCommand' ? (id: string) => { registered.push(id); return stub; } : stub });
  const editors: string[] = [];
  api.window = new Proxy({}, {
    get: (_t, p) => p === 'createTreeView' ? (id: string) => { views.push(id); return stub; }
      : p === 'registerCustomEditorProvider' ? (viewType: string) => { editors.push(viewType); return stub; } : stub,
  });
  api.languages = new Proxy({}, { get: (_t, p) => (typeof p === 'string' && p.startsWith('register') ? () => { providers.push(p); return stub; } : stub) });
  const m = Module as unknown as { _load: (req: string, ...rest: unknown[]) => unknown };
  const orig = m._load;
  m._load = function (req: string, ...rest: unknown[]) { return req === 'vscode' ? api : orig.call(this, req, ...rest); };
  try {
    delete require.cache[bundle];
    const ext = require(bundle) as { activate(c: unknown): { activation: { activateMs: number } }; deactivate(): void };
    const res = ext.activate({ subscriptions: [], extensionUri: stub, asAbsolutePath: (p: string) => path.join(root, p) });
    ext.deactivate();
    return { registered, views, providers, editors, res };
  } finally {
    m._load = orig;
  }
}

test('activate() registers every contributed command, the Runs view, the graph editor, CodeLens and hover providers', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const declared: string[] = pkg.contributes.commands.map((c: { command: string }) => c.command);
  const { registered, views, providers, editors, res } = loadWithStub();
  for (const c of declared) assert.ok(registered.includes(c), `${c} is in package.json but not registered`);
  for (const c of registered) assert.ok(declared.includes(c), `${c} is registered but not declared in package.json`);
  assert.deepEqual([...views].sort(), ['feedbackMtl.runs', 'feedbackMtl.sweeps']);
  assert.deepEqual(editors, pkg.contributes.customEditors.map((e: { viewType: string }) => e.viewType));
  assert.ok(providers.includes('registerCodeLensProvider'));
  assert.ok(providers.includes('registerHoverProvider'));
  assert.ok(Number.isFinite(res.activation.activateMs));
});

test('package.json: train title, category, activation events, when clauses use our context keys', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const train = pkg.contributes.commands.find((c: { command: string }) => c.command === 'feedbackMtl.train');
  assert.equal(train.title, 'Train feedback MTL');
  for (const c of pkg.contributes.commands) assert.equal(c.category, 'Feedback MTL', c.command);
  assert.ok(!pkg.activationEvents.includes('*') && !pkg.activationEvents.some((e: string) => e.startsWith('onLanguage:json')), 'activation must stay narrow');
  const stop = pkg.contributes.menus.commandPalette.find((m: { command: string }) => m.command === 'feedbackMtl.stop');
  assert.equal(stop.when, 'feedbackMtl.training');
  assert.deepEqual(pkg.extensionKind, ['workspace']);
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
});

test('package.json: the walkthrough, graph-editor keys, activity-bar icon and run menu order a newcomer meets', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const c = pkg.contributes;
  const commands = new Set(c.commands.map((x: { command: string }) => x.command));
  // Walkthrough: each step names a command that exists and shows a picture that ships.
  const [walk] = c.walkthroughs;
  assert.ok(walk.steps.length >= 5);
  for (const s of walk.steps) {
    const used = [...s.description.matchAll(/\(command:([\w.]+)\)/g)].map((m: RegExpMatchArray) => m[1]);
    assert.ok(used.length > 0, `step ${s.id} has a command link`);
    for (const u of used) assert.ok(commands.has(u), `step ${s.id} links ${u}, which is not a command`);
    assert.ok(fs.existsSync(path.join(root, s.media.image)), `step ${s.id}: ${s.media.image} missing`);
    assert.ok(s.media.altText, `step ${s.id} has alt text`);
  }
  // Keys only while the graph editor is the active editor; each listed in the walkthrough or README.
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const want = ['feedbackMtl.train', 'feedbackMtl.graph.addFeedback', 'feedbackMtl.graph.fit', 'feedbackMtl.graph.openAsText'];
  for (const cmd of want) {
    const k = c.keybindings.find((x: { command: string }) => x.command === cmd);
    assert.ok(k, `a key for ${cmd}`);
    assert.match(k.when, /activeCustomEditorId == feedbackMtl\.graphEditor/);
    const shown = k.key.split('+').map((p: string) => p[0].toUpperCase() + p.slice(1)).join('+');
    assert.ok(readme.includes(shown), `README lists ${shown} (${cmd})`);
  }
  // The activity-bar icon: monochrome, drawn in currentColor.
  const icon = fs.readFileSync(path.join(root, c.viewsContainers.activitybar[0].icon), 'utf8');
  assert.match(icon, /stroke="currentColor"/);
  assert.doesNotMatch(icon, /(fill|stroke)="#/);
  // "Delete run" sits in the last group of the run context menu.
  const items = c.menus['view/item/context'].filter((m: { when: string; group: string }) => /fmtlRun/.test(m.when) && !m.group.startsWith('inline'));
  const groupOf = (m: { group: string }) => m.group.split('@')[0];
  const del = items.find((m: { command: string }) => m.command === 'feedbackMtl.deleteRun');
  for (const m of items) assert.ok(groupOf(m) <= groupOf(del), `${m.command} (${m.group}) sorts after Delete run (${del.group})`);
});
