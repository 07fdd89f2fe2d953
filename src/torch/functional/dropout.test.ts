// dropout / dropout2d / dropPath: identity when not training, expectation preserved, masks of the right granularity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, randn, ones, tidy } from '../index.js';
import * as F from './index.js';

manualSeed(9);

test('training=false (and p=0) is the identity', () => {
  const x = randn([4, 3, 5, 5]);
  assert.deepEqual(F.dropout(x, 0.5, false).toArray(), x.toArray());
  assert.deepEqual(F.dropout2d(x, 0.5, false).toArray(), x.toArray());
  assert.deepEqual(F.dropout(x, 0, true).toArray(), x.toArray());
  assert.equal(F.dropPath(x, 0.3, false), x);
  assert.equal(F.dropPath(x, 0, true), x);
  assert.equal(F.dropPath(x), x, 'dropPath defaults to dropProb 0, training false');
});

test('dropout zeroes a fraction p of elements and scales the rest by 1 / (1 - p)', () => tidy(() => {
  const y = F.dropout(ones([200, 500]), 0.3);
  const values = new Set(y.toArray().map((v) => Math.fround(v)));
  assert.deepEqual([...values].sort(), [0, Math.fround(1 / 0.7)].sort());
  assert.ok(Math.abs(y.eq(0).float().mean().item() - 0.3) < 0.01);
  assert.ok(Math.abs(y.mean().item() - 1) < 0.015, `mean ${y.mean().item()}`);
}));

test('dropout2d drops whole channels', () => tidy(() => {
  const y = F.dropout2d(ones([64, 32, 3, 3]), 0.25);
  const perChannel = y.sum([2, 3]).toArray();
  const full = 9 / 0.75;
  assert.ok(perChannel.every((s) => s === 0 || Math.abs(s - full) < 1e-4), 'each channel is all kept or all zero');
  const dropped = perChannel.filter((s) => s === 0).length / perChannel.length;
  assert.ok(Math.abs(dropped - 0.25) < 0.04, `dropped fraction ${dropped}`);
  assert.ok(Math.abs(y.mean().item() - 1) < 0.06);
}));

test('dropPath drops whole samples with probability dropProb and keeps the mean', () => tidy(() => {
  const x = ones([4000, 3, 2, 2]).requiresGrad_();
  const y = F.dropPath(x, 0.2, true);
  const perSample = y.sum([1, 2, 3]).toArray();
  const full = 12 / 0.8;
  assert.ok(perSample.every((s) => s === 0 || Math.abs(s - full) < 1e-4), 'each sample is all kept or all zero');
  const dropped = perSample.filter((s) => s === 0).length / perSample.length;
  assert.ok(Math.abs(dropped - 0.2) < 0.025, `dropped fraction ${dropped}`);
  assert.ok(Math.abs(y.mean().item() - 1) < 0.04, `mean ${y.mean().item()}`);
  // The gradient is the same per-sample mask: 1 / keepProb where kept, 0 where dropped.
  y.sum().backward();
  const g = x.grad!.sum([1, 2, 3]).toArray();
  assert.deepEqual(g.map((s) => s !== 0), perSample.map((s) => s !== 0));
  assert.equal(F.dropPath(ones([3, 2]), 1, true).abs().sum().item(), 0, 'dropProb 1 drops everything without NaN');
}));

test('probabilities outside [0, 1] are rejected', () => {
  const x = ones([2, 2]);
  assert.throws(() => F.dropout(x, 1.5), /dropout: p must be between 0 and 1, got 1.5/);
  assert.throws(() => F.dropout2d(x, -0.1), /dropout2d: p must be between 0 and 1/);
  assert.throws(() => F.dropPath(x, 2, true), /dropPath: dropProb must be between 0 and 1/);
});
