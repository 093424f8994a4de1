import test from 'node:test';
import assert from 'node:assert/strict';
import { encoderRows, type TimingRun } from '../../bench/encoderTable';

const run = (parameters: number, stepMs: number[], cpuMs = stepMs, id = 'bigru'): TimingRun => ({ layers: [{ id, parameters, stepMs, cpuMs }] });

test('encoder table: medians pooled over repeats, ratios ours ÷ PyTorch from the same run', () => {
  const [row] = encoderRows([run(100, [10, 30]), run(100, [20])], [run(100, [40, 44])], [run(100, [5, 9, 10], [4, 5, 6])]);
  assert.deepEqual(row.ms, { ours: 20, plain: 42, pytorch: 9 });
  assert.deepEqual(row.cpuMs, { ours: 20, plain: 42, pytorch: 5 });
  assert.equal(row.ratio, 2.22);
  assert.equal(row.ratioPlain, 4.67);
  assert.equal(row.ratioCpu, 4);
  assert.deepEqual(row.n, { ours: 3, plain: 2, pytorch: 3 });
});

test('encoder table: without PyTorch or plain wasm runs the columns are null, not zero', () => {
  const [row] = encoderRows([run(100, [10])], [], []);
  assert.deepEqual(row.ms, { ours: 10, plain: null, pytorch: null });
  assert.equal(row.ratio, null);
  assert.equal(row.ratioPlain, null);
});

test('encoder table: a twin with another parameter count is refused, naming the layer', () => {
  assert.throws(() => encoderRows([run(796_928, [10])], [], [run(797_440, [5])]),
    /layer 'bigru' has 796928 parameters in ours but 797440 in a PyTorch run: not the same model/);
});

test('encoder table: a layer missing from a run is refused', () => {
  assert.throws(() => encoderRows([run(10, [1])], [run(10, [1], [1], 'cnn')], []), /layer 'bigru' is missing from a plain wasm run/);
});
