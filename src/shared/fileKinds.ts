/** The extension's file kinds, by name: experiments (`*.fmtl.json`) and sweeps (`*.sweep.json`). Pure. */

export const EXPERIMENT_SUFFIX = '.fmtl.json';
export const SWEEP_SUFFIX = '.sweep.json';
/** Workspace glob of experiment files. */
export const EXPERIMENT_GLOB = `**/*${EXPERIMENT_SUFFIX}`;

/** True for a path (or URI path) of an experiment file. */
export function isExperimentPath(p: string): boolean {
  return p.endsWith(EXPERIMENT_SUFFIX);
}

/** True for a path (or URI path) of a sweep file. */
export function isSweepPath(p: string): boolean {
  return p.endsWith(SWEEP_SUFFIX);
}
