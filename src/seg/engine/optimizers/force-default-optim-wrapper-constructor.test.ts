// Tests for ForceDefaultOptimWrapperConstructor: frozen parameters kept, default rules forced over custom keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Module } from '../../../torch/nn/index.js';
import type { OptimWrapper } from '../../../engine/optim/optim-wrapper/index.js';
import { buildOptimWrapper } from '../../../engine/optim/optimizer/index.js';
import { buildReferenceModel } from '../../../engine/optim/optimizer/testing/reference-model.js';
import './index.js';

const rows = [
  { name: 'backbone.conv.weight', shape: [4, 3, 3, 3] },
  { name: 'backbone.conv.bias', shape: [4] },
  { name: 'backbone.norm.weight', shape: [4] },
  { name: 'backbone.norm.bias', shape: [4] },
  { name: 'head.fc.weight', shape: [2, 4] },
  { name: 'head.fc.bias', shape: [2] },
];

function groups(model: Module, paramwise: Record<string, unknown>, constructor = 'ForceDefaultOptimWrapperConstructor'): Map<string, Record<string, unknown>> {
  const w = buildOptimWrapper(model, { constructor, optimizer: { type: 'SGD', lr: 1, weight_decay: 1 }, paramwise_cfg: paramwise },
    { logger: { info: () => {}, warning: () => {} } }) as OptimWrapper;
  const names = new Map(model.namedParameters().map(([n, p]) => [p, n]));
  return new Map(w.optimizer.paramGroups.flatMap((g) => g.params.map((p) => [names.get(p)!, g] as [string, Record<string, unknown>])));
}

test('frozen parameters join the optimizer in plain groups (the default constructor skips them)', () => {
  const model = buildReferenceModel(rows);
  model.getSubmodule('backbone.norm').requiresGrad_(false);
  const forced = groups(model, { norm_decay_mult: 0 });
  assert.equal(forced.size, 6);
  assert.equal(forced.get('backbone.norm.weight')!.weight_decay, 1, 'a frozen parameter gets no paramwise rule');
  assert.equal(groups(model, { norm_decay_mult: 0 }, 'DefaultOptimWrapperConstructor').size, 4);
});

test('force_default_settings applies bias_lr_mult and norm_decay_mult after a custom key', () => {
  const model = buildReferenceModel(rows);
  const cfg = { bias_lr_mult: 2, norm_decay_mult: 0, custom_keys: { backbone: { lr_mult: 0.1, decay_mult: 0.5 } } };
  const plain = groups(model, cfg);
  assert.deepEqual([plain.get('backbone.conv.bias')!.lr, plain.get('backbone.norm.weight')!.weight_decay], [0.1, 0.5]);
  const forced = groups(model, { ...cfg, force_default_settings: true });
  assert.equal(forced.get('backbone.conv.bias')!.lr, 2);
  assert.equal(forced.get('backbone.conv.weight')!.lr, 0.1);
  assert.equal(forced.get('backbone.norm.weight')!.weight_decay, 0);
  assert.equal(forced.get('backbone.norm.bias')!.lr, 0.1, 'no bias_lr_mult for a norm layer');
  assert.equal(forced.get('head.fc.bias')!.lr, 2);
});
