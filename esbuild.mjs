// Build: extension host, trainer process, CLI, webviews; `--tests` also bundles test/**/*.test.ts
// into out/test for node's test runner. `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const args = new Set(process.argv.slice(2));
const watch = args.has('--watch');
const production = args.has('--production');

// Native tfjs packages stay out of the bundle: loaded with require() at run time if installed.
const nativeTf = ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];

/** @type {esbuild.BuildOptions[]} */
const builds = [
  {
    entryPoints: { extension: 'src/extension.ts' },
    platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'],
  },
  {
    entryPoints: { trainer: 'src/trainer/main.ts', cli: 'src/trainer/cli.ts', gruWorker: 'src/trainer/model/gruWorker.ts', model: 'src/trainer/savedModel.ts' },
    platform: 'node', format: 'cjs', target: 'node20', external: nativeTf,
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    entryPoints: { 'webview/graph': 'webview/graph/main.ts', 'webview/charts': 'webview/charts/main.ts' },
    platform: 'browser', format: 'iife', target: 'es2022', mainFields: ['browser', 'module', 'main'],
  },
].filter((b) => Object.values(b.entryPoints).every((p) => existsSync(p)));

function listTests(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return n === 'e2e' ? [] : listTests(p);
    return n.endsWith('.test.ts') ? [p] : [];
  });
}

// mainFields: prefer ESM entry points (jsonc-parser's UMD main cannot be bundled).
const common = { bundle: true, sourcemap: true, minify: production, logLevel: 'warning', mainFields: ['module', 'main'] };
const jobs = builds.map((b) => ({ ...common, outdir: 'dist', ...b }));
if (args.has('--tests')) {
  const tests = listTests('test');
  if (tests.length) {
    jobs.push({
      ...common, entryPoints: tests, outdir: 'out/test', outbase: 'test',
      platform: 'node', format: 'cjs', target: 'node20', packages: 'external',
    });
    // The BiGRU kernels' second thread, for the tests that check it gives the same bits.
    jobs.push({
      ...common, entryPoints: { gruWorker: 'src/trainer/model/gruWorker.ts' }, outdir: 'out', // not under out/test: node --test would run it
      platform: 'node', format: 'cjs', target: 'node20', packages: 'external',
    });
  }
}

// The wasm backend's binaries sit next to the bundle that loads them (setWasmPaths -> __dirname).
function copyWasm() {
  mkdirSync('dist', { recursive: true });
  const src = 'node_modules/@tensorflow/tfjs-backend-wasm/dist';
  for (const f of readdirSync(src)) if (f.endsWith('.wasm')) cpSync(join(src, f), join('dist', f));
}

copyWasm();
// The native kernels' source, build script and Node-API headers ship in dist/native, so that the
// packaged extension can build them on the user's machine ("Feedback MTL: Build native kernels").
function copyNativeSource() {
  mkdirSync('dist/native/include', { recursive: true });
  for (const f of ['fmtlNative.cc', 'build.mjs']) cpSync(join('src/trainer/native', f), join('dist/native', f));
  const headers = 'node_modules/node-api-headers/include';
  if (existsSync(headers)) {
    for (const f of readdirSync(headers)) if (f.endsWith('.h')) cpSync(join(headers, f), join('dist/native/include', f));
    cpSync('node_modules/node-api-headers/LICENSE', 'dist/native/include/LICENSE'); // MIT, Node.js
  }
}
copyNativeSource();
// The optional native kernels (src/trainer/native): built where g++ and OpenBLAS exist, else a note.
spawnSync(process.execPath, ['src/trainer/native/build.mjs'], { stdio: 'inherit' });
if (watch) {
  for (const j of jobs) (await esbuild.context(j)).watch();
} else {
  await Promise.all(jobs.map((j) => esbuild.build(j)));
}
