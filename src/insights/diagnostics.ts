/**
 * Semantic errors of `*.fmtl.json` and `*.sweep.json` (from `parseExperiment`, the same validator the trainer uses) in
 * the Problems panel, live while typing (debounced); data files are looked up on open and save and the
 * answers reused while typing.
 * Range mapping is pure (`issueRanges.ts`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseExperiment } from '../shared/experiment';
import { isExperimentPath, isSweepPath } from '../shared/fileKinds';
import { loadSweepFile } from '../sweeps/sweepFile';
import { issueDiagnostics } from './issueRanges';

const DEBOUNCE_MS = 300;

const isExperimentUri = (uri: vscode.Uri): boolean => uri.scheme === 'file' && isExperimentPath(uri.path);
const isSweepUri = (uri: vscode.Uri): boolean => uri.scheme === 'file' && isSweepPath(uri.path);

export function registerDiagnostics(_context: vscode.ExtensionContext): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection('feedbackMtl');
  const timers = new Map<string, ReturnType<typeof setTimeout>>();

  // Data-file existence, re-checked on open and save; typing reuses the answers (one stat per new path).
  const exists = new Map<string, boolean>();
  const update = (doc: vscode.TextDocument, recheckFiles: boolean) => {
    if (isSweepUri(doc.uri) && !doc.isClosed) { updateSweep(doc); return; }
    if (!isExperimentUri(doc.uri) || doc.isClosed) return;
    const text = doc.getText();
    const base = path.dirname(doc.uri.fsPath);
    const fileExists = (rel: string): boolean => {
      const abs = path.resolve(base, rel);
      let ok = recheckFiles ? undefined : exists.get(abs);
      if (ok === undefined) { ok = fs.existsSync(abs); exists.set(abs, ok); }
      return ok;
    };
    const parsed = parseExperiment(text, { fileExists });
    // JSON syntax errors: VS Code's own JSON language service already lists them (the file is
    // jsonc); a second copy in Problems only doubles the noise. Ours start once the text parses.
    const semantic = parsed.value === undefined ? [] : parsed.errors;
    collection.set(doc.uri, toDiagnostics(doc, issueDiagnostics(text, semantic), 'Feedback MTL'));
  };
  // A sweep file: its own errors, its base experiment's and every cell's, placed in the sweep text.
  const updateSweep = (doc: vscode.TextDocument) => {
    const text = doc.getText();
    const loaded = loadSweepFile(doc.uri.fsPath, text);
    collection.set(doc.uri, toDiagnostics(doc, issueDiagnostics(text, loaded.issues), 'Feedback MTL sweep'));
  };
  const soon = (doc: vscode.TextDocument) => {
    const key = doc.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(key, setTimeout(() => { timers.delete(key); update(doc, false); }, DEBOUNCE_MS));
  };

  for (const doc of vscode.workspace.textDocuments) update(doc, true);
  return vscode.Disposable.from(
    collection,
    vscode.workspace.onDidOpenTextDocument((doc) => update(doc, true)),
    vscode.workspace.onDidChangeTextDocument((e) => { if (e.contentChanges.length && (isExperimentUri(e.document.uri) || isSweepUri(e.document.uri))) soon(e.document); }),
    vscode.workspace.onDidSaveTextDocument((doc) => update(doc, true)),
    vscode.workspace.onDidCloseTextDocument((doc) => { clearTimeout(timers.get(doc.uri.toString())); collection.delete(doc.uri); }),
    { dispose: () => { for (const t of timers.values()) clearTimeout(t); } },
  );
}

/** VS Code diagnostics of located issues (`issueRanges.ts`), the JSON path as their code. */
function toDiagnostics(doc: vscode.TextDocument, issues: ReturnType<typeof issueDiagnostics>, source: string): vscode.Diagnostic[] {
  return issues.map((d) => {
    const range = doc.validateRange(new vscode.Range(d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character));
    const diag = new vscode.Diagnostic(range, d.message, d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
    diag.source = source;
    if (d.pathText) diag.code = d.pathText;
    return diag;
  });
}
