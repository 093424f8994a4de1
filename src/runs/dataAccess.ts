/**
 * Asking before a run reads data outside the workspace. What is outside is decided as for `fmtl`
 * (data/dataPaths.ts), with the workspace folders in place of the current directory: a
 * file is inside when its real path is under the experiment's folder, a workspace folder, or the
 * data the extension's own samples read. Otherwise a modal names every resolved file: "Read once"
 * lets this run read them, "Always for this experiment" also remembers them in workspace state (so
 * the next run of that experiment is not asked again, unless it reads another outside file), and
 * Cancel starts nothing. The run then carries the decision (`DataAccess`) to its trainer process
 * or, for a sweep, to every trainer process of the sweep.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Experiment } from '../shared/experimentTypes';
import type { DataAccess } from '../shared/trainerProtocol';
import { outsideReads, realPath, shippedDataRoots, type DataRead } from '../data/dataPaths';

/** Workspace state key: real path of an experiment file -> real paths of outside files always allowed for it. */
export const ALLOWED_OUTSIDE_KEY = 'feedbackMtl.dataOutsideAllowed';

export const READ_ONCE = 'Read once';
export const READ_ALWAYS = 'Always for this experiment';

/**
 * The folders runs in this window may read without asking: the workspace folders and the data of
 * the samples the extension ships, also as a checkout of this repository opened as a workspace
 * holds them (`<folder>/samples/snips.fmtl.json` reads `../../shared/data/snips` from there).
 */
export function workspaceAccess(context: vscode.ExtensionContext): DataAccess {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
  const ours = context.asAbsolutePath('samples');
  return {
    roots: [...new Set([...folders, ...shippedDataRoots(ours), ...folders.flatMap((f) => shippedDataRoots(path.join(f, 'samples'), ours))])],
  };
}

/**
 * The data access of a run of `experimentPath` reading the data of `experiments` (the experiment, or
 * one per sweep cell), after asking when some of it is outside. Undefined: the user cancelled.
 */
export async function confirmDataAccess(context: vscode.ExtensionContext, experimentPath: string, experiments: readonly Experiment[]): Promise<DataAccess | undefined> {
  const access = workspaceAccess(context);
  const reads = new Map<string, DataRead>();
  for (const exp of experiments) for (const r of outsideReads(exp, experimentPath, access)) reads.set(r.real, r);
  if (!reads.size) return access;
  const key = realPath(experimentPath);
  const remembered = context.workspaceState.get<Record<string, string[]>>(ALLOWED_OUTSIDE_KEY, {});
  const known = new Set(remembered[key] ?? []);
  const files = [...reads.keys()];
  if (files.every((f) => known.has(f))) return { ...access, allowOutside: true };

  const shown = summarise(files);
  const name = path.basename(experimentPath);
  const answer = await vscode.window.showWarningMessage(
    `${name} reads data outside the workspace. Read ${files.length === 1 ? 'it' : `these ${files.length} files`}?`,
    {
      modal: true,
      detail: `${shown.join('\n')}\n\nTraining reads ${files.length === 1 ? 'this file' : 'these files'}; what it learns (vocabulary, labels, predictions) goes into the run folder. `
        + `Folders read without asking: the experiment's folder${vscode.workspace.workspaceFolders?.length ? ', the workspace folders' : ''} and the samples' data.`,
    },
    READ_ONCE, READ_ALWAYS,
  );
  if (answer === READ_ALWAYS) {
    await context.workspaceState.update(ALLOWED_OUTSIDE_KEY, { ...remembered, [key]: [...new Set([...known, ...files])].sort() });
  }
  return answer === READ_ONCE || answer === READ_ALWAYS ? { ...access, allowOutside: true } : undefined;
}

/** Up to 8 resolved paths, one a line; an SLU split's files by folder (`/data/snips/train/{seq.in, label}`). */
function summarise(files: readonly string[]): string[] {
  const byDir = new Map<string, string[]>();
  for (const f of files) byDir.set(path.dirname(f), [...(byDir.get(path.dirname(f)) ?? []), path.basename(f)]);
  const lines = [...byDir].map(([dir, names]) => (names.length === 1 ? path.join(dir, names[0]) : `${dir}${path.sep}{${names.join(', ')}}`));
  return lines.length > 8 ? [...lines.slice(0, 8), `… ${lines.length - 8} more folders`] : lines;
}
