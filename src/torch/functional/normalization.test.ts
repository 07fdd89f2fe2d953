// batchNorm / layerNorm / groupNorm / instanceNorm / normalize against PyTorch, gradients and running stats included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, randn, rand, zeros, ones } from '../index.js';
import * as F from './index.js';
import { type GradCase, runGradCases, assertCase } from './test-cases.js';

manualSeed(2);
const runningMean = randn([5]).mul(0.1);
const runningVar = rand([5]).add(0.5);
const cases: GradCase[] = [
  {
    name: 'batchNorm training updates running stats (momentum 0.1)',
    grad: { x: randn([4, 5, 3, 3]).mul(2).add(1), w: randn([5]), b: randn([5]) },
    other: { rm: runningMean, rv: runningVar },
    js: ({ x, w, b, rm, rv }) => F.batchNorm(x!, rm!, rv!, { weight: w, bias: b, training: true }),
    py: 'F.batch_norm(x, rm, rv, w, b, training=True)',
  },
  {
    name: 'batchNorm training with momentum 0.3, eps 1e-3 on (N, C) input',
    grad: { x: randn([6, 5]), w: randn([5]), b: randn([5]) },
    other: { rm: runningMean, rv: runningVar },
    js: ({ x, w, b, rm, rv }) => F.batchNorm(x!, rm!, rv!, { weight: w, bias: b, training: true, momentum: 0.3, eps: 1e-3 }),
    py: 'F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.3, eps=1e-3)',
  },
  {
    name: 'batchNorm training without running stats or affine',
    grad: { x: randn([3, 5, 4, 2]) },
    js: ({ x }) => F.batchNorm(x!, null, null, { training: true }),
    py: 'F.batch_norm(x, None, None, training=True)',
  },
  {
    name: 'batchNorm eval uses running stats and leaves them unchanged',
    grad: { x: randn([2, 5, 3, 4]), w: randn([5]), b: randn([5]) },
    other: { rm: runningMean, rv: runningVar },
    js: ({ x, w, b, rm, rv }) => F.batchNorm(x!, rm!, rv!, { weight: w, bias: b }),
    py: 'F.batch_norm(x, rm, rv, w, b, training=False)',
  },
  {
    name: 'layerNorm over the last two dimensions',
    grad: { x: randn([2, 3, 4, 5]).mul(3), w: randn([4, 5]), b: randn([4, 5]) },
    js: ({ x, w, b }) => F.layerNorm(x!, [4, 5], { weight: w, bias: b }),
    py: 'F.layer_norm(x, [4, 5], w, b)',
  },
  {
    name: 'layerNorm over channels-last features with eps 1e-6',
    grad: { x: randn([2, 6, 7, 8]), w: randn([8]), b: randn([8]) },
    js: ({ x, w, b }) => F.layerNorm(x!, [8], { weight: w, bias: b, eps: 1e-6 }),
    py: 'F.layer_norm(x, [8], w, b, eps=1e-6)',
  },
  {
    name: 'groupNorm 3 groups of 2 channels',
    grad: { x: randn([2, 6, 4, 5]).add(0.5), w: randn([6]), b: randn([6]) },
    js: ({ x, w, b }) => F.groupNorm(x!, 3, { weight: w, bias: b }),
    py: 'F.group_norm(x, 3, w, b)',
  },
  {
    name: 'groupNorm 1 group without affine, eps 1e-6',
    grad: { x: randn([2, 4, 3, 3]) },
    js: ({ x }) => F.groupNorm(x!, 1, { eps: 1e-6 }),
    py: 'F.group_norm(x, 1, eps=1e-6)',
  },
  {
    name: 'instanceNorm with affine and running stats',
    grad: { x: randn([2, 5, 4, 4]), w: randn([5]), b: randn([5]) },
    other: { rm: runningMean, rv: runningVar },
    js: ({ x, w, b, rm, rv }) => F.instanceNorm(x!, { runningMean: rm, runningVar: rv, weight: w, bias: b }),
    py: 'F.instance_norm(x, rm, rv, w, b)',
  },
  {
    name: 'normalize p=2 over dim 1',
    grad: { x: randn([3, 4, 2]) },
    js: ({ x }) => F.normalize(x!),
    py: 'F.normalize(x)',
  },
];
const results = runGradCases(cases);

for (const r of results) {
  test(`${r.name} matches PyTorch`, () => assertCase(r));
}

test('running stats really moved in training and not in eval', () => {
  const train = results[0]!;
  assert.notDeepEqual(train.actual.after_rm!.toArray(), runningMean.toArray());
  const evalCase = results[3]!;
  assert.deepEqual(evalCase.actual.after_rm!.toArray(), runningMean.toArray());
});

test('norms reject inputs they cannot normalise, with clear messages', () => {
  assert.throws(() => F.batchNorm(zeros([1, 3]), null, null, { training: true }), /batchNorm: expected more than 1 value per channel when training, got input size \[1, 3\]/);
  assert.throws(() => F.batchNorm(zeros([2, 3]), null, null), /batchNorm: runningMean and runningVar are required/);
  assert.throws(() => F.groupNorm(zeros([2, 6, 4, 4]), 4), /groupNorm: the number of channels \(6, input shape \[2, 6, 4, 4\]\) must be divisible by numGroups \(4\)/);
  assert.throws(() => F.instanceNorm(zeros([2, 3, 1, 1])), /instanceNorm: expected more than 1 spatial element/);
  assert.throws(() => F.layerNorm(ones([2, 3]), [4]), /normalized_shape/);
});
