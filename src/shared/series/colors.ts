/**
 * Stable run colours. Series colours come from VS Code's `--vscode-charts-*` theme variables (with
 * fallbacks for the static report, where no theme exists); a run keeps its colour slot for the
 * whole session so overlays stay readable when runs are added or removed.
 */

/** One palette slot: the theme variable and a fallback that reads well on light and dark. */
export interface PaletteColor {
  name: string;
  cssVar: string;
  fallback: string;
}

/** Order chosen so neighbours contrast strongly (blue/orange first, as most plotting tools do). */
export const RUN_PALETTE: readonly PaletteColor[] = [
  { name: 'blue', cssVar: '--vscode-charts-blue', fallback: '#3794ff' },
  { name: 'orange', cssVar: '--vscode-charts-orange', fallback: '#d18616' },
  { name: 'green', cssVar: '--vscode-charts-green', fallback: '#89d185' },
  { name: 'purple', cssVar: '--vscode-charts-purple', fallback: '#b180d7' },
  { name: 'red', cssVar: '--vscode-charts-red', fallback: '#f14c4c' },
  { name: 'yellow', cssVar: '--vscode-charts-yellow', fallback: '#cca700' },
];

/**
 * Our opaque copy of a slot's theme colour (`--fmtl-series-<name>`). Some themes' chart colours are
 * translucent (Light Modern's orange is 33 % opaque: a pale peach line on white); the webview sets
 * these from the theme variables with the alpha dropped (`seriesColorCss`, webview/opaqueColors.ts).
 */
export function seriesVar(c: PaletteColor): string {
  return `--fmtl-series-${c.name}`;
}

/** CSS colour expression of palette slot `i` (wraps around). */
export function paletteColor(i: number): string {
  const c = RUN_PALETTE[((i % RUN_PALETTE.length) + RUN_PALETTE.length) % RUN_PALETTE.length];
  return `var(${seriesVar(c)}, ${c.fallback})`;
}

/** CSS declarations that define every `--fmtl-series-*` as its theme colour (the webview then makes them opaque). */
export function seriesColorCss(): string {
  return RUN_PALETTE.map((c) => `${seriesVar(c)}: var(${c.cssVar}, ${c.fallback});`).join(' ');
}

/** 32-bit FNV-1a of a string: a deterministic, well-spread hash for colour slots. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Gives each id a palette slot: ids already in `assigned` keep theirs; a new id takes its hash slot
 * if free, else the next free one (wrapping to shared slots only when all are taken). Mutates and
 * returns `assigned`, so a caller keeping the map gets the same colour for a run every time.
 */
export function assignColors(ids: string[], assigned: Map<string, number> = new Map(), size = RUN_PALETTE.length): Map<string, number> {
  for (const id of ids) {
    if (assigned.has(id)) continue;
    const used = new Set(assigned.values());
    const start = fnv1a(id) % size;
    let slot = start;
    for (let k = 0; k < size; k++) {
      const c = (start + k) % size;
      if (!used.has(c)) { slot = c; break; }
    }
    assigned.set(id, slot);
  }
  return assigned;
}
