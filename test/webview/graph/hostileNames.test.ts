// The graph webview in headless chromium (the real dist/webview/graph.js under the provider's page
// and CSP, a stand-in host answering `webview/ready` with readGraph's snapshot): an experiment whose
// name, description, task title, an (invalid) task id, an arrow's target and the file name are
// markup draws them as text — the parsed page holds no element made from them — with no CSP
// violation; selecting the task shows its title in the inspector, still as text.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { readGraph } from '../../../src/editor/graphModel';
import { graphHtml } from '../../../src/editor/graphHtml';
import { makeNonce } from '../../../src/shared/webviewPage';
import type { GraphToHostMessage, HostToGraphMessage } from '../../../src/shared/graphEditorProtocol';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const EVIL = '<img src=x onerror="window.__xss=1">';
const INJECTED = `document.querySelectorAll('img[src="x"], [onerror]').length`;

function hostileExperiment(): string {
  const exp = JSON.parse(fs.readFileSync(path.join(ROOT, 'samples', 'penguins-quick.fmtl.json'), 'utf8'));
  exp.name = `name ${EVIL}`;
  exp.description = `description ${EVIL}`;
  exp.tasks[0].title = `title ${EVIL}`;
  exp.tasks[1].id = EVIL;
  exp.feedback[0].to = `${EVIL}2`;
  return JSON.stringify(exp, null, 2);
}

test('graph webview: names, titles, descriptions, ids and the file name made of markup render as text', { skip: !fs.existsSync(CHROMIUM) && `no chromium at ${CHROMIUM} (bash test/e2e/setup.sh installs it)`, timeout: 60_000 }, async () => {
  assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'webview', 'graph.js')), 'run `node esbuild.mjs` first');
  const text = hostileExperiment();
  const receive = (msg: GraphToHostMessage): HostToGraphMessage[] => {
    if (msg.type !== 'webview/ready') return [];
    const r = readGraph(text);
    return [{ type: 'graph/snapshot', version: 1, fileName: `${EVIL}.fmtl.json`, model: r.model, parseErrors: r.parseErrors, issues: r.issues }];
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (type: string, body: string | Buffer) => { res.writeHead(200, { 'content-type': type }); res.end(body); };
    const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    if (url.pathname === '/') {
      const nonce = makeNonce();
      const html = graphHtml({ cspSource: origin, nonce, scriptUri: `${origin}/dist/webview/graph.js`, styleUri: `${origin}/media/graph.css` })
        .replace('</head>', `<script nonce="${nonce}" src="${origin}/fake-vscode.js"></script>\n</head>`);
      return send('text/html', html);
    }
    if (url.pathname === '/fake-vscode.js') {
      return send('text/javascript', `
        window.__csp = [];
        document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
        window.acquireVsCodeApi = () => ({
          postMessage(m) { window.__host(m.body).then((out) => { for (const body of out) window.postMessage({ fmtl: 1, body }, '*'); }); },
          getState() { return undefined; }, setState() {},
        });`);
    }
    const file = path.join(ROOT, url.pathname);
    if (!file.startsWith(ROOT) || !fs.existsSync(file)) { res.writeHead(404); return res.end(); }
    return send(file.endsWith('.css') ? 'text/css' : 'text/javascript', fs.readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.exposeFunction('__host', (m: GraphToHostMessage) => receive(m));
    await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
    await page.waitForSelector('[data-node-id="species/1"]');
    await page.waitForTimeout(300);
    const body = await page.evaluate<string>(`document.body.innerText + ' ' + [...document.querySelectorAll('svg text')].map((t) => t.textContent).join(' ')`);
    assert.ok(body.includes(EVIL), `the markup shows as text: ${body.slice(0, 400)}`);
    assert.equal(await page.evaluate<number>(INJECTED), 0, 'no element made from a user string');
    // The task's inspector: its title and description as field values and text.
    await page.click('[data-node-id="species/1"]', { force: true });
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate<number>(INJECTED), 0, 'no element made from a user string with the inspector open');
    assert.equal(await page.evaluate('window.__xss'), undefined);
    assert.deepEqual(await page.evaluate<string[]>('window.__csp'), [], 'no CSP violation');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.close();
  }
});
