import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadNativeKernels, nativeKernels } from '../../../src/trainer/native/nativeKernels';

// Runs in its own process (node --test), so nothing has loaded the addon before these calls.
function withEnv<T>(value: string | undefined, f: () => T): T {
  const old = process.env.FMTL_NATIVE;
  if (value === undefined) delete process.env.FMTL_NATIVE; else process.env.FMTL_NATIVE = value;
  try { return f(); } finally { if (old === undefined) delete process.env.FMTL_NATIVE; else process.env.FMTL_NATIVE = old; }
}

test('native kernels: off, missing or broken files are reported and leave plain wasm in use', () => {
  assert.match(withEnv('0', () => loadNativeKernels(undefined)), /native kernels off \(FMTL_NATIVE=0\)/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmtl-native-'));
  assert.match(withEnv(path.join(dir, 'absent.node'), () => loadNativeKernels(undefined)), /^no native kernels \(npm run build:native/);
  const broken = path.join(dir, 'broken.node');
  fs.writeFileSync(broken, 'not a shared library');
  const note = withEnv(broken, () => loadNativeKernels(undefined));
  assert.match(note, /^no native kernels: the ones at .*broken\.node failed to load \(.+\); rebuild them: .*Build native kernels/);
  assert.equal(nativeKernels(), undefined);
  fs.rmSync(dir, { recursive: true, force: true });
});
