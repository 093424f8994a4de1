import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's node bundle registers no gradients; the ESM registration writes to the global registry.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/** Selects a tfjs backend for the GRU microbenchmark (wasm binaries next to the bundle). */
export async function setupBackend(name: string): Promise<void> {
  if (name === 'wasm') setWasmPaths(__dirname + '/');
  await tf.setBackend(name);
  await tf.ready();
}
