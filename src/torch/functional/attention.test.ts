// scaledDotProductAttention against the explicit formula softmax(q k^T * scale + mask) v in PyTorch, with gradients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, randn, rand, zeros, ones } from '../index.js';
import * as F from './index.js';
import { type GradCase, runGradCases, assertCase } from './test-cases.js';

manualSeed(8);
const qkv = () => ({ q: randn([2, 3, 5, 8]), k: randn([2, 3, 7, 8]), v: randn([2, 3, 7, 4]) });
const sdpa = (scale: string, extra = ''): string =>
  `torch.softmax(q @ k.transpose(-2, -1) * ${scale}${extra}, -1) @ v`;
// Every query keeps at least one key so no row is all -inf.
const boolMask = rand([5, 7]).gt(0.4).logicalOr(ones([5, 7], { dtype: 'bool' }).tril());
const cases: GradCase[] = [
  {
    name: 'no mask, default scale 1/sqrt(E)', grad: qkv(),
    js: ({ q, k, v }) => F.scaledDotProductAttention(q!, k!, v!), py: sdpa('(1 / math.sqrt(8))'),
  },
  {
    name: 'custom scale 0.2', grad: qkv(),
    js: ({ q, k, v }) => F.scaledDotProductAttention(q!, k!, v!, { scale: 0.2 }), py: sdpa('0.2'),
  },
  {
    name: 'bool mask (true = attend)', grad: qkv(), other: { m: boolMask },
    js: ({ q, k, v, m }) => F.scaledDotProductAttention(q!, k!, v!, { attnMask: m }),
    py: `torch.softmax((q @ k.transpose(-2, -1) / math.sqrt(8)).masked_fill(~m, float('-inf')), -1) @ v`,
  },
  {
    name: 'additive float mask', grad: qkv(), other: { m: randn([2, 1, 5, 7]) },
    js: ({ q, k, v, m }) => F.scaledDotProductAttention(q!, k!, v!, { attnMask: m }), py: sdpa('(1 / math.sqrt(8))', ' + m'),
  },
  {
    name: 'isCausal', grad: { q: randn([2, 6, 8]), k: randn([2, 6, 8]), v: randn([2, 6, 3]) },
    js: ({ q, k, v }) => F.scaledDotProductAttention(q!, k!, v!, { isCausal: true }),
    py: `torch.softmax((q @ k.transpose(-2, -1) / math.sqrt(8)).masked_fill(torch.ones(6, 6).tril() == 0, float('-inf')), -1) @ v`,
  },
];
const results = runGradCases(cases);

for (const r of results) {
  test(`scaledDotProductAttention ${r.name} matches the explicit formula (values and q, k, v gradients)`, () => assertCase(r));
}

test('scaledDotProductAttention applies dropout to the weights and checks its options', () => {
  const { q, k, v } = qkv();
  const plain = F.scaledDotProductAttention(q, k, v);
  const dropped = F.scaledDotProductAttention(q, k, v, { dropoutP: 0.5 });
  assert.deepEqual(dropped.shape, plain.shape);
  assert.ok(!dropped.allclose(plain));
  assert.equal(F.scaledDotProductAttention(q, k, v, { dropoutP: 1 }).abs().sum().item(), 0);
  assert.throws(() => F.scaledDotProductAttention(q, k, v, { isCausal: true, attnMask: zeros([5, 7]) }), /either attnMask or isCausal/);
  assert.throws(() => F.scaledDotProductAttention(q, randn([2, 3, 7, 6]), v), /q and k must share the last \(embedding\) dimension, got 8 and 6/);
  assert.throws(() => F.scaledDotProductAttention(q, k, v, { dropoutP: 2 }), /dropoutP must be between 0 and 1/);
});
