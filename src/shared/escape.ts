/** Escaping text for the markup it is put into: HTML/SVG (webviews, the report, SVG exports) and Markdown (tooltips, hovers). */

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** `a<b & "c"` -> `a&lt;b &amp; &quot;c&quot;`; safe in element content and quoted attributes of HTML and SVG. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** Backslash before every character Markdown could read as syntax (`*`, `_`, `|`, `[`, ...). */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|]/g, (c) => `\\${c}`);
}
