/**
 * The words drawn in the task graph and how much room they take (pure, no DOM): node titles and
 * sub-lines, arrow captions, and the font sizes (graph units) that `media/graph.css` uses for them.
 * The layout sizes boxes and spaces columns from these, so that the fitted drawing can keep every
 * text at a readable size instead of shrinking fixed-size boxes into a thumbnail.
 */
import type { GraphArrow, GraphBlock, GraphTask } from '../../src/shared/graphEditorProtocol';

/**
 * Font sizes in graph units (at zoom 1 they are CSS pixels); keep in step with `media/graph.css`.
 * The smallest of them decides the smallest zoom at which the graph is still readable.
 */
export const FONT = { taskTitle: 14, title: 13, sub: 12, label: 12, badge: 12, branch: 12 } as const;

/** Smallest font of the drawing, in graph units. */
export const MIN_FONT = Math.min(...Object.values(FONT));

/**
 * Width of `text` at `px` (graph units), estimated for the sans fonts VS Code uses (DejaVu Sans,
 * Segoe UI, Ubuntu: about 0.6 em per character, bold a little more). Errs on the wide side, so
 * boxes are never too small for their words.
 */
export function textWidth(text: string, px: number, bold = false): number {
  let em = 0;
  for (const ch of text) {
    if (/[ilj.,:·'|!()\[\]]/.test(ch)) em += 0.34;
    else if (/[A-Z]/.test(ch)) em += 0.7;
    else if (/[mw]/.test(ch)) em += 0.9;
    else if (ch === ' ') em += 0.32;
    else em += 0.6;
  }
  return em * px * (bold ? 1.07 : 1);
}

/** h^n with a superscript, for SVG text. */
export function blockName(n: number): string {
  const sup = '⁰¹²³⁴⁵⁶⁷⁸⁹';
  return 'h' + String(n).split('').map((d) => sup[Number(d)]).join('');
}

/** `classification`, `tagging (per token)`, `regression`, `language model (next word)`. */
export function taskKindCaption(t: Pick<GraphTask, 'kind'>): string {
  return t.kind === 'tagging' ? 'tagging (per token)' : t.kind === 'language-model' ? 'language model (next word)' : t.kind;
}

/** A task's title line: its title, else its id. */
export function taskTitle(t: Pick<GraphTask, 'id' | 'title'>): string {
  return t.title ? t.title : t.id;
}

/** A task's sub-line: its kind, preceded by its id when the title hides it (`mass · regression`). */
export function taskSub(t: Pick<GraphTask, 'id' | 'title' | 'kind'>): string {
  const idShown = !t.title || t.title.trim().toLowerCase() === t.id.toLowerCase();
  return `${idShown ? '' : `${t.id} · `}${taskKindCaption(t)}`;
}

/** A block's title line: `h² dense 16`. */
export function blockTitle(b: Pick<GraphBlock, 'n' | 'type' | 'units'>): string {
  return `${blockName(b.n)}  ${b.type}${b.units !== undefined ? ` ${b.units}` : ''}`;
}

/** A block's sub-line: activation and dropout when set. */
export function blockSub(b: Pick<GraphBlock, 'activation' | 'dropout'>): string {
  return [b.activation, b.dropout !== undefined ? `drop ${b.dropout}` : undefined].filter(Boolean).join(' · ');
}

/** `label-emb 8 · add`, `linear 16 (off)`. */
export function arrowCaption(a: Pick<GraphArrow, 'amplifier' | 'combine' | 'enabled'>): string {
  const units = a.amplifier.units !== undefined ? ` ${a.amplifier.units}` : '';
  const type = a.amplifier.type === 'label-embedding' ? 'label-emb' : a.amplifier.type;
  return `${type}${units}${a.combine === 'add' ? ' · add' : ''}${a.enabled === false ? ' (off)' : ''}`;
}

/** Label pill size of an arrow caption (graph units). */
export function labelSize(caption: string): { w: number; h: number } {
  return { w: Math.ceil(textWidth(caption, FONT.label) + 16), h: FONT.label + 10 };
}

/** Box width that holds a title and a sub-line with padding, at least `min`. */
export function boxWidth(title: string, titlePx: number, sub: string, min: number): number {
  return Math.max(min, Math.ceil(Math.max(textWidth(title, titlePx, true), textWidth(sub, FONT.sub)) + 20));
}
