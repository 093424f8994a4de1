/**
 * What differs between the configs of several runs, and which runs are the same config with a
 * different seed (so the compare view can average them).
 */

/** Keys never worth showing in a diff: cosmetic or editor-only. */
const IGNORED = new Set(['$schema', 'layout', 'description']);

/**
 * Flattens a JSON value into `path -> JSON text`. Arrays of objects with an `id` are keyed by id
 * (`tasks[intent].blocks[0].units`), so inserting a task does not shift every later path.
 */
export function flattenConfig(value: unknown, prefix = '', out: Map<string, string> = new Map()): Map<string, string> {
  if (Array.isArray(value)) {
    const byId = value.length > 0 && value.every((v) => isObject(v) && typeof v.id === 'string');
    if (value.length === 0) out.set(prefix, '[]');
    value.forEach((v, i) => {
      const key = byId ? (v as { id: string }).id : String(i);
      flattenConfig(v, `${prefix}[${key}]`, out);
    });
    return out;
  }
  if (isObject(value)) {
    const keys = Object.keys(value).filter((k) => !(prefix === '' && IGNORED.has(k))).sort();
    if (keys.length === 0 && prefix) out.set(prefix, '{}');
    for (const k of keys) flattenConfig(value[k], prefix ? `${prefix}.${k}` : k, out);
    return out;
  }
  out.set(prefix, JSON.stringify(value));
  return out;
}

/** One differing setting: its path and each run's value (undefined = not set in that run). */
export interface DiffRow {
  path: string;
  values: (string | undefined)[];
}

/**
 * Rows where at least two of the configs disagree (a missing config counts as unknown, not as a
 * difference). Paths in a stable order: as they first appear, run by run.
 */
export function diffConfigs(configs: (unknown | undefined)[]): DiffRow[] {
  const flats = configs.map((c) => (c === undefined ? undefined : flattenConfig(c)));
  const paths: string[] = [];
  const seen = new Set<string>();
  for (const f of flats) if (f) for (const p of f.keys()) if (!seen.has(p)) { seen.add(p); paths.push(p); }
  const rows: DiffRow[] = [];
  for (const p of paths) {
    const values = flats.map((f) => f?.get(p));
    const known = flats.map((f, i) => (f ? values[i] ?? '<unset>' : undefined)).filter((v) => v !== undefined);
    if (new Set(known).size > 1) rows.push({ path: p, values });
  }
  return rows;
}

/**
 * Key of a config with its seed and name removed: runs with equal keys are seeds of one config.
 * Stable across key order.
 */
export function configKey(config: unknown): string {
  const flat = flattenConfig(config);
  flat.delete('training.seed');
  flat.delete('name');
  return [...flat.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join('\n');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
