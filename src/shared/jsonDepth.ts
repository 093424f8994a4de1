/**
 * Nesting depth of JSON(C) text, measured without recursion. jsonc-parser, `getNodeValue` and the
 * path lookups recurse once per level, so 200,000 nested `[` overflow the stack ("Maximum call
 * stack size exceeded", no place). Every parser of experiment text asks {@link tooDeep} first and
 * reports the place instead; no experiment comes near the limit (a real file nests about 6 deep).
 */

/** Deepest nesting of `[` / `{` accepted. */
export const MAX_JSON_DEPTH = 256;

/**
 * The offset of the first bracket that opens level `max + 1`, or undefined when the text stays
 * within `max` levels. Skips strings and comments; linear, no recursion.
 */
export function tooDeep(text: string, max = MAX_JSON_DEPTH): { offset: number; max: number } | undefined {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22 || d === 0x0a) break;
      }
    } else if (c === 0x2f /* / */ && text.charCodeAt(i + 1) === 0x2f) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? n : end;
    } else if (c === 0x2f && text.charCodeAt(i + 1) === 0x2a /* * */) {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 1;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > max) return { offset: i, max };
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      if (depth > 0) depth--;
    }
  }
  return undefined;
}

/** The message for {@link tooDeep}'s answer. */
export function tooDeepMessage(max = MAX_JSON_DEPTH): string {
  return `JSON nested more than ${max} levels deep here; an experiment file nests about 6 levels (the file is not read further)`;
}
