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

/** node-fetch -> the global fetch (Node 20+ has one; tfjs-core only loads node-fetch without it). */
const stubNodeFetch = {
  name: 'stub-node-fetch',
  setup(build) {
    build.onResolve({ filter: /^node-fetch$/ }, () => ({ path: 'node-fetch', namespace: 'fmtl-stub' }));
    build.onLoad({ filter: /.*/, namespace: 'fmtl-stub' }, () => ({ contents: 'module.exports = (...args) => globalThis.fetch(...args);', loader: 'js' }));
  },
};

/** @type {esbuild.BuildOptions[]} */
const builds = [
  {
    entryPoints: { extension: 'src/extension.ts' },
    platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'],
  },
  // One trainer bundle for the trainer process (dist/trainer.js, run by the host) and the CLI, which
  // dist/cli.js only starts: the library and tfjs ship once for both. node-fetch (tfjs-core's
  // fallback when there is no global fetch, never the case on Node 20+) is stubbed: with its tr46 /
  // whatwg-url tables it was ~390 KB of each Node bundle.
  {
    entryPoints: { trainer: 'src/trainer/bundleEntry.ts', gruWorker: 'src/trainer/model/gruWorker.ts', model: 'src/trainer/savedModel.ts' },
    platform: 'node', format: 'cjs', target: 'node20', external: nativeTf, plugins: [stubNodeFetch],
  },
  {
    entryPoints: { cli: 'src/trainer/cliBin.ts' },
    platform: 'node', format: 'cjs', target: 'node20', external: ['./trainer.js'],
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
// --production (vscode:prepublish): minified, no source maps (they never ship: .vscodeignore).
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning', mainFields: ['module', 'main'] };
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
