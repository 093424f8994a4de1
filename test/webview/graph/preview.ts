/**
 * Renders the real graph webview (dist/webview/graph.js, media/graph.css, the provider's HTML and
 * CSP) in headless Chromium outside VS Code, with a stand-in `acquireVsCodeApi` that answers
 * `webview/ready` with a snapshot of a sample experiment, and writes screenshots for eyeballing the
 * drawing in dark, light and high-contrast colours. Not a unit test (it needs a browser):
 *
 *   node esbuild.mjs && npx esbuild test/webview/graph/preview.ts --bundle --platform=node \
 *     --main-fields=module,main --external:playwright-core --outfile=out/preview.js && node out/preview.js
 *
 * The gate probabilities shown are made up for the drawing check and say so on the page title.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { computeBadges, readGraph } from '../../../src/editor/graphModel';
import { graphHtml } from '../../../src/editor/graphHtml';
import { makeNonce } from '../../../src/shared/webviewPage';
import { JsonTextEditor } from '../../../src/editor/jsonTextEditor';
import { applyTextEdits, computeEdits } from '../../../src/editor/edits';
import type { GraphToHostMessage, HostToGraphMessage, SnapshotMessage } from '../../../src/shared/graphEditorProtocol';

const ROOT = process.cwd();
const OUT = path.join(ROOT, 'out', 'preview');

const THEMES: Record<string, Record<string, string>> = {
  dark: {
    'editor-background': '#1f1f1f', foreground: '#cccccc', descriptionForeground: '#9d9d9d', 'editorWidget-background': '#252526',
    'widget-border': '#313131', 'editorWidget-border': '#454545', 'sideBar-background': '#181818', 'panel-border': '#2b2b2b',
    focusBorder: '#0078d4', 'charts-blue': '#3794ff', 'charts-orange': '#d18616', 'charts-green': '#89d185', errorForeground: '#f85149',
    'badge-background': '#616161', 'badge-foreground': '#f8f8f8', 'button-background': '#0078d4', 'button-foreground': '#ffffff',
    'button-hoverBackground': '#026ec1', 'button-secondaryBackground': '#313131', 'button-secondaryForeground': '#cccccc',
    'button-secondaryHoverBackground': '#3c3c3c', 'input-background': '#313131', 'input-foreground': '#cccccc', 'input-border': '#3c3c3c',
    'dropdown-background': '#313131', 'dropdown-border': '#3c3c3c', 'dropdown-foreground': '#cccccc', 'editorWarning-foreground': '#cca700',
    'inputValidation-warningBackground': '#352a05', 'inputValidation-warningBorder': '#b89500', 'list-hoverBackground': '#2a2d2e',
    disabledForeground: '#cccccc80', 'checkbox-background': '#313131', 'checkbox-border': '#3c3c3c', 'widget-shadow': '#0000005c',
    'settings-textInputBackground': '#313131', 'inputValidation-errorBorder': '#be1100',
  },
  light: {
    'editor-background': '#ffffff', foreground: '#3b3b3b', descriptionForeground: '#6f6f6f', 'editorWidget-background': '#f8f8f8',
    'widget-border': '#e5e5e5', 'editorWidget-border': '#c8c8c8', 'sideBar-background': '#f8f8f8', 'panel-border': '#e5e5e5',
    focusBorder: '#005fb8', 'charts-blue': '#1a85ff', 'charts-orange': '#d18616', 'charts-green': '#388a34', errorForeground: '#e51400',
    'badge-background': '#cccccc', 'badge-foreground': '#3b3b3b', 'button-background': '#005fb8', 'button-foreground': '#ffffff',
    'button-hoverBackground': '#0258a8', 'button-secondaryBackground': '#e5e5e5', 'button-secondaryForeground': '#3b3b3b',
    'button-secondaryHoverBackground': '#cccccc', 'input-background': '#ffffff', 'input-foreground': '#3b3b3b', 'input-border': '#cecece',
    'dropdown-background': '#ffffff', 'dropdown-border': '#cecece', 'dropdown-foreground': '#3b3b3b', 'editorWarning-foreground': '#bf8803',
    'inputValidation-warningBackground': '#f6f5d2', 'inputValidation-warningBorder': '#b89500', 'list-hoverBackground': '#f2f2f2',
    disabledForeground: '#61616180', 'checkbox-background': '#f8f8f8', 'checkbox-border': '#cecece', 'widget-shadow': '#00000029',
    'inputValidation-errorBorder': '#be1100', 'settings-textInputBackground': '#ffffff', 'settings-textInputForeground': '#3b3b3b',
    'settings-textInputBorder': '#cecece', 'settings-dropdownBackground': '#ffffff', 'settings-dropdownForeground': '#3b3b3b',
    'settings-dropdownBorder': '#cecece', 'settings-checkboxBackground': '#ffffff', 'settings-checkboxBorder': '#cecece',
  },
  'high-contrast': {
    'editor-background': '#000000', foreground: '#ffffff', descriptionForeground: '#ffffff', 'editorWidget-background': '#0c141f',
    'widget-border': '#6fc3df', 'editorWidget-border': '#6fc3df', 'sideBar-background': '#000000', 'panel-border': '#6fc3df',
    focusBorder: '#f38518', 'charts-blue': '#3794ff', 'charts-orange': '#d18616', 'charts-green': '#89d185', errorForeground: '#f48771',
    'badge-background': '#000000', 'badge-foreground': '#ffffff', 'button-background': '#000000', 'button-foreground': '#ffffff',
    'button-border': '#6fc3df', 'button-secondaryBackground': '#000000', 'button-secondaryForeground': '#ffffff',
    'input-background': '#000000', 'input-foreground': '#ffffff', 'input-border': '#6fc3df', 'dropdown-background': '#000000',
    'dropdown-border': '#6fc3df', 'dropdown-foreground': '#ffffff', 'editorWarning-foreground': '#ffd370',
    'inputValidation-warningBackground': '#000000', 'inputValidation-warningBorder': '#ffd370', 'list-hoverBackground': '#000000',
    disabledForeground: '#a5a5a5', 'checkbox-background': '#000000', 'checkbox-border': '#6fc3df', 'inputValidation-errorBorder': '#f48771',
  },
};

function themeCss(name: string): string {
  const vars = Object.entries(THEMES[name]).map(([k, v]) => `  --vscode-${k}: ${v};`).join('\n');
  return `:root {\n${vars}\n  --vscode-font-family: system-ui, "Segoe UI", Ubuntu, sans-serif;\n  --vscode-font-size: 13px;\n}\n`;
}

/** A stand-in for the provider: the same edits and snapshots, on a string instead of a TextDocument. */
class FakeHost {
  version = 1;
  constructor(public text: string) {}

