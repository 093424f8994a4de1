/** What the sweep tests read about live processes (Linux: ps and /proc). */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

/** Processes forked by `pid`. */
export function children(pid: number): number[] {
  const r = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  return r.stdout.split('\n').map((s) => Number(s.trim())).filter((n) => n > 0);
}

/** Files a process has open. */
export function openFiles(pid: number): string[] {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).map((fd) => { try { return fs.readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { return ''; } });
  } catch { return []; }
}
