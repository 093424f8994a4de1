// Bundles the benchmark's TypeScript entries (with tfjs, like dist/cli.js) into bench/out and puts
// the wasm binaries beside them.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'out');
mkdirSync(out, { recursive: true });
const wasmDir = join(here, '..', 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
for (const f of readdirSync(wasmDir)) if (f.endsWith('.wasm')) cpSync(join(wasmDir, f), join(out, f));

export async function buildBench(entries) {
  await esbuild.build({
    // Every bundle gets the BiGRU kernels' second thread beside it (see src/trainer/model/gruThreads.ts).
    entryPoints: { ...Object.fromEntries(entries.map((e) => [e, join(here, `${e}.ts`)])), gruWorker: join(here, '..', 'src/trainer/model/gruWorker.ts') },
    outdir: out, bundle: true, platform: 'node', format: 'cjs', target: 'node20',
    sourcemap: true, logLevel: 'warning',
    // ESM builds first: jsonc-parser's UMD main cannot be bundled, and one tfjs-core instance.
    mainFields: ['module', 'main'],
    external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildBench(process.argv.slice(2).length ? process.argv.slice(2) : ['gruBench']);
}
