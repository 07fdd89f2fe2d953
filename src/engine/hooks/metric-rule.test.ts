import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inferRule, isBetter, metricNumber, worstValue } from './metric-rule.js';

test('infers greater for accuracy-like keys and less for loss-like keys, case-insensitively', () => {
  for (const key of ['mIoU', 'miou', 'mAcc', 'aAcc', 'mDice', 'acc', 'accuracy/top1', 'AR@100', 'bbox_mAP', 'precision', 'auc']) {
    assert.equal(inferRule(key), 'greater', key);
  }
  for (const key of ['loss', 'LOSS', 'val_loss', 'decode.loss_ce']) assert.equal(inferRule(key), 'less', key);
  assert.equal(inferRule('FID'), null);
});

test('an exact less key wins over a greater substring, as MMEngine orders the checks', () => {
  // 'top_loss' contains 'top' (greater) and is not itself a key: the greater substring wins.
  assert.equal(inferRule('top_loss'), 'greater');
  // An exact match in less_keys comes before any substring match in greater_keys.
  assert.equal(inferRule('accloss', ['acc'], ['accloss']), 'less');
  assert.equal(inferRule('FID', ['is'], ['fid']), 'less');
});

test('isBetter is strict and worstValue is beaten by any finite score', () => {
  assert.equal(isBetter('greater', 0.5, 0.4), true);
  assert.equal(isBetter('greater', 0.4, 0.4), false);
  assert.equal(isBetter('less', 0.3, 0.4), true);
  assert.equal(isBetter('less', 0.4, 0.4), false);
  assert.equal(isBetter('greater', -1e300, worstValue('greater')), true);
  assert.equal(isBetter('less', 1e300, worstValue('less')), true);
});

test('metricNumber reads numbers and one-element tensors, rejecting lists', () => {
  assert.equal(metricNumber(0.25, 'x'), 0.25);
  assert.equal(metricNumber({ item: () => 3 }, 'x'), 3);
  assert.throws(() => metricNumber([1, 2], "metric 'IoU'"), /metric 'IoU': expected a number, got a list/);
});