  snapshot(): SnapshotMessage {
    const r = readGraph(this.text);
    const badges = r.model ? computeBadges(r.model, {
      id: 'preview-synthetic', status: 'completed', epochs: [
        { type: 'run/epoch', runId: 'p', t: 0, epoch: 1, step: 10, train: {}, valid: { intent: { accuracy: 0.962 }, slots: { f1: 0.874 } }, trainLoss: {}, validLoss: {}, ms: 1 },
      ],
      lastGates: { 'intent-to-slots': { blocks: [1, 2], probs: [0.18, 0.82] }, 'slots-to-intent': { blocks: [1, 2], probs: [0.64, 0.36] } },
    }) : undefined;
    return { type: 'graph/snapshot', version: this.version, fileName: 'snips.fmtl.json (preview, synthetic run figures)', model: r.model, parseErrors: r.parseErrors, issues: r.issues, badges };
  }

  /** Handle one webview message; returns the messages the provider would send back. */
  receive(msg: GraphToHostMessage): HostToGraphMessage[] {
    if (msg.type === 'webview/ready') return [this.snapshot()];
    if (msg.type === 'graph/showText') return [];
    const r = computeEdits(this.text, msg);
    if (!r.ok) return [{ type: 'graph/refused', intent: msg.type, reason: r.reason, ...(r.at ? { at: r.at } : {}) }];
    if (r.edits.length) { this.text = applyTextEdits(this.text, r.edits); this.version++; }
    return [this.snapshot(), { type: 'graph/applied', intent: msg.type, version: this.version, ...(r.note ? { note: r.note } : {}), ...(r.created ? { created: r.created } : {}) }];
  }
}

