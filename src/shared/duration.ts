/**
 * Durations and ages as every view writes them (CLI, notifications, status bar, Runs view, CodeLens).
 * One format, so an ETA in the terminal reads like the one in VS Code.
 */

/** `45s`, `1m 20s`, `2h 05m`; `–` for a negative or non-finite time. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** How long ago, for a start time: `just now`, `5 min ago`, `3 h ago`, `2 days ago`. */
export function formatAgo(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400 * 2) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}
