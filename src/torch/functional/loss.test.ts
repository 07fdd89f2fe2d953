// Losses against PyTorch: cross entropy on 4-D segmentation logits (weights, ignore_index 255, reductions,
// label smoothing, probability targets) with input gradients, NLL, BCE (with logits) and regression losses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, randn, rand, randint, zeros } from '../index.js';
import * as F from './index.js';
import { type GradCase, runGradCases, assertCase } from './test-cases.js';

manualSeed(4);
const C = 5;
const logits = randn([2, C, 6, 7]).mul(2);
// Segmentation labels with about a fifth of the pixels at ignore_index 255.
const labels = randint(0, C, [2, 6, 7]).maskedFill(rand([2, 6, 7]).lt(0.2), 255);
const classWeight = rand([C]).add(0.5);
const seg = (name: string, opts: F.CrossEntropyOptions, py: string, withWeight = false): GradCase => ({
  name,
  grad: { x: logits },
  other: withWeight ? { t: labels, cw: classWeight } : { t: labels },
  js: ({ x, t, cw }) => F.crossEntropy(x!, t!, withWeight ? { ...opts, weight: cw } : opts),
  py: `F.cross_entropy(x, t${withWeight ? ', weight=cw' : ''}, ${py})`,
});
const probs = F.softmax(randn([2, C, 6, 7]), 1);
const cases: GradCase[] = [
  seg('crossEntropy N,C,H,W mean, ignoreIndex 255', { ignoreIndex: 255 }, 'ignore_index=255'),
  seg('crossEntropy N,C,H,W mean, class weights, ignoreIndex 255', { ignoreIndex: 255 }, 'ignore_index=255', true),
  seg('crossEntropy N,C,H,W sum, class weights, ignoreIndex 255', { ignoreIndex: 255, reduction: 'sum' }, "ignore_index=255, reduction='sum'", true),
  seg('crossEntropy N,C,H,W none, class weights, ignoreIndex 255', { ignoreIndex: 255, reduction: 'none' }, "ignore_index=255, reduction='none'", true),
  seg('crossEntropy labelSmoothing 0.1, class weights, ignoreIndex 255', { ignoreIndex: 255, labelSmoothing: 0.1 }, 'ignore_index=255, label_smoothing=0.1', true),
  seg('crossEntropy labelSmoothing 0.2, none', { ignoreIndex: 255, labelSmoothing: 0.2, reduction: 'none' }, "ignore_index=255, label_smoothing=0.2, reduction='none'"),
  seg('crossEntropy labelSmoothing 0.2, sum, class weights', { ignoreIndex: 255, labelSmoothing: 0.2, reduction: 'sum' }, "ignore_index=255, label_smoothing=0.2, reduction='sum'", true),
  {
    name: 'crossEntropy (N, C) with default ignoreIndex -100',
    grad: { x: randn([8, C]) }, other: { t: randint(0, C, [8]).maskedFill(rand([8]).lt(0.3), -100) },
    js: ({ x, t }) => F.crossEntropy(x!, t!), py: 'F.cross_entropy(x, t)',
  },
  {
    name: 'crossEntropy with probability targets and label smoothing',
    grad: { x: logits }, other: { p: probs, cw: classWeight },
    js: ({ x, p, cw }) => F.crossEntropy(x!, p!, { weight: cw, labelSmoothing: 0.1 }),
    py: 'F.cross_entropy(x, p, weight=cw, label_smoothing=0.1)',
  },
  {
    name: 'nllLoss on logSoftmax, N,C,H,W, weights, ignoreIndex 255',
    grad: { x: logits }, other: { t: labels, cw: classWeight },
    js: ({ x, t, cw }) => F.nllLoss(F.logSoftmax(x!, 1), t!, { weight: cw, ignoreIndex: 255 }),
    py: 'F.nll_loss(F.log_softmax(x, 1), t, weight=cw, ignore_index=255)',
  },
  {
    name: 'binaryCrossEntropyWithLogits with weight and posWeight',
    grad: { x: randn([4, 3]) }, other: { t: rand([4, 3]), w: rand([3]), pw: rand([3]).add(1) },
    js: ({ x, t, w, pw }) => F.binaryCrossEntropyWithLogits(x!, t!, { weight: w, posWeight: pw }),
    py: 'F.binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=pw)',
  },
  {
    name: 'binaryCrossEntropyWithLogits sum',
    grad: { x: randn([2, 1, 4, 4]) }, other: { t: rand([2, 1, 4, 4]).gt(0.5).float() },
    js: ({ x, t }) => F.binaryCrossEntropyWithLogits(x!, t!, { reduction: 'sum' }),
    py: "F.binary_cross_entropy_with_logits(x, t, reduction='sum')",
  },
  {
    name: 'binaryCrossEntropy with broadcast weight, none',
    grad: { x: rand([4, 3]).mul(0.9).add(0.05) }, other: { t: rand([4, 3]), w: rand([3]) },
    js: ({ x, t, w }) => F.binaryCrossEntropy(x!, t!, { weight: w, reduction: 'none' }),
    py: "F.binary_cross_entropy(x, t, weight=w, reduction='none')",
  },
  {
    name: 'mseLoss mean', grad: { a: randn([3, 4]) }, other: { b: randn([3, 4]) },
    js: ({ a, b }) => F.mseLoss(a!, b!), py: 'F.mse_loss(a, b)',
  },
  {
    name: 'mseLoss broadcasts the target', grad: { a: randn([3, 4]) }, other: { b: randn([4]) },
    js: ({ a, b }) => F.mseLoss(a!, b!, { reduction: 'sum' }), py: "F.mse_loss(a, b, reduction='sum')",
  },
  {
    name: 'l1Loss none', grad: { a: randn([3, 4]) }, other: { b: randn([3, 4]) },
    js: ({ a, b }) => F.l1Loss(a!, b!, { reduction: 'none' }), py: "F.l1_loss(a, b, reduction='none')",
  },
  {
    name: 'smoothL1Loss beta 0.5', grad: { a: randn([5, 4]) }, other: { b: randn([5, 4]) },
    js: ({ a, b }) => F.smoothL1Loss(a!, b!, { beta: 0.5 }), py: 'F.smooth_l1_loss(a, b, beta=0.5)',
  },
];
const results = runGradCases(cases);

