import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pythonJsonDumps, pythonNumber } from './python-json.js';

test('numbers are written as Python repr() writes floats, integers as ints', () => {
  // Expected strings are what CPython 3 prints for repr(float(x)) / json.dumps(x).
  const cases: [number, string][] = [
    [0.01, '0.01'], [1e-5, '1e-05'], [0.0001, '0.0001'], [1.5e-7, '1.5e-07'], [-2.5e-10, '-2.5e-10'],
    [1e16, '1e+16'], [1e22, '1e+22'], [1.2345678901234568e+20, '1.2345678901234568e+20'], [1234567890123456.8, '1234567890123456.8'],
    [2 ** 53 + 2, '9007199254740994.0'], [123.456, '123.456'], [-0.5, '-0.5'], [0.1 + 0.2, '0.30000000000000004'],
    [5e-324, '5e-324'], [1.7976931348623157e308, '1.7976931348623157e+308'], [3, '3'], [-42, '-42'], [0, '0'], [-0, '-0.0'],
    [NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity'],
  ];
  for (const [x, want] of cases) assert.equal(pythonNumber(x), want, `pythonNumber(${x})`);
});

test("records use Python's separators, escapes and NaN tokens", () => {
  assert.equal(pythonJsonDumps({ lr: 0.01, loss: [1, 2.5], meta: { ok: true, none: null }, step: 3 }),
    '{"lr": 0.01, "loss": [1, 2.5], "meta": {"ok": true, "none": null}, "step": 3}');
  assert.equal(pythonJsonDumps({ loss: NaN, grad: -Infinity }), '{"loss": NaN, "grad": -Infinity}');
  assert.equal(pythonJsonDumps('é\u007f\n"\\ 😀'), '"\\u00e9\\u007f\\n\\"\\\\ \\ud83d\\ude00"');
  assert.equal(pythonJsonDumps({ 'größe': 1 }), '{"gr\\u00f6\\u00dfe": 1}');
  assert.equal(pythonJsonDumps({ t: { item: () => 0.25 } }), '{"t": 0.25}');
  assert.equal(pythonJsonDumps(new Float32Array([0.5, 2])), '[0.5, 2]');
  assert.equal(pythonJsonDumps({}), '{}');
  assert.equal(pythonJsonDumps([]), '[]');
});

test('values json cannot write are refused with their place', () => {
  assert.throws(() => pythonJsonDumps({ a: { f: () => 1 } }, 'scalars'), /^TypeError: scalars\.a\.f: a function cannot be written as JSON$/);
  assert.throws(() => pythonJsonDumps({ d: new Date(0) }), /value\.d: a Date cannot be written as JSON/);
});
