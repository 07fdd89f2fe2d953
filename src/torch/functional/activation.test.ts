// Activations and (log-)softmax against PyTorch, values and gradients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Tensor, manualSeed, randn, zeros } from '../index.js';
import * as F from './index.js';
import { type GradCase, runGradCases, assertCase } from './test-cases.js';

manualSeed(5);
// Values spread over the kinks of relu6 / hardswish / hardsigmoid (-3, 0, 3, 6).
const x = randn([4, 5, 6]).mul(4);
const unary = (name: string, js: (t: Tensor) => Tensor, py: string): GradCase => ({
  name, grad: { x }, js: ({ x }) => js(x!), py,
});
const cases: GradCase[] = [
  unary('relu', F.relu, 'F.relu(x)'),
  unary('relu6', F.relu6, 'F.relu6(x)'),
  unary('leakyRelu default slope', (t) => F.leakyRelu(t), 'F.leaky_relu(x)'),
  unary('leakyRelu slope 0.2', (t) => F.leakyRelu(t, 0.2), 'F.leaky_relu(x, 0.2)'),
  unary('elu alpha 0.7', (t) => F.elu(t, 0.7), 'F.elu(x, 0.7)'),
  unary('gelu exact', (t) => F.gelu(t), 'F.gelu(x)'),
  unary('gelu tanh', (t) => F.gelu(t, 'tanh'), "F.gelu(x, approximate='tanh')"),
  unary('silu', F.silu, 'F.silu(x)'),
  unary('mish', F.mish, 'F.mish(x)'),
  unary('hardswish', F.hardswish, 'F.hardswish(x)'),
  unary('hardsigmoid', F.hardsigmoid, 'F.hardsigmoid(x)'),
  unary('hardtanh', (t) => F.hardtanh(t, -2, 3), 'F.hardtanh(x, -2, 3)'),
  unary('softplus', (t) => F.softplus(t, 2, 5), 'F.softplus(x, 2, 5)'),
  unary('sigmoid', F.sigmoid, 'torch.sigmoid(x)'),
  unary('tanh', F.tanh, 'torch.tanh(x)'),
  unary('softmax dim 1', (t) => F.softmax(t, 1), 'F.softmax(x, 1)'),
  unary('softmax dim -1', (t) => F.softmax(t, -1), 'F.softmax(x, -1)'),
  unary('logSoftmax dim 1', (t) => F.logSoftmax(t, 1), 'F.log_softmax(x, 1)'),
  unary('softmax in float64', (t) => F.softmax(t, 2, 'float64'), 'F.softmax(x, 2, dtype=torch.float64)'),
  { name: 'prelu per channel', grad: { x, w: randn([5]).mul(0.3) }, js: ({ x, w }) => F.prelu(x!, w!), py: 'F.prelu(x, w)' },
];
const results = runGradCases(cases);

for (const r of results) {
  test(`${r.name} matches PyTorch (values and gradient)`, () => assertCase(r));
}

test('gelu rejects an unknown approximation', () => {
  assert.throws(() => F.gelu(zeros([2]), 'erf' as 'none'), /gelu: approximate: expected 'none' \| 'tanh', got 'erf'/);
});
