import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linearScale, logScale, niceStep, tickFormatter } from './scale.js';

test('niceStep picks 1, 2 or 5 times a power of ten', () => {
  assert.equal(niceStep(10, 5), 2);
  assert.equal(niceStep(160000, 8), 20000);
  assert.equal(niceStep(6e-5, 3), 2e-5);
  assert.equal(niceStep(7, 2), 5);
  assert.equal(niceStep(0.9, 10), 0.1);
});

test('linearScale rounds the domain out to whole ticks and maps it onto 0..1', () => {
  const s = linearScale(0.13, 1.92, 4);
  assert.deepEqual(s.domain, [0, 2]);
  assert.deepEqual(s.ticks, [0, 0.5, 1, 1.5, 2]);
  assert.equal(s.position(0.5), 0.25);
  assert.deepEqual(s.ticks.map(s.format), ['0.0', '0.5', '1.0', '1.5', '2.0']);
  // Float noise (0.1 * 3 = 0.30000000000000004) does not leak into ticks.
  assert.deepEqual(linearScale(0, 0.6, 6).ticks, [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
});

test('a flat range is widened around its value', () => {
  const s = linearScale(5, 5, 4);
  assert.ok(s.domain[0] < 5 && s.domain[1] > 5, `${s.domain}`);
  assert.deepEqual(linearScale(0, 0, 2).domain, [-1, 1]);
  assert.throws(() => linearScale(2, 1, 4), /expected finite min <= max, got 2, 1/);
});

test('tick labels: k/M for iterations, exponents for learning rates, decimals otherwise', () => {
  assert.deepEqual(linearScale(0, 160000, 8).ticks.map((t) => tickFormatter(20000, 160000)(t)), ['0', '20k', '40k', '60k', '80k', '100k', '120k', '140k', '160k']);
  assert.equal(tickFormatter(500, 2500)(1500), '1500');
  assert.equal(tickFormatter(2500, 12500)(7500), '7.5k');
  assert.equal(tickFormatter(5e5, 3e6)(1.5e6), '1.5M');
  assert.deepEqual([0, 2e-5, 6e-5].map(tickFormatter(2e-5, 6e-5)), ['0', '2e-5', '6e-5']);
  assert.equal(tickFormatter(5e-6, 6e-5)(2.5e-5), '2.5e-5');
  assert.equal(tickFormatter(0.05, 0.3)(0.25), '0.25');
  assert.equal(tickFormatter(2, 10)(200), '200');
});

test('logScale spans whole decades; short ranges get 2 and 5 ticks', () => {
  const wide = logScale(6e-11, 6e-5);
  assert.deepEqual(wide.domain, [1e-11, 1e-4]);
  assert.deepEqual(wide.ticks.map(wide.format), ['1e-11', '1e-10', '1e-9', '1e-8', '1e-7', '1e-6', '1e-5', '1e-4']);
  assert.equal(wide.position(1e-11), 0);
  assert.ok(Math.abs(wide.position(1e-7) - 4 / 7) < 1e-12);
  assert.ok(Number.isNaN(wide.position(0)));
  const short = logScale(12, 80);
  assert.deepEqual(short.ticks, [10, 20, 50, 100]);
  assert.deepEqual(logScale(1e-30, 1, 4).ticks.length <= 5, true);
  assert.throws(() => logScale(0, 1), /expected 0 < min <= max, got 0, 1/);
});
