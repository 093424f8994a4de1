import test from 'node:test';
import assert from 'node:assert/strict';
import { formatAgo, formatDuration } from '../../src/shared/duration';

test('durations: seconds, minutes and seconds, hours and minutes; nothing for a bad time', () => {
  assert.equal(formatDuration(44_600), '45s');
  assert.equal(formatDuration(80_000), '1m 20s');
  assert.equal(formatDuration(3_599_000), '59m 59s');
  assert.equal(formatDuration(7_500_000), '2h 05m');
  assert.equal(formatDuration(NaN), '–');
  assert.equal(formatDuration(-1), '–');
});

test('ages', () => {
  assert.equal(formatAgo(30_000), 'just now');
  assert.equal(formatAgo(5 * 60_000), '5 min ago');
  assert.equal(formatAgo(3 * 3600_000), '3 h ago');
  assert.equal(formatAgo(5 * 86400_000), '5 days ago');
  assert.equal(formatAgo(-5), 'just now');
});
