import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatExp, formatFixed, formatTimedelta, pyRepr } from './py-format.js';

// Expected strings are Python 3's output for the same inputs.
test("formatFixed matches Python's '.Nf', ties to even", () => {
  assert.equal(formatFixed(1.23456, 4), '1.2346');
  assert.equal(formatFixed(0.03125, 4), '0.0312');
  assert.equal(formatFixed(0.09375, 4), '0.0938');
  assert.equal(formatFixed(2.675, 2), '2.67');
  assert.equal(formatFixed(0.5, 0), '0');
  assert.equal(formatFixed(1.5, 0), '2');
  assert.equal(formatFixed(1.00005, 4), '1.0001');
  assert.equal(formatFixed(-0, 4), '-0.0000');
  assert.equal(formatFixed(-0.03125, 4), '-0.0312');
  assert.equal(formatFixed(1e22, 4), '10000000000000000000000.0000');
  assert.equal(formatFixed(NaN, 4), 'nan');
  assert.equal(formatFixed(-Infinity, 4), '-inf');
});

test("formatExp matches Python's '.Ne': two-digit signed exponent, ties to even", () => {
  assert.equal(formatExp(6e-5, 4), '6.0000e-05');
  assert.equal(formatExp(0.01, 4), '1.0000e-02');
  assert.equal(formatExp(0, 4), '0.0000e+00');
  assert.equal(formatExp(123456789, 2), '1.23e+08');
  assert.equal(formatExp(1e-100, 1), '1.0e-100');
  assert.equal(formatExp(0.00390625, 4), '3.9062e-03');
  assert.equal(formatExp(9.99995, 4), '1.0000e+01');
  assert.equal(formatExp(1.23455e-7, 4), '1.2345e-07');
  assert.equal(formatExp(-2.5e-4, 3), '-2.500e-04');
});

test('formatTimedelta is str(timedelta(seconds=int(s)))', () => {
  assert.equal(formatTimedelta(40), '0:00:40');
  assert.equal(formatTimedelta(3599.9), '0:59:59');
  assert.equal(formatTimedelta(93784.7), '1 day, 2:03:04');
  assert.equal(formatTimedelta(2 * 86400 + 5), '2 days, 0:00:05');
  assert.equal(formatTimedelta(-5), '-1 day, 23:59:55');
  assert.throws(() => formatTimedelta(NaN), /finite/);
});

test('pyRepr writes plain data as Python would', () => {
  assert.equal(pyRepr({ cat: 1, dog: 0 }), "{'cat': 1, 'dog': 0}");
  assert.equal(pyRepr([1, 'a', null, true]), "[1, 'a', None, True]");
});
