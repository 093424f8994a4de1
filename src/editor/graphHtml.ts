/**
 * The graph webview's HTML (pure, so the browser preview in `test/webview/graph/preview.mjs` loads
 * the very same page). Strict CSP: scripts only with the per-load nonce, styles and fonts only from
 * the extension; no inline script, no eval.
 */

export interface GraphHtmlOptions {
  /** `webview.cspSource`. */
  cspSource: string;
  /** URI of `dist/webview/graph.js` as the webview sees it. */
  scriptUri: string;
  /** URI of `media/graph.css`. */
  styleUri: string;
  /** Random per load. */
  nonce: string;
}

/** Random nonce for the CSP (32 alphanumerics). */
export function makeNonce(random: () => number = Math.random): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < 32; i++) s += chars[Math.floor(random() * chars.length)];
  return s;
}

export function graphHtml(o: GraphHtmlOptions): string {
  // `style-src` needs no 'unsafe-inline': d3 and Lit set styles through the CSSOM and Lit's
  // component styles are constructable stylesheets, neither of which the CSP governs.
  const csp = [
    "default-src 'none'",
    `style-src ${o.cspSource}`,
    `font-src ${o.cspSource}`,
    `img-src ${o.cspSource} data:`,
    `script-src 'nonce-${o.nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${o.styleUri}">
<title>Task graph</title>
</head>
<body>
<div id="graph-root"></div>
<script nonce="${o.nonce}" src="${o.scriptUri}"></script>
</body>
</html>
`;
}
