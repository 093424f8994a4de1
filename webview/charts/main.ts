/**
 * Entry of the charts bundle (`dist/webview/charts.js`): used by the VS Code run panel and by the
 * static `report.html`. Injects the stylesheet, picks the host, starts the app.
 */
import { ChartsApp } from './app';
import { embeddedSnapshot, inVsCode, reportHost, vscodeHost, type ChartsHost } from './host';
import { CHARTS_CSS, CHARTS_CSS_EXTRA } from './styles';
import { RUN_PALETTE, seriesVar } from '../../src/shared/series/colors';
import { keepOpaque } from '../opaqueColors';

/**
 * The series colours as typed custom properties: their computed value is then a resolved colour
 * (not the `rgb(from ...)` expression), which canvas drawing and SVG/PNG exports can use.
 */
function registerSeriesColors(): void {
  for (const c of RUN_PALETTE) {
    try {
      CSS.registerProperty({ name: seriesVar(c), syntax: '<color>', inherits: true, initialValue: c.fallback });
    } catch {
      // already registered (hot reload) or not supported: the untyped property still draws
    }
  }
}

function boot(): void {
  registerSeriesColors();
  const style = document.createElement('style');
  // Under the panel's CSP, styles carry the page nonce (set on our own <script> tag).
  const nonce = (document.currentScript as HTMLScriptElement | null)?.nonce || document.querySelector<HTMLScriptElement>('script[nonce]')?.nonce;
  if (nonce) style.nonce = nonce;
  style.textContent = CHARTS_CSS + CHARTS_CSS_EXTRA;
  document.head.append(style);
  if (inVsCode()) keepOpaque(Object.fromEntries(RUN_PALETTE.map((c) => [seriesVar(c), [c.cssVar]])));
  let root = document.getElementById('charts-root');
  if (!root) {
    root = document.createElement('main');
    root.id = 'charts-root';
    document.body.append(root);
  }
  let host: ChartsHost;
  if (inVsCode()) {
    host = vscodeHost();
  } else {
    const snap = embeddedSnapshot();
    if (!snap) {
      root.textContent = 'No run data found in this page.';
      return;
    }
    document.body.classList.add('fmtl-report');
    host = reportHost(snap);
  }
  const app = new ChartsApp(root, host);
  // Read by bench/frames.mjs and handy when debugging a webview.
  (window as unknown as { fmtlCharts: ChartsApp }).fmtlCharts = app;
  host.start((m) => app.receive(m));
}

boot();
