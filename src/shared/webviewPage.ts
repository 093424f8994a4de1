/**
 * The HTML page of a webview (graph editor, charts): a strict Content-Security-Policy, one script
 * allowed by a per-load nonce, styles and fonts only from the extension. Pure, so the browser
 * preview of the graph (`test/webview/graph/preview.ts`) serves the very same page.
 */
import { escapeHtml } from './escape';

export interface WebviewPageOptions {
  /** `webview.cspSource`. */
  cspSource: string;
  /** Random per load ({@link makeNonce}). */
  nonce: string;
  /** URI of the bundle (`dist/webview/*.js`) as the webview sees it. */
  scriptUri: string;
  /** URI of a stylesheet, if any. */
  styleUri?: string;
  title: string;
  /** The body's one root element, e.g. `<div id="graph-root"></div>`. */
  body: string;
  /**
   * Inline `style` attributes allowed (`'unsafe-inline'`): the charts set them from d3. The graph
   * needs none: d3 and Lit style through the CSSOM and constructable stylesheets, which the CSP
   * does not govern.
   */
  inlineStyles?: boolean;
  /** `blob:` images allowed (the charts render PNG exports through one). */
  blobImages?: boolean;
}

/** 32 hex digits (128 bits) from the platform's cryptographic random source (Node 20+, browsers). */
export function makeNonce(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The Content-Security-Policy of a webview page. */
export function webviewCsp(o: Pick<WebviewPageOptions, 'cspSource' | 'nonce' | 'inlineStyles' | 'blobImages'>): string {
  return [
    "default-src 'none'",
    `img-src ${o.cspSource} data:${o.blobImages ? ' blob:' : ''}`,
    `style-src ${o.cspSource}${o.inlineStyles ? " 'unsafe-inline'" : ''}`,
    `font-src ${o.cspSource}`,
    `script-src 'nonce-${o.nonce}'`,
  ].join('; ');
}

export function webviewPage(o: WebviewPageOptions): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${webviewCsp(o)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${o.styleUri ? `<link rel="stylesheet" href="${escapeHtml(o.styleUri)}">\n` : ''}<title>${escapeHtml(o.title)}</title>
</head>
<body>
${o.body}
<script nonce="${o.nonce}" src="${escapeHtml(o.scriptUri)}"></script>
</body>
</html>
`;
}

/** A page with only a message, no script (e.g. a bundle is missing). */
export function webviewMessagePage(title: string, html: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'"><title>${escapeHtml(title)}</title></head>
<body><p>${html}</p></body></html>
`;
}
