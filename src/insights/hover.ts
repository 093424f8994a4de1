/**
 * Hover on a task id or a feedback arrow id (also a task named in `from`/`to`) in `*.fmtl.json`:
 * a small table of the experiment's last runs, each row linking to that run's charts.
 */
import * as vscode from 'vscode';
import type { InsightsDeps } from './insightsDeps';
import { itemAtOffset, outlineExperiment } from './experimentOutline';
import { hoverTable } from './lensAndHoverText';

export function registerHover(_context: vscode.ExtensionContext, deps: InsightsDeps): vscode.Disposable {
  return vscode.languages.registerHoverProvider({ scheme: 'file', pattern: '**/*.fmtl.json' }, {
    provideHover(doc, position) {
      const outline = outlineExperiment(doc.getText());
      const item = itemAtOffset(outline, doc.offsetAt(position));
      if (!item) return undefined;
      const runs = deps.runFigures(doc.uri.fsPath);
      const link = (runId: string) => `command:feedbackMtl.openRun?${encodeURIComponent(JSON.stringify([runId]))}`;
      const md = new vscode.MarkdownString(hoverTable(item, runs, link));
      md.isTrusted = { enabledCommands: ['feedbackMtl.openRun'] };
      return new vscode.Hover(md, doc.validateRange(new vscode.Range(doc.positionAt(item.idOffset), doc.positionAt(item.idOffset + item.idLength))));
    },
  });
}
