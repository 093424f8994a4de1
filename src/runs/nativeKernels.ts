/**
 * "Feedback MTL: Build native kernels": compiles the trainer's optional native kernels
 * (`dist/native/fmtlNative.cc`, OpenBLAS + compiled loops, ~2x faster training on text models)
 * on this machine into the extension's global storage, with g++ and the system's OpenBLAS; and
 * the environment that hands them to the trainer process. Linux only; without g++ or OpenBLAS the
 * build says what to install and the trainer stays on plain wasm.
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

/** Where the command puts the addon (machine-specific: built with -march=native). */
export function nativeKernelsFile(context: vscode.ExtensionContext): string {
  return path.join(context.globalStorageUri.fsPath, 'native', 'fmtlNative.node');
}

/**
 * Environment for the trainer process: the built addon when the setting allows it; `FMTL_NATIVE=0`
 * when the user turned the kernels off (also an addon found beside a development checkout).
 */
export function nativeKernelsEnv(context: vscode.ExtensionContext): Record<string, string> {
  if (!vscode.workspace.getConfiguration('feedbackMtl').get<boolean>('nativeKernels', true)) return { FMTL_NATIVE: '0' };
  const file = nativeKernelsFile(context);
  return fs.existsSync(file) ? { FMTL_NATIVE: file } : {};
}

/** Registers the build command; its output goes to the Feedback MTL channel. */
export function registerNativeKernels(context: vscode.ExtensionContext, output: vscode.OutputChannel): vscode.Disposable {
  return vscode.commands.registerCommand('feedbackMtl.buildNativeKernels', async () => {
    const script = context.asAbsolutePath(path.join('dist', 'native', 'build.mjs'));
    if (!fs.existsSync(script)) {
      void vscode.window.showErrorMessage(`Feedback MTL: the native kernels' sources are missing (${script}). Build the extension with \`npm run build\`.`);
      return;
    }
    if (process.platform !== 'linux') {
      void vscode.window.showInformationMessage('Feedback MTL: the native kernels are built on Linux only; training uses the wasm backend here.');
      return;
    }
    const out = nativeKernelsFile(context);
    const nodePath = vscode.workspace.getConfiguration('feedbackMtl').get<string>('nodePath', '').trim();
    output.appendLine(`[host] building the native kernels into ${out}`);
    const code = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Feedback MTL: building the native kernels (g++, OpenBLAS)…' },
      () => new Promise<number | null>((resolve) => {
        const child = fork(script, ['--force', '--strict', '--out', out], {
          execPath: nodePath || undefined, silent: true, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        });
        const pipe = (d: Buffer) => { for (const line of d.toString().split('\n')) if (line.trim()) output.appendLine(`[build] ${line}`); };
        child.stdout?.on('data', pipe);
        child.stderr?.on('data', pipe);
        child.on('error', (e) => { output.appendLine(`[build] could not start: ${e.message}`); resolve(null); });
        child.on('exit', (c) => resolve(c));
      }),
    );
    if (code === 0 && fs.existsSync(out)) {
      void vscode.window.showInformationMessage('Feedback MTL: native kernels built. The next trainings use them (the backend line of the run says so).');
    } else {
      void vscode.window.showErrorMessage('Feedback MTL: the native kernels could not be built; training stays on plain wasm. See the log for what is missing.', 'Show Log')
        .then((b) => b && output.show(true));
    }
  });
}
