// Max / average / adaptive pooling against PyTorch, values and gradients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Tensor, manualSeed, randn, zeros } from '../index.js';
import * as F from './index.js';
import { type GradCase, runGradCases, assertCase } from './test-cases.js';

manualSeed(6);
const x = randn([2, 3, 9, 11]);
const pool = (name: string, js: (t: Tensor) => Tensor, py: string, noGrad = false): GradCase => ({
  name, grad: { x }, js: ({ x }) => js(x!), py, noGrad,
});
const cases: GradCase[] = [
  pool('maxPool2d 2x2 (stride defaults to kernel)', (t) => F.maxPool2d(t, 2), 'F.max_pool2d(x, 2)'),
  pool('maxPool2d 3x3 stride 2 padding 1 ceilMode', (t) => F.maxPool2d(t, 3, { stride: 2, padding: 1, ceilMode: true }), 'F.max_pool2d(x, 3, 2, 1, ceil_mode=True)'),
  pool('maxPool2d [3, 2] dilation 2 stride [1, 2]', (t) => F.maxPool2d(t, [3, 2], { dilation: 2, stride: [1, 2] }), 'F.max_pool2d(x, (3, 2), (1, 2), dilation=2)'),
  pool('maxPool2dWithIndices indices', (t) => F.maxPool2dWithIndices(t, 3, { stride: 2 }).indices, 'F.max_pool2d(x, 3, 2, return_indices=True)[1]', true),
  pool('avgPool2d 3x3 stride 2 padding 1', (t) => F.avgPool2d(t, 3, { stride: 2, padding: 1 }), 'F.avg_pool2d(x, 3, 2, 1)'),
  pool('avgPool2d countIncludePad false, ceilMode', (t) => F.avgPool2d(t, 3, { stride: 2, padding: 1, countIncludePad: false, ceilMode: true }),
    'F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)'),
  pool('avgPool2d divisorOverride 3', (t) => F.avgPool2d(t, 2, { divisorOverride: 3 }), 'F.avg_pool2d(x, 2, divisor_override=3)'),
  pool('adaptiveAvgPool2d 1 (global)', (t) => F.adaptiveAvgPool2d(t, 1), 'F.adaptive_avg_pool2d(x, 1)'),
  pool('adaptiveAvgPool2d [4, 6] (uneven bins)', (t) => F.adaptiveAvgPool2d(t, [4, 6]), 'F.adaptive_avg_pool2d(x, (4, 6))'),
  pool('adaptiveAvgPool2d [null, 3]', (t) => F.adaptiveAvgPool2d(t, [null, 3]), 'F.adaptive_avg_pool2d(x, (None, 3))'),
  pool('adaptiveMaxPool2d [2, 5]', (t) => F.adaptiveMaxPool2d(t, [2, 5]), 'F.adaptive_max_pool2d(x, (2, 5))'),
];
const results = runGradCases(cases);

for (const r of results) {
  test(`${r.name} matches PyTorch`, () => assertCase(r));
}

test('pooling reports bad sizes', () => {
  assert.throws(() => F.adaptiveAvgPool2d(zeros([2, 3, 4, 4]), [1, 2, 3]), /adaptiveAvgPool2d: outputSize: expected a number or \[H, W\]/);
  assert.throws(() => F.maxPool2d(zeros([2, 3, 4, 4]), [2, 2, 2]), /maxPool2d: kernelSize: expected an integer or 2 integers/);
});