function sampleText(): string {
  // The SNIPS sample without its stored positions, to show the default layout, plus a third task.
  const ed = new JsonTextEditor(fs.readFileSync(path.join(ROOT, 'samples', 'snips.fmtl.json'), 'utf8'));
  ed.remove(['layout']);
  ed.append(['tasks'], { id: 'domain', kind: 'classification', label: 'label', blocks: [{ type: 'dense', units: 32 }] });
  ed.append(['feedback'], { id: 'domain-to-slots', from: 'domain', to: 'slots', amplifier: { type: 'mlp', units: 16 }, injection: 2, enabled: false });
  return ed.text;
}

/**
 * In the page: the smallest drawn text in CSS pixels (font size times the zoom) and the larger of
 * the drawing's width / height shares of the canvas. The e2e suite measures the same way.
 */
const MEASURE = `(() => {
  const texts = [...document.querySelectorAll('#graph-canvas svg text')].filter((t) => t.textContent.trim() && t.getBoundingClientRect().width > 0);
  const minTextPx = Math.min(...texts.map((t) => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a));
  const c = document.querySelector('#graph-canvas').getBoundingClientRect();
  const d = document.querySelector('#graph-canvas svg g.viewport').getBoundingClientRect();
  return { minTextPx, fill: Math.max(d.width / c.width, d.height / c.height) };
})()`;

const failures: string[] = [];
function check(ok: boolean, what: string): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
}

