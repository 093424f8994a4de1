import test from 'node:test';
import assert from 'node:assert/strict';
import { makeNonce, webviewCsp, webviewPage } from '../../src/shared/webviewPage';
import { escapeHtml, escapeMarkdown } from '../../src/shared/escape';

test('nonces: 32 hex digits, never the same twice', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const n = makeNonce();
    assert.match(n, /^[0-9a-f]{32}$/);
    seen.add(n);
  }
  assert.equal(seen.size, 200);
});

test('CSP: nothing by default, the script only by nonce; inline styles and blob images only when asked', () => {
  assert.equal(webviewCsp({ cspSource: 'vscode-res:', nonce: 'N' }),
    "default-src 'none'; img-src vscode-res: data:; style-src vscode-res:; font-src vscode-res:; script-src 'nonce-N'");
  assert.equal(webviewCsp({ cspSource: 'vscode-res:', nonce: 'N', inlineStyles: true, blobImages: true }),
    "default-src 'none'; img-src vscode-res: data: blob:; style-src vscode-res: 'unsafe-inline'; font-src vscode-res:; script-src 'nonce-N'");
});

test('page: one nonce-tagged script, the stylesheet, an escaped title', () => {
  const html = webviewPage({ cspSource: 'c:', nonce: 'N', scriptUri: 'https://x/a.js', styleUri: 'https://x/a.css', title: 'run <1> & "2"', body: '<main id="r"></main>' });
  assert.equal((html.match(/<script /g) ?? []).length, 1);
  assert.ok(html.includes('<script nonce="N" src="https://x/a.js"></script>'));
  assert.ok(html.includes('<link rel="stylesheet" href="https://x/a.css">'));
  assert.ok(html.includes('<title>run &lt;1&gt; &amp; &quot;2&quot;</title>'));
  assert.ok(html.includes('<main id="r"></main>'));
});

test('escapers', () => {
  assert.equal(escapeHtml(`<a href='x'>&"`), '&lt;a href=&#39;x&#39;&gt;&amp;&quot;');
  assert.equal(escapeMarkdown('r1|x *b* [l](u)'), 'r1\\|x \\*b\\* \\[l\\]\\(u\\)');
});
