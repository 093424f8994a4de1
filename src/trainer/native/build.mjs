// Builds the optional native kernels (fmtlNative.cc -> fmtlNative.node) with g++, Node-API headers
// and the system's OpenBLAS runtime (Debian: libopenblas0-pthread). Nothing is downloaded. When
// something is missing it says what and exits 0: the trainer then runs on plain wasm, as on any
// machine without a compiler. Skipped when the output is newer than the source (unless --force).
//
//   node src/trainer/native/build.mjs [--force] [--quiet] [--strict] [--out FILE]
//
// Two layouts: in the repository (src/trainer/native, output build/native/fmtlNative.node) and in
// the packaged extension (dist/native, with the headers in dist/native/include; the extension's
// "Build native kernels" command passes --out into its global storage).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = basename(dirname(here)) === 'dist' ? join(here, '..', '..') : join(here, '..', '..', '..');
const source = join(here, 'fmtlNative.cc');
const argv = process.argv.slice(2);
const args = new Set(argv);
const outArg = argv.indexOf('--out');
const out = outArg >= 0 && argv[outArg + 1] ? resolve(argv[outArg + 1]) : join(root, 'build', 'native', 'fmtlNative.node');
const log = (m) => { if (!args.has('--quiet')) console.log(`native kernels: ${m}`); };

/** A directory holding node_api.h: shipped beside this script, the running Node's, the system's, npm's. */
function nodeHeaders() {
  const prefix = dirname(dirname(process.execPath));
  const dirs = [join(here, 'include'), join(prefix, 'include', 'node'), '/usr/include/node', '/usr/local/include/node',
    join(root, 'node_modules', 'node-api-headers', 'include')];
  return dirs.find((dir) => existsSync(join(dir, 'node_api.h')));
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
  if (!args.has('--force') && existsSync(out) && statSync(out).mtimeMs >= statSync(source).mtimeMs) return 'up to date';
  const headers = nodeHeaders();
  if (!headers) return log('skipped: no Node-API headers (node_api.h) found; plain wasm kernels are used');
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
  return true;
}

const result = main();
// --strict (the extension's command): a failure to build is an error the caller reports.
if (args.has('--strict') && result !== true && result !== 'up to date') process.exitCode = 1;
