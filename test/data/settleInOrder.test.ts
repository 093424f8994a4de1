import assert from 'node:assert/strict';
import { test } from 'node:test';
import { settleInOrder } from '../../src/data/settleInOrder';

const later = <T>(ms: number, f: () => T): Promise<T> => new Promise((res, rej) => setTimeout(() => { try { res(f()); } catch (e) { rej(e); } }, ms));

test('settleInOrder: values in list order; the first failure in list order wins, not the first in time', async () => {
  assert.deepEqual(await settleInOrder([later(5, () => 'a'), Promise.resolve(2)] as const), ['a', 2]);
  const slowFirst = later(20, () => { throw new Error('first'); });
  const fastSecond = later(1, () => { throw new Error('second'); });
  await assert.rejects(settleInOrder([slowFirst, fastSecond]), /first/);
});