for (const r of results) {
  test(`${r.name} matches PyTorch (loss and input gradient)`, () => assertCase(r));
}

test('ignored pixels get zero loss and zero gradient', () => {
  const none = results[3]!.actual;
  const ignored = labels.eq(255);
  assert.ok(ignored.sum().item() > 0);
  assert.equal(none.out!.maskedSelect(ignored).abs().sum().item(), 0);
  assert.equal(results[0]!.actual.grad_x!.mul(ignored.unsqueeze(1).float()).abs().sum().item(), 0);
});

test('losses reject bad targets and options with clear errors', () => {
  const x = zeros([2, 3, 4, 4]);
  assert.throws(() => F.crossEntropy(x, zeros([2, 4, 4], { dtype: 'int32' })), /crossEntropy: target must hold int64 class indices .*got int32 \(use \.long\(\)\)/);
  assert.throws(() => F.crossEntropy(x, zeros([2, 4, 4])), /crossEntropy: probability targets must have the input's shape \[2, 3, 4, 4\]/);
  assert.throws(() => F.crossEntropy(x, zeros([2, 4, 4], { dtype: 'int64' }), { reduction: 'avg' as F.Reduction }), /crossEntropy: reduction: expected 'none' \| 'mean' \| 'sum', got 'avg'/);
  assert.throws(() => F.crossEntropy(x, zeros([2, 4, 4], { dtype: 'int64' }), { labelSmoothing: 1.5 }), /labelSmoothing must be between 0 and 1/);
  assert.throws(() => F.binaryCrossEntropyWithLogits(x, zeros([2, 3, 4])), /target shape \[2, 3, 4\] must equal input shape \[2, 3, 4, 4\]/);
  assert.throws(() => F.nllLoss(x, zeros([2, 4, 4])), /nllLoss: target must hold int64 class indices, got float32/);
});
