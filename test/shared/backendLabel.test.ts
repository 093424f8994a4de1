import test from 'node:test';
import assert from 'node:assert/strict';
import { backendLabel, type BackendInfo } from '../../src/shared/trainerProtocol';

const info = (o: Partial<BackendInfo>): BackendInfo => ({ name: 'wasm', package: 'p', gpu: false, skipped: [], ...o });

test('backendLabel: wasm, wasm with the native kernels, native TensorFlow on CPU and on a GPU', () => {
  assert.equal(backendLabel(info({})), 'wasm');
  assert.equal(backendLabel(info({ native: true })), 'wasm+native');
  assert.equal(backendLabel(info({ name: 'tensorflow' })), 'tensorflow');
  assert.equal(backendLabel(info({ name: 'tensorflow', gpu: true })), 'tensorflow (GPU)');
});
