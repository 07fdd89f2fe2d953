// pad in its four modes against PyTorch, values and gradients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Tensor, manualSeed, randn, zeros } from '../index.js';
import * as F from './index.js';
import { type GradCase, runGradCases, assertCase } from './test-cases.js';

manualSeed(7);
const x = randn([2, 3, 5, 6]);
const padCase = (name: string, js: (t: Tensor) => Tensor, py: string, input = x): GradCase => ({
  name, grad: { x: input }, js: ({ x }) => js(x!), py,
});
const cases: GradCase[] = [
  padCase('constant 0 [1, 2, 3, 0]', (t) => F.pad(t, [1, 2, 3, 0]), 'F.pad(x, (1, 2, 3, 0))'),
  padCase('constant 1.5 on three dimensions', (t) => F.pad(t, [1, 1, 0, 2, 1, 0], 'constant', 1.5), "F.pad(x, (1, 1, 0, 2, 1, 0), 'constant', 1.5)"),
  padCase('constant with negative padding crops', (t) => F.pad(t, [-1, 2, 0, -2]), 'F.pad(x, (-1, 2, 0, -2))'),
  padCase('reflect [2, 1, 3, 2]', (t) => F.pad(t, [2, 1, 3, 2], 'reflect'), "F.pad(x, (2, 1, 3, 2), mode='reflect')"),
  padCase('replicate [2, 1, 3, 2]', (t) => F.pad(t, [2, 1, 3, 2], 'replicate'), "F.pad(x, (2, 1, 3, 2), mode='replicate')"),
  padCase('circular [2, 1, 3, 2]', (t) => F.pad(t, [2, 1, 3, 2], 'circular'), "F.pad(x, (2, 1, 3, 2), mode='circular')"),
  padCase('reflect on 3-D input', (t) => F.pad(t, [2, 3], 'reflect'), "F.pad(x, (2, 3), mode='reflect')", randn([2, 3, 7])),
];
const results = runGradCases(cases);

for (const r of results) {
  test(`pad ${r.name} matches PyTorch`, () => assertCase(r));
}

test('pad rejects unknown modes, odd lengths and values outside constant mode', () => {
  const t = zeros([1, 1, 4, 4]);
  assert.throws(() => F.pad(t, [1, 1], 'mirror' as F.PadMode), /pad: mode: expected one of constant \| reflect \| replicate \| circular, got 'mirror'/);
  assert.throws(() => F.pad(t, [1, 1, 1]), /pad: expected an even number of integers/);
  assert.throws(() => F.pad(t, [1, 1], 'reflect', 2), /pad: mode 'reflect' does not take a value/);
});
