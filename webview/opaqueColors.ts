/**
 * Opaque copies of theme colours for the webviews. Some themes' chart colours are translucent
 * (Light Modern's `charts.orange` is 33 % opaque: faint arrows and a pale peach series on white);
 * lines and arrows want the hue at full strength. `keepOpaque` sets `--fmtl-*` custom properties on
 * <body> from `--vscode-*` ones with the alpha dropped, and again whenever VS Code switches theme
 * (it rewrites <html>'s style and <body>'s class). Set from script rather than with CSS relative
 * colours (`rgb(from ...)`), so the values are plain `rgb()` colours that canvas drawing and the
 * SVG/PNG exports, which read computed values, can use as they are.
 */

/** `#ea5c0055` / `rgba(234, 92, 0, 0.33)` -> `rgb(234, 92, 0)`; undefined when not a colour. */
export function opaque(color: string, ctx: CanvasRenderingContext2D): string | undefined {
  if (!color) return undefined;
  ctx.fillStyle = '#000001';
  ctx.fillStyle = color;
  const v = String(ctx.fillStyle);
  if (v === '#000001' && color.trim().toLowerCase() !== '#000001') return undefined;
  if (v.startsWith('#')) return v.slice(0, 7);
  const m = /^rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)/.exec(v);
  return m ? `rgb(${m[1]}, ${m[2]}, ${m[3]})` : undefined;
}

/** Keep `target -> source variables` (first defined source wins) opaque on <body>, now and on theme changes. */
export function keepOpaque(map: Record<string, string[]>): void {
  const ctx = document.createElement('canvas').getContext('2d');
  if (!ctx) return;
  const apply = () => {
    const cs = getComputedStyle(document.documentElement);
    const body = getComputedStyle(document.body);
    for (const [target, sources] of Object.entries(map)) {
      let value: string | undefined;
      for (const s of sources) {
        value = opaque(cs.getPropertyValue(s).trim() || body.getPropertyValue(s).trim(), ctx);
        if (value) break;
      }
      if (value) document.body.style.setProperty(target, value);
      else document.body.style.removeProperty(target);
    }
  };
  apply();
  const mo = new MutationObserver(apply);
  mo.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  mo.observe(document.body, { attributes: true, attributeFilter: ['class'] });
}
