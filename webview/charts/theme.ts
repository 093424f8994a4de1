/**
 * Resolving theme colours for things CSS variables cannot reach: canvas pixels and exported SVG/PNG
 * files (which must carry concrete colours to look right outside VS Code).
 */
import { cssFallback, type SvgTheme } from '../../src/shared/series/lineLayout';

/** Value of a CSS custom property on <body> (VS Code sets its theme variables there). */
export function cssVar(name: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim();
}

/** `var(--x, fallback)` -> the theme's current value of `--x`, else the fallback; other colours unchanged. */
export function resolveColor(expr: string): string {
  const m = /^var\(\s*(--[\w-]+)\s*(?:,\s*(.+))?\)$/.exec(expr.trim());
  if (!m) return expr;
  const v = cssVar(m[1]);
  if (v) return v;
  return m[2] ? resolveColor(m[2].trim()) : cssFallback(expr);
}

/** Concrete colours of the current theme for standalone SVG exports. */
export function currentSvgTheme(): SvgTheme {
  const root = getComputedStyle(document.documentElement);
  const body = getComputedStyle(document.body);
  const get = (n: string, fb: string) => root.getPropertyValue(n).trim() || body.getPropertyValue(n).trim() || fb;
  const resolveVars = (v: string) => (v.startsWith('var(') ? resolveColor(v) : v);
  return {
    foreground: resolveVars(body.color || get('--fg', '#1f2328')),
    muted: resolveVars(get('--muted', '#656d76')),
    grid: resolveVars(get('--grid', 'rgba(128,128,128,0.22)')),
    background: body.backgroundColor && body.backgroundColor !== 'rgba(0, 0, 0, 0)' ? body.backgroundColor : '#ffffff',
    fontFamily: body.fontFamily || 'system-ui, sans-serif',
    fontSize: 11,
    resolve: resolveColor,
  };
}
