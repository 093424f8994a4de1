/**
 * Quoting a piece of a data file in a message. Messages quote content only from files that parsed
 * as the data the experiment expects (a CSV whose header holds a column the experiment names; SLU
 * files whose lines and tokens line up), never from an arbitrary file a path happened to point at,
 * and never more than a short piece of it.
 */

/** Longest piece of a data file a message quotes, in characters. */
export const QUOTE_MAX = 40;

/** `s` cut to {@link QUOTE_MAX} characters with `…`, control characters written as escapes. */
export function clip(s: string, max = QUOTE_MAX): string {
  const chars = [...s];
  const cut = chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : s;
  return cut.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

/** {@link clip}ped `s` in single quotes. */
export function quoted(s: string, max = QUOTE_MAX): string {
  return `'${clip(s, max)}'`;
}

/** The first `max` items quoted and joined, with `… N more` when there are more. */
export function quotedList(items: readonly string[], max = 20): string {
  const shown = items.slice(0, max).map((s) => quoted(s)).join(', ');
  return items.length > max ? `${shown}, … ${items.length - max} more` : shown;
}
