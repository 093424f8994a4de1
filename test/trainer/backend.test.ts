import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import { buildSync } from 'esbuild';
import { initBackend, describeHardware } from '../../src/trainer/backend';

const NATIVE = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];
const installed = (pkg: string) => { try { require.resolve(pkg); return true; } catch { return false; } };

test('initBackend("wasm") activates wasm with the project kernels and reports SIMD and threads', async () => {
  const info = await initBackend('wasm');
  assert.equal(info.name, 'wasm');
  assert.equal(info.package, '@tensorflow/tfjs-backend-wasm');
  assert.equal(info.gpu, false);
  assert.deepEqual(info.skipped, []);
  assert.match(info.detail ?? '', /^SIMD (on|off), \d+ threads? /);
  assert.equal(tf.getBackend(), 'wasm');
  assert.ok(tf.getKernel('UnsortedSegmentSum', 'wasm'), 'embedding-gradient kernel registered');
  const y = tf.unsortedSegmentSum(tf.tensor2d([[1, 2], [3, 4], [5, 6]]), tf.tensor1d([1, 1, 0], 'int32'), 2);
  assert.deepEqual([...y.dataSync()], [5, 6, 4, 6]);
  y.dispose();
});

test('initBackend("cpu") activates cpu', async () => {
  const info = await initBackend('cpu');
  assert.equal(info.name, 'cpu');
  assert.equal(info.package, '@tensorflow/tfjs-backend-cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.ok(info.detail);
});

test('initBackend("auto") passes over the native packages with reasons, then takes wasm', async (t) => {
  if (NATIVE.some(installed)) return t.skip('a native tfjs package is installed here');
  const info = await initBackend('auto');
  assert.equal(info.name, 'wasm');
  assert.deepEqual(info.skipped, NATIVE.map((p) => ({ package: p, reason: 'not installed' })));
  assert.equal(tf.getBackend(), 'wasm');
});

test('initBackend("tensorflow") without the native packages fails with a clear message', async (t) => {
  if (NATIVE.some(installed)) return t.skip('a native tfjs package is installed here');
  await assert.rejects(initBackend('tensorflow'), (e: Error) =>
    /@tensorflow\/tfjs-node-gpu \(not installed\), @tensorflow\/tfjs-node \(not installed\)/.test(e.message) && /npm install/.test(e.message));
});

test('as a bundle: wasm binaries from its own directory; a broken or present native package is reported and used', () => {
  // Mirrors dist/: bundle a tiny entry next to copies of the .wasm binaries and run it in a child.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-backend-'));
  try {
    const repo = path.resolve(__dirname, '../../..');
    const entry = path.join(dir, 'entry.ts');
    fs.writeFileSync(entry, `import { initBackend } from ${JSON.stringify(path.join(repo, 'src/trainer/backend'))};
initBackend('auto').then((i) => console.log(JSON.stringify(i)), (e) => { console.error(e); process.exit(1); });\n`);
    buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: path.join(dir, 'b.js'),
      external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'], logLevel: 'error' });
    const wasmDir = path.join(repo, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
    for (const f of fs.readdirSync(wasmDir)) if (f.endsWith('.wasm')) fs.copyFileSync(path.join(wasmDir, f), path.join(dir, f));
    const run = () => JSON.parse(execFileSync(process.execPath, [path.join(dir, 'b.js')], { encoding: 'utf8' }));

    const plain = run();
    assert.equal(plain.name, 'wasm');
    assert.ok(plain.detail.includes(`binaries from ${dir}${path.sep}`), plain.detail);

    // A tfjs-node-gpu whose native addon is missing, and a stand-in tfjs-node that registers a
    // 'tensorflow' backend through ITS OWN copy of tfjs-core (not the bundle's): the bundle must
    // still see it, since tfjs-core keeps the engine in the global namespace.
    const fake = (name: string, main: string) => {
      const p = path.join(dir, 'node_modules/@tensorflow', name);
      fs.mkdirSync(p, { recursive: true });
      fs.writeFileSync(path.join(p, 'package.json'), JSON.stringify({ name: `@tensorflow/${name}`, main: 'index.js' }));
      fs.writeFileSync(path.join(p, 'index.js'), main);
    };
    fake('tfjs-node-gpu', "throw new Error('The Node.js native addon module (tfjs_binding.node) can not be found');");
    fake('tfjs-node', `const tf = require(${JSON.stringify(path.join(repo, 'node_modules/@tensorflow/tfjs-core'))});
const { MathBackendCPU } = require(${JSON.stringify(path.join(repo, 'node_modules/@tensorflow/tfjs-backend-cpu'))});
tf.registerBackend('tensorflow', () => Object.assign(new MathBackendCPU(), { isUsingGpuDevice: false }), 3);`);
    const native = run();
    assert.equal(native.name, 'tensorflow');
    assert.equal(native.package, '@tensorflow/tfjs-node');
    assert.equal(native.gpu, false);
    assert.deepEqual(native.skipped, [{ package: '@tensorflow/tfjs-node-gpu', reason: 'failed to load: The Node.js native addon module (tfjs_binding.node) can not be found' }]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('describeHardware reports cores, memory and OS', () => {
  const h = describeHardware();
  assert.ok(h.cpus >= 1);
  assert.ok(h.memoryBytes > 2 ** 20);
  assert.match(h.os, /\S+ \S+ \S+/);
  assert.match(h.node, /^v\d+/);
});
