import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HistoryBuffer } from './history-buffer.js';

test('mean, min, max and current over the whole history and over a window', () => {
  const b = new HistoryBuffer();
  for (const v of [1, 2, 3, 4, 10]) b.update(v);
  assert.equal(b.mean(), 4);
  assert.equal(b.mean(2), 7);
  assert.equal(b.min(), 1);
  assert.equal(b.min(3), 3);
  assert.equal(b.max(), 10);
  assert.equal(b.max(4), 10);
  assert.equal(b.current(), 10);
  // A window longer than the history covers all of it; 0 means all too (Python's [-0:]).
  assert.equal(b.mean(100), 4);
  assert.equal(b.mean(0), 4);
});

test('counts weigh the mean: sum of values over sum of counts', () => {
  const b = new HistoryBuffer();
  b.update(6, 3);
  b.update(2, 1);
  assert.equal(b.mean(), 2);
  assert.equal(b.mean(1), 2);
  assert.equal(b.statistics('mean', 1), 2);
  assert.equal(b.statistics('max'), 6);
});

test('window means equal numpy float64 means to the last bit (pairwise summation)', () => {
  const values = Array.from({ length: 1000 }, (_, i) => ((i * 7919) % 1000) / 7 + 0.1 * i);
  const b = new HistoryBuffer(values, values.map(() => 1));
  // numpy 2.4: v[-w:].sum() / w
  assert.equal(b.mean(), 121.30714285714284);
  assert.equal(b.mean(300), 155.9738095238095);
  assert.equal(b.mean(130), 164.5653846153846);
  assert.equal(b.mean(50), 169.66428571428577);
  assert.equal(b.max(), 238.72857142857143);
  assert.equal(b.min(10), 111.47142857142858);
});

test('keeps only the newest max_length entries', () => {
  const b = new HistoryBuffer([], [], 3);
  for (let i = 1; i <= 10; i++) b.update(i);
  assert.deepEqual(b.data, [[8, 9, 10], [1, 1, 1]]);
  assert.equal(b.mean(), 9);
  assert.equal(b.min(), 8);
  const long = new HistoryBuffer([1, 2, 3, 4], [1, 1, 1, 2], 2);
  assert.deepEqual(long.data, [[3, 4], [1, 2]]);
});

test('empty and invalid uses fail with a message', () => {
  const b = new HistoryBuffer();
  assert.ok(Number.isNaN(b.mean()));
  assert.throws(() => b.current(), /history is empty/);
  assert.throws(() => b.max(), /window is empty/);
  b.update(1);
  assert.throws(() => b.mean(1.5), /window_size must be an integer/);
  assert.throws(() => b.statistics('current', 3), /current takes no window_size/);
  assert.throws(() => new HistoryBuffer([1], []), /same length/);
});

test('NaN propagates through min and max as in numpy', () => {
  const b = new HistoryBuffer([1, NaN, 3], [1, 1, 1]);
  assert.ok(Number.isNaN(b.max()));
  assert.ok(Number.isNaN(b.min()));
  assert.equal(b.max(1), 3);
});

test('stateDict round trip through JSON, NaN included', () => {
  const b = new HistoryBuffer([], [], 5);
  b.update(0.5);
  b.update(NaN);
  b.update(2, 4);
  const json = JSON.parse(JSON.stringify(b.stateDict()));
  assert.deepEqual(json, { log_history: [0.5, null, 2], count_history: [1, 1, 4], max_length: 5 });
  const back = HistoryBuffer.fromStateDict(json);
  assert.equal(back.maxLength, 5);
  assert.ok(Number.isNaN(back.data[0][1]!));
  assert.equal(back.current(), 2);
  const other = new HistoryBuffer();
  other.update(100);
  other.loadStateDict(json);
  assert.equal(other.mean(1), 0.5);
  assert.equal(other.data[0].length, 3);
});
