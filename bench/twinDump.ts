/**
 * What the benchmark hands its PyTorch twins (bench/pytorch_quality.py, bench/pytorch_ref.py,
 * bench/pytorch_encoders.py): FILE, a JSON document, and FILE.weights.f32 beside it (float32,
 * little-endian, the arrays concatenated in the order the JSON lists them; the twins read it with
 * `read_named` in pytorch_quality.py).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Writes FILE (JSON, with `weightsFile` added) and FILE.weights.f32 (the arrays, concatenated). */
export function writeDump(file: string, json: Record<string, unknown>, arrays: Float32Array[]): void {
  fs.writeFileSync(file, JSON.stringify({ ...json, weightsFile: path.basename(file) + '.weights.f32' }));
  const total = arrays.reduce((n, w) => n + w.length, 0);
  const all = new Float32Array(total);
  let o = 0;
  for (const w of arrays) { all.set(w, o); o += w.length; }
  fs.writeFileSync(file + '.weights.f32', Buffer.from(all.buffer));
}
