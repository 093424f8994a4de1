/**
 * Where a data path written in an experiment file points on disk: relative to the experiment
 * file's folder, absolute as written, or under the home folder for `~` and `~/x` (as a shell would
 * read them; `~user` is not expanded). The one resolver for validation, training and the
 * extension, so all three read the same file.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Absolute path of `written` (a data path from the experiment) for an experiment in `baseDir`. */
export function resolveDataPath(baseDir: string, written: string, home: string = os.homedir()): string {
  if (written === '~') return path.resolve(home);
  if (written.startsWith('~/') || written.startsWith('~\\')) return path.resolve(home, written.slice(2));
  return path.resolve(baseDir, written);
}

/**
 * Validation options for an experiment in `baseDir`: `fileExists` (a regular file at the resolved
 * path) and `resolvePath` (for messages that show the path as resolved). `exists` may be swapped
 * for a cached check (the Problems panel re-validates on every keystroke).
 */
export function dataPathOptions(baseDir: string, exists: (abs: string) => boolean = isFile): { fileExists: (rel: string) => boolean; resolvePath: (rel: string) => string } {
  return {
    fileExists: (rel) => exists(resolveDataPath(baseDir, rel)),
    resolvePath: (rel) => resolveDataPath(baseDir, rel),
  };
}

function isFile(abs: string): boolean {
  try { return fs.statSync(abs).isFile(); } catch { return false; }
}
