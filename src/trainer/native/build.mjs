// Builds the optional native kernels (fmtlNative.cc -> build/native/fmtlNative.node) with g++,
// Node's own headers and the system's OpenBLAS runtime (Debian: libopenblas0-pthread). Nothing is
// downloaded. When something is missing it says what and exits 0: the trainer then runs on plain
// wasm, as on any machine without a compiler. Skipped when the output is newer than the source.
//
//   node src/trainer/native/build.mjs [--force] [--quiet]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const source = join(here, 'fmtlNative.cc');
const out = join(root, 'build', 'native', 'fmtlNative.node');
const args = new Set(process.argv.slice(2));
const log = (m) => { if (!args.has('--quiet')) console.log(`native kernels: ${m}`); };

/** The directory holding node_api.h for the running Node. */
function nodeHeaders() {
  const prefix = dirname(dirname(process.execPath));
  for (const dir of [join(prefix, 'include', 'node'), '/usr/include/node', '/usr/local/include/node']) {
    if (existsSync(join(dir, 'node_api.h'))) return dir;
  }
  return undefined;
}

/** OpenBLAS's runtime library (the soname is enough to link against). */
function openblas() {
  for (const ldconfig of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    const r = spawnSync(ldconfig, ['-p'], { encoding: 'utf8' });
    if (r.status !== 0) continue;
    const line = (r.stdout ?? '').split('\n').find((l) => /libopenblas\.so\.0\b/.test(l));
    const path = line?.split('=>')[1]?.trim();
    if (path && existsSync(path)) return path;
  }
  // Where Debian/Ubuntu and Fedora put it, should ldconfig be unavailable.
  const known = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'].map((d) => join(d, 'libopenblas.so.0'));
  return known.find((p) => existsSync(p));
}

function main() {
  if (process.platform !== 'linux') return log(`skipped: built on Linux only (here ${process.platform}); plain wasm kernels are used`);
  if (!args.has('--force') && existsSync(out) && statSync(out).mtimeMs >= statSync(source).mtimeMs) return; // up to date
  const headers = nodeHeaders();
  if (!headers) return log('skipped: no node_api.h found beside this Node; plain wasm kernels are used');
  const blas = openblas();
  if (!blas) return log('skipped: OpenBLAS not found (Debian/Ubuntu: apt-get install libopenblas0-pthread); plain wasm kernels are used');
  if (spawnSync('g++', ['--version']).status !== 0) return log('skipped: no g++ (apt-get install g++); plain wasm kernels are used');
  mkdirSync(dirname(out), { recursive: true });
  // -march=native: built on the machine that runs it. -ffp-contract=off: no fused multiply-adds,
  // so the element-wise loops give the same bits as their JavaScript twins.
  const cmd = ['-O3', '-march=native', '-ffp-contract=off', '-std=c++17', '-shared', '-fPIC', '-fvisibility=hidden',
    '-DNODE_GYP_MODULE_NAME=fmtlNative', `-I${headers}`, source, '-o', out, blas, `-Wl,-rpath,${dirname(blas)}`];
  const r = spawnSync('g++', cmd, { encoding: 'utf8' });
  if (r.status !== 0) {
    log(`build failed; plain wasm kernels are used.\n${r.stderr}`);
    return;
  }
  log(`built ${out} (OpenBLAS ${blas})`);
}

main();
