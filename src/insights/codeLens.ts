/**
 * CodeLens in `*.fmtl.json`: the latest run's headline metric above each task (with the change
 * against the previous finished run), the gate choice above each feedback arrow, and the last run's
 * status on the first line. A click opens that run's charts. Texts come from `lensAndHoverText.ts`.
 */
import * as vscode from 'vscode';
import type { InsightsDeps } from './insightsDeps';
import { arrowLens, fileLens, pickRuns, taskLens, type LensText } from './lensAndHoverText';
import { outlineExperiment } from './experimentOutline';

const SELECTOR: vscode.DocumentSelector = { scheme: 'file', pattern: '**/*.fmtl.json' };

export function registerCodeLens(_context: vscode.ExtensionContext, deps: InsightsDeps): vscode.Disposable {
  const changed = new vscode.EventEmitter<void>();
  const scanned = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const refreshSoon = () => { timer ??= setTimeout(() => { timer = undefined; changed.fire(); }, 1000); };

  const provider: vscode.CodeLensProvider = {
    onDidChangeCodeLenses: changed.event,
    provideCodeLenses(doc) {
      if (!vscode.workspace.getConfiguration('feedbackMtl', doc.uri).get<boolean>('codeLens.enabled', true)) return [];
      const file = doc.uri.fsPath;
      if (!scanned.has(file)) {
        // First look at this file: read its runs from disk, then redraw.
        scanned.add(file);
        void deps.scanExperiment(file).then(refreshSoon, () => undefined);
      }
      const outline = outlineExperiment(doc.getText());
      const runs = deps.runFigures(file);
      const { newest, latest, previous, gates } = pickRuns(runs);
      const lenses: vscode.CodeLens[] = [];
      const at = (offset: number, t: LensText | undefined) => {
        if (!t) return;
        const pos = doc.positionAt(offset);
        const range = new vscode.Range(pos.line, 0, pos.line, 0);
        lenses.push(new vscode.CodeLens(range, t.runId
          ? { title: t.title, tooltip: t.tooltip, command: 'feedbackMtl.openRun', arguments: [t.runId] }
          : { title: t.title, tooltip: t.tooltip, command: '' }));
      };
      at(outline.headOffset, fileLens(newest, Date.now()));
      if (!newest && vscode.workspace.isTrusted && !deps.isTraining()) {
        const pos = doc.positionAt(outline.headOffset);
        lenses.push(new vscode.CodeLens(new vscode.Range(pos.line, 0, pos.line, 0),
          { title: '$(play) Train feedback MTL', tooltip: 'Train this experiment (no runs yet)', command: 'feedbackMtl.train', arguments: [doc.uri] }));
      }
      for (const t of outline.tasks) at(t.offset, taskLens(t, latest, previous));
      for (const a of outline.arrows) at(a.offset, arrowLens(a, gates));
      return lenses;
    },
  };

  return vscode.Disposable.from(
    vscode.languages.registerCodeLensProvider(SELECTOR, provider),
    changed,
    deps.onDidChange(refreshSoon),
    vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('feedbackMtl.codeLens.enabled')) changed.fire(); }),
    { dispose: () => { if (timer) clearTimeout(timer); } },
  );
}