async function main(): Promise<void> {
  fs.mkdirSync(OUT, { recursive: true });
  let host = new FakeHost(sampleText());
  let theme = 'dark';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (type: string, body: string | Buffer) => { res.writeHead(200, { 'content-type': type }); res.end(body); };
    if (url.pathname === '/') {
      const { port } = server.address() as { port: number };
      const origin = `http://127.0.0.1:${port}`;
      const nonce = makeNonce();
      let html = graphHtml({ cspSource: origin, nonce, scriptUri: `${origin}/dist/webview/graph.js`, styleUri: `${origin}/media/graph.css` });
      html = html.replace('</head>', `<link rel="stylesheet" href="${origin}/theme.css">\n<script nonce="${nonce}" src="${origin}/fake-vscode.js"></script>\n</head>`);
      return send('text/html', html);
    }
    if (url.pathname === '/favicon.ico') { res.writeHead(204); return res.end(); }
    if (url.pathname === '/theme.css') return send('text/css', themeCss(theme));
    if (url.pathname === '/fake-vscode.js') {
      return send('text/javascript', `
        window.__posted = [];
        window.acquireVsCodeApi = () => ({
          postMessage(m) {
            window.__posted.push(m.body);
            window.__host(m.body).then((out) => { for (const body of out) window.postMessage({ fmtl: 1, body }, '*'); });
          },
          getState() { return undefined; },
          setState(s) { window.__state = s; },
        });`);
    }
    const file = path.join(ROOT, url.pathname);
    if (!file.startsWith(ROOT) || !fs.existsSync(file)) { res.writeHead(404); return res.end(); }
    return send(file.endsWith('.css') ? 'text/css' : 'text/javascript', fs.readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const problems: string[] = [];
  try {
    for (const name of Object.keys(THEMES)) {
      theme = name;
      host = new FakeHost(sampleText());
      const page = await browser.newPage({ viewport: { width: 1400, height: 820 } });
      await page.exposeFunction('__host', (m: GraphToHostMessage) => host.receive(m));
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`[${name}] console ${m.type()}: ${m.text()}`); });
      page.on('pageerror', (e) => problems.push(`[${name}] page error: ${e.message}`));
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForSelector('[data-node-id="slots/2"]');
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(OUT, `graph-${name}.png`) });
      if (name === 'dark') {
        // Like the e2e scenario: a click at the centre of the arrow element selects it.
        await page.click('[data-arrow-id="intent-to-slots"]', { force: true });
        await page.waitForSelector('#inspector [name="amplifier.type"]');
        await page.waitForTimeout(200);
        await page.screenshot({ path: path.join(OUT, 'graph-dark-arrow-selected.png') });
        // A string: this file is type-checked without DOM types.
        const hooks = await page.evaluate(`({
          root: !!document.querySelector('#graph-root'),
          encoder: !!document.querySelector('[data-node-id="encoder"]'),
          port: !!document.querySelector('[data-port="intent"]'),
          inspector: ['amplifier.type', 'amplifier.units', 'injection', 'combine'].map((n) => !!document.querySelector('#inspector [name="' + n + '"]')),
          unlabeled: [...document.querySelectorAll('[data-node-id], [data-arrow-id]')].filter((e) => !e.getAttribute('aria-label')).length,
        })`);
        console.log('hooks', JSON.stringify(hooks));
        // Drag from intent's port onto the domain task: must post graph/addFeedback.
        const portBox = (await page.locator('[data-port="intent"]').boundingBox())!;
        const target = (await page.locator('[data-node-id="domain"] .box').boundingBox())!;
        await page.mouse.move(portBox.x + portBox.width / 2, portBox.y + portBox.height / 2);
        await page.mouse.down();
        await page.mouse.move(target.x + 20, target.y + 20, { steps: 8 });
        await page.mouse.move(target.x + target.width / 2, target.y + target.height / 2, { steps: 4 });
        await page.screenshot({ path: path.join(OUT, 'graph-dark-connecting.png') });
        await page.mouse.up();
        await page.waitForSelector('[data-arrow-id="intent-to-domain"]');
        check(host.text.includes('"id": "intent-to-domain"'), 'drag from a port adds the arrow to the text');
        // The new arrow is selected: change its amplifier in the inspector.
        await page.waitForSelector('#inspector [name="amplifier.type"]');
        await page.evaluate(`(() => { const s = document.querySelector('#inspector [name="amplifier.type"]'); s.value = 'mlp'; s.dispatchEvent(new Event('change')); })()`);
        await page.waitForSelector('#inspector [name="amplifier.hidden"]');
        check(/"id": "intent-to-domain",[^}]*"type": "mlp"/.test(host.text), 'inspector change edits the amplifier');
        // Keyboard: focus an arrow, Delete.
        await page.focus('[data-arrow-id="slots-to-intent"]');
        await page.keyboard.press('Delete');
        await page.waitForSelector('[data-arrow-id="slots-to-intent"]', { state: 'detached' });
        check(!host.text.includes('"slots-to-intent"'), 'Delete key removes the arrow');
        // Keyboard path to add: focus a task, A, pick the target, Add feedback.
        await page.focus('[data-node-id="domain"]');
        await page.keyboard.press('a');
        await page.waitForSelector('#inspector [name="feedback.target"]');
        await page.evaluate(`(() => { const s = document.querySelector('#inspector [name="feedback.target"]'); s.value = 'intent|1'; })()`);
        await page.click('#inspector [name="feedback.add"]');
        await page.waitForSelector('[data-arrow-id="domain-to-intent"]');
        check(/"from": "domain",\s*"to": "intent",[^}]*\}[^}]*"injection": 1/.test(host.text), 'keyboard path adds a fixed arrow');
        // A refused gesture: the same arrow again.
        await page.focus('[data-node-id="domain"]');
        await page.keyboard.press('a');
        await page.waitForSelector('#inspector [name="feedback.target"]');
        await page.evaluate(`(() => { const s = document.querySelector('#inspector [name="feedback.target"]'); s.value = 'intent|1'; })()`);
        await page.click('#inspector [name="feedback.add"]');
        await page.waitForSelector('#graph-toast:not([hidden])');
        const toast = await page.textContent('#graph-toast');
        check(/already feeds "intent"/.test(toast ?? ''), `refusal shown in place: ${toast}`);
        await page.screenshot({ path: path.join(OUT, 'graph-dark-after-edits.png') });
        // Drag a node: its position is saved in the file's layout.
        const box = (await page.locator('[data-node-id="domain/1"] .box').boundingBox())!;
        await page.mouse.move(box.x + 30, box.y + 10);
        await page.mouse.down();
        await page.mouse.move(box.x + 30, box.y + 90, { steps: 6 });
        await page.mouse.up();
        await page.waitForTimeout(200);
        check(/"layout": \{\s*"nodes": \{\s*"domain\/1": \{ "x": -?\d+, "y": -?\d+ \}/.test(host.text), 'dragging a node saves its position in layout.nodes');
        // Break the JSON: the last good drawing stays, read-only, with the syntax error listed.
        host.text = host.text.replace('"iterations": 3,', '"iterations": 3,,');
        host.version++;
        await page.evaluate(`window.postMessage({ fmtl: 1, body: ${JSON.stringify(host.snapshot())} }, '*')`);
        await page.waitForSelector('#graph-banner:not([hidden])');
        check(await page.isVisible('[data-arrow-id="domain-to-intent"]'), 'last good drawing kept');
        check(/Line \d+, column \d+/.test((await page.textContent('#graph-errors')) ?? ''), 'syntax error listed with line and column');
        await page.screenshot({ path: path.join(OUT, 'graph-dark-broken-json.png') });
        const posted = await page.evaluate('window.__posted');
        console.log('posted', JSON.stringify(posted));
      }
      await page.close();
    }
    // The sample as shipped, with its own stored positions.
    theme = 'dark';
    host = new FakeHost(fs.readFileSync(path.join(ROOT, 'samples', 'snips.fmtl.json'), 'utf8'));
    const page = await browser.newPage({ viewport: { width: 1400, height: 820 } });
    await page.exposeFunction('__host', (m: GraphToHostMessage) => host.receive(m));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForSelector('[data-node-id="slots/2"]');
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(OUT, 'graph-dark-sample-layout.png') });
    // The encoder node opens the settings with the encoder's type and sizes: switch to a
    // Transformer, set its heads, then make slots h1 a Transformer block with 2 heads.
    await page.click('[data-node-id="encoder"]', { force: true });
    await page.waitForSelector('#inspector [name="encoder.type"]');
    await page.evaluate(`(() => { const s = document.querySelector('#inspector [name="encoder.type"]'); s.value = 'transformer'; s.dispatchEvent(new Event('change')); })()`);
    await page.waitForSelector('#inspector [name="encoder.heads"]');
    check(/"encoder": \{ "type": "transformer", "embeddingDim": 64, "layers": 1, "dropout": 0.3, "width": 128, "heads": 4 \}/.test(host.text), 'encoder type -> transformer drops hidden, writes width and heads');
    await page.evaluate(`(() => { const t = document.querySelector('#inspector [name="encoder.heads"]'); t.value = '8'; t.dispatchEvent(new Event('change')); })()`);
    await page.waitForSelector('[data-node-id="encoder"]:has-text("8 heads")');
    check(host.text.includes('"heads": 8'), 'encoder heads edited in place; the caption follows');
    await page.screenshot({ path: path.join(OUT, 'graph-dark-encoder-transformer.png') });
    await page.click('[data-node-id="slots/1"]', { force: true });
    await page.waitForSelector('#inspector [name="block.1.type"]');
    await page.evaluate(`(() => { const s = document.querySelector('#inspector [name="block.1.type"]'); s.value = 'transformer'; s.dispatchEvent(new Event('change')); })()`);
    await page.waitForSelector('#inspector [name="block.1.heads"]');
    await page.evaluate(`(() => { const t = document.querySelector('#inspector [name="block.1.heads"]'); t.value = '2'; t.dispatchEvent(new Event('change')); })()`);
    await page.waitForTimeout(300);
    check(/\{ "type": "transformer", "units": 64, "heads": 2 \}/.test(host.text), 'slots h1 becomes a transformer block with 2 heads');
    await page.screenshot({ path: path.join(OUT, 'graph-dark-block-transformer.png') });
    await page.close();
    // Readability at the sizes a user meets at 1400x900: the graph beside the charts (with and
    // without the Explorer open) and alone. Smallest text on screen and how much of the canvas the
    // drawing uses.
    for (const [w, h] of [[526, 780], [676, 780], [1052, 780], [700, 700]]) {
      host = new FakeHost(fs.readFileSync(path.join(ROOT, 'samples', 'penguins-quick.fmtl.json'), 'utf8'));
      const p = await browser.newPage({ viewport: { width: w, height: h } });
      await p.exposeFunction('__host', (m: GraphToHostMessage) => host.receive(m));
      await p.goto(`http://127.0.0.1:${port}/`);
      await p.waitForSelector('[data-node-id="sex/2"]');
      await p.waitForTimeout(400);
      const m = await p.evaluate(MEASURE) as { minTextPx: number; fill: number };
      check(m.minTextPx >= 11, `penguins at ${w}x${h}: smallest text ${m.minTextPx.toFixed(1)} px (>= 11), drawing fills ${(m.fill * 100).toFixed(0)}% of the canvas width or height`);
      await p.screenshot({ path: path.join(OUT, `graph-penguins-${w}x${h}.png`) });
      await p.close();
    }
  } finally {
    await browser.close();
    server.close();
  }
  console.log(problems.length ? problems.join('\n') : 'no console errors');
  if (failures.length || problems.length) process.exitCode = 1;
  console.log(`screenshots in ${OUT}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
