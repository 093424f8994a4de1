/**
 * Stylesheet of the charts webview and the static report, injected by `main.ts` so both get the
 * same look. Every colour is a VS Code theme variable with a fallback for the report (light theme);
 * `prefers-color-scheme: dark` darkens the report outside VS Code.
 */
import { seriesColorCss } from '../../src/shared/series/colors';

export const CHARTS_CSS = `
body { ${seriesColorCss()} }
:root {
  --fg: var(--vscode-foreground, #1f2328);
  --muted: var(--vscode-descriptionForeground, #656d76);
  --bg: var(--vscode-editor-background, #ffffff);
  --card: var(--vscode-sideBar-background, var(--vscode-editorWidget-background, #f6f8fa));
  --border: var(--vscode-widget-border, var(--vscode-panel-border, #d0d7de));
  --grid: var(--vscode-charts-lines, rgba(128,128,128,0.22));
  --accent: var(--vscode-focusBorder, #0969da);
  --btn-bg: var(--vscode-button-secondaryBackground, #eaeef2);
  --btn-fg: var(--vscode-button-secondaryForeground, #1f2328);
  --btn-hover: var(--vscode-button-secondaryHoverBackground, #dde3e8);
  --tip-bg: var(--vscode-editorHoverWidget-background, #ffffff);
  --tip-border: var(--vscode-editorHoverWidget-border, #d0d7de);
  --font: var(--vscode-font-family, system-ui, -apple-system, "Segoe UI", sans-serif);
  --mono: var(--vscode-editor-font-family, ui-monospace, "SF Mono", Menlo, Consolas, monospace);
}
@media (prefers-color-scheme: dark) {
  body.fmtl-report {
    --fg: #e6edf3; --muted: #8d96a0; --bg: #0d1117; --card: #161b22; --border: #30363d;
    --grid: rgba(200,200,200,0.14); --btn-bg: #21262d; --btn-fg: #e6edf3; --btn-hover: #30363d;
    --tip-bg: #161b22; --tip-border: #30363d;
  }
}
/* High contrast themes define no secondary button colours (VS Code leaves them unset there), so
   the report fallbacks above would paint white text on a near-white button: outline buttons in the
   theme's own foreground and contrast border instead, and no half-transparent tool buttons. */
body.vscode-high-contrast, body.vscode-high-contrast-light {
  --btn-bg: transparent;
  --btn-fg: var(--vscode-foreground);
  --btn-hover: var(--vscode-toolbar-hoverBackground, transparent);
  --border: var(--vscode-contrastBorder, var(--vscode-widget-border, currentColor));
}
body.vscode-high-contrast button.fmtl-btn, body.vscode-high-contrast-light button.fmtl-btn {
  border-color: var(--vscode-contrastBorder, var(--vscode-button-border, currentColor));
}
body.vscode-high-contrast button.fmtl-btn[aria-pressed=true], body.vscode-high-contrast-light button.fmtl-btn[aria-pressed=true] {
  border-color: var(--vscode-contrastActiveBorder, var(--vscode-focusBorder));
  outline: 1px dashed var(--vscode-contrastActiveBorder, var(--vscode-focusBorder));
}
body.vscode-high-contrast figure.fmtl-chart > header .tools, body.vscode-high-contrast-light figure.fmtl-chart > header .tools { opacity: 1; }
html, body { margin: 0; padding: 0; background: var(--bg); color: var(--fg); font-family: var(--font); font-size: 13px; }
#charts-root { padding: 12px 16px 40px; max-width: 1600px; margin: 0 auto; }
.fmtl-header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 16px; margin-bottom: 4px; }
.fmtl-header h1 { font-size: 16px; font-weight: 600; margin: 0; }
.fmtl-header .run-chip { display: inline-flex; align-items: center; gap: 6px; font-size: 12px; color: var(--muted); }
.fmtl-header .run-chip i { width: 10px; height: 10px; border-radius: 50%; display: inline-block; }
#charts-status { color: var(--muted); font-family: var(--mono); font-size: 12px; margin: 2px 0 10px; }
#charts-status .st-running { color: var(--vscode-charts-green, #1a7f37); }
#charts-status .st-failed { color: var(--vscode-errorForeground, #cf222e); }
.fmtl-toolbar { position: sticky; top: 0; z-index: 5; display: flex; flex-wrap: wrap; align-items: center; gap: 8px 14px;
  padding: 6px 0 8px; background: var(--bg); border-bottom: 1px solid var(--border); margin-bottom: 8px; }
.fmtl-toolbar label { display: inline-flex; align-items: center; gap: 6px; color: var(--muted); font-size: 12px; }
.fmtl-toolbar input[type=range] { width: 120px; accent-color: var(--accent); }
.fmtl-toolbar .spacer { flex: 1; }
.fmtl-toolbar nav a { color: var(--muted); text-decoration: none; margin-right: 10px; font-size: 12px; }
.fmtl-toolbar nav a:hover { color: var(--fg); }
button.fmtl-btn { font: inherit; font-size: 11px; color: var(--btn-fg); background: var(--btn-bg); border: 1px solid transparent;
  border-radius: 3px; padding: 2px 8px; cursor: pointer; line-height: 18px; }
button.fmtl-btn:hover { background: var(--btn-hover); }
button.fmtl-btn[aria-pressed=true] { border-color: var(--accent); }
button.fmtl-btn:focus-visible { outline: 1px solid var(--accent); outline-offset: 1px; }
section.fmtl-section { margin: 18px 0 8px; }
section.fmtl-section > h2 { font-size: 13px; font-weight: 600; text-transform: uppercase; letter-spacing: .06em; color: var(--muted);
  margin: 0 0 2px; }
section.fmtl-section > p.fmtl-hint { margin: 0 0 8px; color: var(--muted); font-size: 12px; max-width: 900px; }
.fmtl-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 12px; }
.fmtl-grid.wide { grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); }
figure.fmtl-chart { margin: 0; background: var(--card); border: 1px solid var(--border); border-radius: 6px; padding: 8px 10px 6px;
  position: relative; min-width: 0; }
figure.fmtl-chart > header { display: flex; align-items: center; gap: 6px; min-height: 22px; }
figure.fmtl-chart > header h3 { font-size: 12.5px; font-weight: 600; margin: 0; flex: 1; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
figure.fmtl-chart > header h3 small { font-weight: 400; color: var(--muted); margin-left: 6px; }
figure.fmtl-chart > header .tools { display: flex; gap: 4px; opacity: .55; transition: opacity .15s; }
figure.fmtl-chart:hover > header .tools, figure.fmtl-chart:focus-within > header .tools { opacity: 1; }
figure.fmtl-chart svg { display: block; overflow: visible; user-select: none; }
figure.fmtl-chart figcaption { color: var(--muted); font-size: 11.5px; margin-top: 2px; min-height: 16px; }
.fmtl-chart .axis text, .fmtl-chart .ylabel, .fmtl-chart .xlabel { fill: var(--muted); font-size: 11px; font-family: var(--font); }
.fmtl-chart .axis line.domain { stroke: var(--muted); stroke-opacity: .6; }
.fmtl-chart .grid line { stroke: var(--grid); }
.fmtl-chart .legend text { fill: var(--fg); font-size: 11px; font-family: var(--font); cursor: pointer; }
.fmtl-chart .legend g.off { opacity: .35; }
.fmtl-chart .hover-rule { stroke: var(--muted); stroke-dasharray: 3 3; }
.fmtl-chart .empty { fill: var(--muted); font-size: 12px; }
.fmtl-chart .overlay { fill: transparent; cursor: crosshair; }
.fmtl-tip { position: absolute; pointer-events: none; z-index: 10; background: var(--tip-bg); border: 1px solid var(--tip-border);
  border-radius: 4px; padding: 5px 8px; font-size: 11.5px; font-family: var(--mono); box-shadow: 0 2px 8px rgba(0,0,0,.18);
  white-space: nowrap; display: none; }
.fmtl-tip b { font-family: var(--font); font-weight: 600; }
.fmtl-tip i { display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 5px; }
.fmtl-heat canvas { position: absolute; left: 0; top: 0; image-rendering: pixelated; }
.fmtl-heat .stack { position: relative; }
.fmtl-heat .controls { display: flex; align-items: center; gap: 10px; font-size: 11.5px; color: var(--muted); margin-top: 4px; }
.fmtl-heat .controls input[type=range] { flex: 1; accent-color: var(--accent); }
.fmtl-heat .readout { font-family: var(--mono); color: var(--fg); }
.fmtl-heat .readout .win { font-weight: 700; }
table.fmtl-table { border-collapse: collapse; font-size: 12px; width: 100%; background: var(--card); border: 1px solid var(--border); border-radius: 6px; }
table.fmtl-table th, table.fmtl-table td { text-align: left; padding: 4px 10px; border-bottom: 1px solid var(--border); vertical-align: top; }
table.fmtl-table th { color: var(--muted); font-weight: 600; white-space: nowrap; }
table.fmtl-table td.num { font-family: var(--mono); text-align: right; white-space: nowrap; }
table.fmtl-table td.path { font-family: var(--mono); color: var(--muted); }
table.fmtl-table td.val { font-family: var(--mono); }
table.fmtl-table td.best { font-weight: 700; }
table.fmtl-table .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 6px; vertical-align: -1px; }
.fmtl-note { color: var(--muted); font-size: 12px; padding: 10px 12px; border: 1px dashed var(--border); border-radius: 6px; }
.fmtl-logs { font-family: var(--mono); font-size: 11.5px; color: var(--muted); max-height: 160px; overflow: auto; white-space: pre-wrap; }
.fmtl-logs .warn { color: var(--vscode-editorWarning-foreground, #9a6700); }
.fmtl-logs .error { color: var(--vscode-errorForeground, #cf222e); }
/* Examples: tags coloured by slot type as an underline + tint over the theme background, so the
   text keeps the theme's own foreground in light, dark and high contrast; a wrong tag is also
   marked by an outline in the error colour and a ✗, never by colour alone. */
.fmtl-examples .ex-controls { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: center; margin: 6px 0; }
.fmtl-examples select, .fmtl-examples input { background: var(--vscode-input-background, var(--bg)); color: var(--vscode-input-foreground, var(--fg));
  border: 1px solid var(--vscode-input-border, var(--border)); font: inherit; padding: 2px 4px; }
.fmtl-examples #try-input { min-width: 360px; flex: 1; }
.fmtl-examples .ex-count-row { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 4px 0; }
.fmtl-examples .ex-count-row strong { min-width: 90px; }
.fmtl-examples .ex-table { border-collapse: collapse; margin: 6px 0 12px; font-size: 12px; }
.fmtl-examples .ex-table th, .fmtl-examples .ex-table td { border: 1px solid var(--border); padding: 2px 6px; text-align: left; vertical-align: top; }
.fmtl-examples .ex-table td.num { text-align: right; font-family: var(--mono); }
.fmtl-examples #examples-list tbody tr { cursor: pointer; }
.fmtl-examples #examples-list tbody tr:hover, .fmtl-examples #examples-list tbody tr.selected { background: var(--vscode-list-hoverBackground, rgba(128,128,128,0.12)); }
.fmtl-examples #examples-list tbody tr:focus { outline: 1px solid var(--accent); }
.fmtl-examples .ex-badge.ex-broken, .fmtl-examples .ex-count.ex-broken { color: var(--vscode-errorForeground, #cf222e); }
.fmtl-examples .ex-badge.ex-corrected, .fmtl-examples .ex-count.ex-corrected { color: var(--vscode-testing-iconPassed, var(--vscode-charts-green, #1a7f37)); }
.fmtl-examples .ex-passes td.tag { font-family: var(--mono); border-bottom: 3px solid var(--tag, transparent);
  background: color-mix(in srgb, var(--tag, transparent) 16%, transparent); }
.fmtl-examples .ex-passes td.tag.o { color: var(--muted); }
.fmtl-examples .ex-passes td.wrong { outline: 2px dashed var(--vscode-errorForeground, #cf222e); outline-offset: -2px; }
.fmtl-examples .ex-passes tr.gold th, .fmtl-examples .ex-passes tr.gold td { font-weight: 600; }
.fmtl-examples .ex-passes caption { text-align: left; font-weight: 600; padding: 2px 0; }
.fmtl-examples .ex-confusion td { text-align: right; font-family: var(--mono); min-width: 28px; }
.fmtl-examples .ex-confusion td.diag { background: color-mix(in srgb, var(--vscode-charts-green, #1a7f37) calc(var(--share, 0) * 45%), transparent); }
.fmtl-examples .ex-confusion td.off { cursor: pointer; background: color-mix(in srgb, var(--vscode-charts-red, #cf222e) calc(var(--share, 0) * 45%), transparent); }
.fmtl-examples .ex-types tr { cursor: pointer; }
.fmtl-examples h3 { font-size: 13px; margin: 12px 0 4px; }
`;
export const CHARTS_CSS_EXTRA = `
h3.fmtl-subhead { font-size: 12px; font-weight: 600; color: var(--fg); margin: 14px 0 6px; }
.fmtl-compare .fmtl-grid { margin-top: 10px; }
.fmtl-section-body > .fmtl-grid + .fmtl-grid { margin-top: 12px; }
details.fmtl-logbox { margin-top: 16px; }
details.fmtl-logbox summary { cursor: pointer; color: var(--muted); font-size: 12px; }
.fmtl-error { color: var(--vscode-errorForeground, #cf222e); border: 1px solid currentColor; border-radius: 6px; padding: 8px 10px; margin: 8px 0; white-space: pre-wrap; }
`;
