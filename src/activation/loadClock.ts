/**
 * Imported first by `extension.ts` (and importing nothing), so this runs before any other module of
 * the bundle: the time the extension's code started evaluating, for the activation measurement.
 */
export const loadedAt = performance.now();
