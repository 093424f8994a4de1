/**
 * Semantic errors of `*.fmtl.json` and `*.sweep.json` (from `parseExperiment`, the same validator the
 * trainer uses) in the Problems panel, live while typing (debounced); data files are looked up on
 * open and save and the answers reused while typing.
 * The data checks `fmtl validate` and `fmtl train` run (`shared/dataChecks.ts`: encoding, CSV
 * header, columns, numbers, split sizes, SLU line and token counts, JSONL / CoNLL files through the
 * trainer's parsers, the labels of the training examples; `dataIssues.ts`) run 500 ms after the last edit,
 * on open and on save (of the experiment or of any file, so fixing a CSV in the editor clears its
 * problem); each shows at the JSON path of the setting that names the file, with the data file:line
 * in the message. What was read of a data file is kept until the file changes (one stat per check).
 * Only data inside the folders a run may read without asking is read.
 * Range mapping is pure (`issueRanges.ts`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseExperiment, type ExperimentIssue } from '../shared/experiment';
import { isExperimentPath, isSweepPath } from '../shared/fileKinds';
import type { DataAccess } from '../shared/trainerProtocol';
import { loadSweepFile } from '../sweeps/sweepFile';
import { dataPathOptions } from '../data/dataPath';
import { DataFactsCache } from '../data/dataFacts';
import { experimentIssuesWithData } from './dataIssues';
import { issueDiagnostics } from './issueRanges';

const DEBOUNCE_MS = 300;
/** The data checks wait longer: they read files (cached), the schema checks do not. */
const DATA_DEBOUNCE_MS = 500;

const isExperimentUri = (uri: vscode.Uri): boolean => uri.scheme === 'file' && isExperimentPath(uri.path);
const isSweepUri = (uri: vscode.Uri): boolean => uri.scheme === 'file' && isSweepPath(uri.path);

/** What the diagnostics need of the host: the folders a run may read without asking (runs/dataAccess.ts). */
export interface DiagnosticsDeps {
  dataAccess(): DataAccess;
}

export function registerDiagnostics(_context: vscode.ExtensionContext, deps: DiagnosticsDeps): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection('feedbackMtl');
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const dataTimers = new Map<string, ReturnType<typeof setTimeout>>();
  const facts = new DataFactsCache();
  /** Per document: the data problems of its last data check (shown, re-placed by JSON path, until the next one). */
  const dataIssues = new Map<string, ExperimentIssue[]>();

  // Data-file existence, re-checked on open and save; typing reuses the answers (one stat per new path).
  const exists = new Map<string, boolean>();
  const update = (doc: vscode.TextDocument, recheckFiles: boolean, checkData: boolean) => {
    if (isSweepUri(doc.uri) && !doc.isClosed) { updateSweep(doc); return; }
    if (!isExperimentUri(doc.uri) || doc.isClosed) return;
    const key = doc.uri.toString();
    const text = doc.getText();
    const base = path.dirname(doc.uri.fsPath);
    const isFile = (abs: string): boolean => {
      let ok = recheckFiles ? undefined : exists.get(abs);
      if (ok === undefined) { ok = fs.existsSync(abs); exists.set(abs, ok); }
      return ok;
    };
    const paths = dataPathOptions(base, isFile);
    const parsed = parseExperiment(text, paths);
    // JSON syntax errors: VS Code's own JSON language service already lists them (the file is
    // jsonc); a second copy in Problems only doubles the noise. Ours start once the text parses.
    let issues = parsed.value === undefined ? [] : parsed.errors;
    if (parsed.value !== undefined) {
      if (checkData) {
        const full = experimentIssuesWithData(text, doc.uri.fsPath, { cache: facts, access: deps.dataAccess(), isFile });
        const schema = new Set(issues.map(signature));
        dataIssues.set(key, full.filter((i) => !schema.has(signature(i))));
        issues = full;
      } else {
        // Between data checks: the last data problems, placed by JSON path in the current text;
        // none when data or tasks now have errors of their own (the data checks would not run).
        const dataBroken = issues.some((i) => i.severity === 'error' && (i.path[0] === 'data' || i.path[0] === 'tasks'));
        const last = dataBroken ? [] : (dataIssues.get(key) ?? []);
        issues = [...issues, ...last.map(({ offset: _o, length: _l, ...rest }) => rest)];
      }
    }
    collection.set(doc.uri, toDiagnostics(doc, issueDiagnostics(text, issues), 'Feedback MTL'));
  };
  // A sweep file: its own errors, its base experiment's and every cell's, placed in the sweep text.
  const updateSweep = (doc: vscode.TextDocument) => {
    const text = doc.getText();
    const loaded = loadSweepFile(doc.uri.fsPath, text);
    collection.set(doc.uri, toDiagnostics(doc, issueDiagnostics(text, loaded.issues), 'Feedback MTL sweep'));
  };
  const later = (map: Map<string, ReturnType<typeof setTimeout>>, doc: vscode.TextDocument, ms: number, run: () => void) => {
    const key = doc.uri.toString();
    clearTimeout(map.get(key));
    map.set(key, setTimeout(() => { map.delete(key); run(); }, ms));
  };
  const soon = (doc: vscode.TextDocument) => {
    later(timers, doc, DEBOUNCE_MS, () => update(doc, false, false));
    if (isExperimentUri(doc.uri)) later(dataTimers, doc, DATA_DEBOUNCE_MS, () => { clearTimeout(timers.get(doc.uri.toString())); update(doc, false, true); });
  };
  const now = (doc: vscode.TextDocument) => {
    clearTimeout(timers.get(doc.uri.toString()));
    clearTimeout(dataTimers.get(doc.uri.toString()));
    update(doc, true, true);
  };

  for (const doc of vscode.workspace.textDocuments) update(doc, true, true);
  return vscode.Disposable.from(
    collection,
    vscode.workspace.onDidOpenTextDocument(now),
    vscode.workspace.onDidChangeTextDocument((e) => { if (e.contentChanges.length && (isExperimentUri(e.document.uri) || isSweepUri(e.document.uri))) soon(e.document); }),
    vscode.workspace.onDidSaveTextDocument((doc) => {
      if (isExperimentUri(doc.uri) || isSweepUri(doc.uri)) { now(doc); return; }
      // A saved data file (or any file): the open experiments' data checks again (unchanged files cost a stat).
      for (const d of vscode.workspace.textDocuments) if (isExperimentUri(d.uri)) now(d);
    }),
    vscode.workspace.onDidCloseTextDocument((doc) => {
      const key = doc.uri.toString();
      clearTimeout(timers.get(key));
      clearTimeout(dataTimers.get(key));
      dataIssues.delete(key);
      collection.delete(doc.uri);
    }),
    { dispose: () => { for (const t of [...timers.values(), ...dataTimers.values()]) clearTimeout(t); facts.clear(); } },
  );
}

/** An issue's identity across two validations of the same text. */
const signature = (i: ExperimentIssue): string => `${i.severity} ${i.pathText} ${i.message}`;

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
