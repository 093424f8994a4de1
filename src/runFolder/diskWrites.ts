/**
 * Every write of a run folder goes through here: folders created one level at a time (fails fast
 * where Node's recursive mkdir loops for ever, e.g. under /proc), files written to a temporary name,
 * fsynced and renamed into place, and the temporary removed again when anything fails. Failures
 * become one {@link DiskError} naming the path and the cause in words (disk full, permission denied,
 * read-only file system), never a bare `ENOSPC: ..., write`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A write that failed: `path` is what could not be written, `code` the system error code. */
export class DiskError extends Error {
  override readonly name = 'DiskError';
  constructor(message: string, readonly path: string, readonly code: string | undefined) {
    super(message);
  }
}

const CAUSES: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  ENOENT: 'the folder does not exist or does not accept new entries',
  EEXIST: 'it already exists and is not a folder',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
  ENAMETOOLONG: 'the name is too long',
};

/** `no space left on the device (ENOSPC)`; unknown errors keep their own text. */
export function causeOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code && CAUSES[code]) return `${CAUSES[code]} (${code})`;
  const msg = (err as Error)?.message ?? String(err);
  return code ? `${msg.replace(/^[A-Z]+: /, '')}` : msg;
}

/** Wraps a failed file system call: `cannot <action> <path>: <cause>`. Passes DiskErrors through. */
export function diskError(action: string, file: string, err: unknown): DiskError {
  // A DiskError from a lower level is re-worded for the path the caller knows (the checkpoint, not
  // its temporary file) when its cause is a known one; otherwise it already says everything.
  if (err instanceof DiskError && !(err.code && CAUSES[err.code])) return err;
  return new DiskError(`cannot ${action} ${file}: ${causeOf(err)}`, file, (err as NodeJS.ErrnoException)?.code);
}

/**
 * `mkdir -p` that fails fast: finds the nearest existing ancestor, checks it is a folder, then
 * creates each missing level without `recursive` (Node's recursive mkdir spins for ever on paths
 * under /proc). Throws a {@link DiskError} naming the folder it could not create and why.
 */
export function makeDirs(dir: string): void {
  const abs = path.resolve(dir);
  const missing: string[] = [];
  let p = abs;
  for (;;) {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw diskError('create folder', abs, e);
      missing.push(p);
      const up = path.dirname(p);
      if (up === p) throw diskError('create folder', abs, e);
      p = up;
      continue;
    }
    if (!st.isDirectory()) throw new DiskError(`cannot create folder ${abs}: ${p} is a file, not a folder`, abs, 'ENOTDIR');
    break;
  }
  for (const m of missing.reverse()) {
    try {
      fs.mkdirSync(m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && isDir(m)) continue; // created meanwhile
      throw diskError('create folder', m, e);
    }
  }
}

function isDir(p: string): boolean {
  try { return fs.statSync(p).isDirectory(); } catch { return false; }
}

/** Writes `data` to `file` and fsyncs it; on failure the partial file is removed. */
export function writeFileSynced(file: string, data: string | Uint8Array): void {
  try {
    writeRaw(file, data);
  } catch (e) {
    throw diskError('write', file, e);
  }
}

/**
 * Atomic replace: writes `<file>.<pid>.tmp`, fsyncs, renames over `file`. Readers see the old or
 * the new content, never a part; on failure the temporary is removed and `file` is untouched.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeRaw(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    removeQuietly(tmp);
    throw diskError('write', file, e);
  }
}

/** open, write, fsync, close; removes the partial file and rethrows the system error on failure. */
function writeRaw(file: string, data: string | Uint8Array): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'w');
    if (typeof data === 'string') fs.writeSync(fd, data);
    else fs.writeSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  } catch (e) {
    if (fd !== undefined) try { fs.closeSync(fd); } catch { /* the write error is the one to report */ }
    removeQuietly(file);
    throw e;
  }
}

/** Removes a file or folder, ignoring errors (cleanup after a failure that is reported anyway). */
export function removeQuietly(p: string): void {
  try { fs.rmSync(p, { recursive: true, force: true }); } catch { /* best effort */ }
}
