/**
 * Try the model: `feedbackMtl.tryModel` asks for a run (or takes one from the Runs view) and a
 * sentence, runs the run's trained model on it in a trainer process (`modelProcess.ts`), and
 * prints each task's answer at every pass y^0..y^K in the output channel. The charts panel's
 * Try the model box goes through the same `predict`.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { dataInput } from '../shared/experimentTypes';
import { predictionLines } from '../shared/predictions/answerText';
import type { PredictReply } from '../shared/trainerProtocol';
import { ModelProcess } from './modelProcess';
import { nativeKernelsEnv } from './nativeKernels';
import type { RunStore } from './runStore';

export interface TryModel extends vscode.Disposable {
  /** The run's model on one typed input (a sentence, or `column=value, ...` for a CSV model). */
  predict(runDir: string, text: string): Promise<PredictReply>;
}

/** A typed line as the model's input: text as is, or `col=value, col=value` as a CSV row. */
export function typedInput(text: string, tabular: boolean): string | Record<string, string> {
  if (!tabular) return text;
  return Object.fromEntries(text.split(',').map((kv) => kv.split('=').map((s) => s.trim())).filter((kv) => kv.length === 2 && kv[0]).map(([k, v]) => [k, v]));
}

export function registerTryModel(context: vscode.ExtensionContext, deps: { runStore: RunStore; output: vscode.OutputChannel }): TryModel {
  let proc: ModelProcess | undefined;
  const predict = async (runDir: string, text: string): Promise<PredictReply> => {
    const nodePath = vscode.workspace.getConfiguration('feedbackMtl').get<string>('nodePath', '').trim();
    proc ??= new ModelProcess(
      { trainerPath: context.asAbsolutePath(path.join('dist', 'trainer.js')), execPath: nodePath || undefined, env: nativeKernelsEnv(context) },
      (l) => deps.output.appendLine(l),
    );
    const config = deps.runStore.listRuns().find((r) => r.runDir === runDir)?.config;
    const tabular = config !== undefined && dataInput(config.data) === 'tabular';
    return proc.predict(runDir, [typedInput(text, tabular)]);
  };
  const cmd = vscode.commands.registerCommand('feedbackMtl.tryModel', async (arg?: unknown) => {
    const runs = deps.runStore.listRuns().filter((r) => r.runDir && r.status !== 'running');
    let run = runs.find((r) => r.id === (typeof arg === 'string' ? arg : (arg as { runId?: string; id?: string } | undefined)?.runId ?? (arg as { id?: string } | undefined)?.id));
    if (!run) {
      if (!runs.length) { void vscode.window.showInformationMessage('Feedback MTL: no finished runs yet. Train an experiment first.'); return; }
      const pick = await vscode.window.showQuickPick(runs.map((r) => ({ label: r.name, description: r.status, run: r })), { title: 'Try the model of which run?' });
      if (!pick) return;
      run = pick.run;
    }
    const tabular = run.config !== undefined && dataInput(run.config.data) === 'tabular';
    const text = await vscode.window.showInputBox({
      title: `Try the model of ${run.name}`,
      prompt: tabular ? 'A row as column=value, column=value, ...' : 'A sentence',
      placeHolder: tabular ? 'bill_length_mm=39.1, bill_depth_mm=18.7, flipper_length_mm=181, island=Torgersen' : 'play the new song by adele',
    });
    if (!text?.trim()) return;
    try {
      const r = await predict(run.runDir!, text);
      const p = r.predictions[0];
      deps.output.appendLine(`[try] ${run.name}, checkpoint ${r.checkpoint.kind} (epoch ${r.checkpoint.epoch}): ${p.tokens ? p.tokens.join(' ') : text}`);
      for (const l of predictionLines(r.tasks, p.pred, p.tokens, true)) deps.output.appendLine(`  ${l}`);
      deps.output.show(true);
      const final = predictionLines(r.tasks, p.pred, p.tokens).join(' · ');
      void vscode.window.showInformationMessage(`Feedback MTL: ${final}`);
    } catch (e) {
      void vscode.window.showErrorMessage(`Feedback MTL: could not run the model: ${(e as Error).message}`);
    }
  });
  return { predict, dispose: () => { cmd.dispose(); proc?.dispose(); proc = undefined; } };
}
