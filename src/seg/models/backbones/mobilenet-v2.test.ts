// MobileNetV2: MMSeg's parameter names and counts, dilated output shapes, frozen_stages, norm_eval and errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import { ConfigError } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { MobileNetV2 } from './mobilenet-v2.js';

torch.manualSeed(2);
const nn = torch.nn;
const params = (m: torch.nn.Module): [string, number[]][] => m.namedParameters().map(([n, p]) => [n, p.shape]);

test('MobileNetV2 (widen_factor 1) has MMSeg parameter names, shapes and counts', () => {
  const m = new MobileNetV2();
  const ps = params(m);
  // Derived from MMSeg's MobileNetV2 / InvertedResidual code: layer1 has expand_ratio 1 (no expand conv).
  assert.deepEqual(ps.slice(0, 7), [
    ['conv1.conv.weight', [32, 3, 3, 3]], ['conv1.bn.weight', [32]], ['conv1.bn.bias', [32]],
    ['layer1.0.conv.0.conv.weight', [32, 1, 3, 3]], ['layer1.0.conv.0.bn.weight', [32]], ['layer1.0.conv.0.bn.bias', [32]],
    ['layer1.0.conv.1.conv.weight', [16, 32, 1, 1]],
  ]);
  const byName = new Map(ps);
  assert.deepEqual(byName.get('layer2.0.conv.0.conv.weight'), [96, 16, 1, 1]);
  assert.deepEqual(byName.get('layer2.0.conv.1.conv.weight'), [96, 1, 3, 3]);
  assert.deepEqual(byName.get('layer4.3.conv.2.conv.weight'), [64, 384, 1, 1]);
  assert.deepEqual(ps.slice(-4), [
    ['layer7.0.conv.1.bn.bias', [960]], ['layer7.0.conv.2.conv.weight', [320, 960, 1, 1]], ['layer7.0.conv.2.bn.weight', [320]], ['layer7.0.conv.2.bn.bias', [320]],
  ]);
  assert.equal(ps.length, 153);
  assert.equal(ps.reduce((s, [, shape]) => s + shape.reduce((a, b) => a * b, 1), 0), 1811712);
  assert.equal(m.stateDict().size, 306);
});

test('dilated MobileNetV2 (deeplabv3 m-v2-d8 settings) gives 1/4 and 1/8 maps at 64x64', () => {
  const m = new MobileNetV2({ widen_factor: 1, strides: [1, 2, 2, 1, 1, 1, 1], dilations: [1, 1, 1, 2, 2, 4, 4], out_indices: [1, 2, 4, 6], norm_cfg: { type: 'SyncBN', requires_grad: true } });
  const shapes = torch.tidy(() => torch.noGrad(() => m.forward(torch.randn([2, 3, 64, 64])).map((t) => t.shape)));
  assert.deepEqual(shapes, [[2, 24, 16, 16], [2, 32, 8, 8], [2, 96, 8, 8], [2, 320, 8, 8]]);
  const dw = m.getSubmodule('layer6.0.conv.1.conv') as torch.nn.Conv2d;
  assert.deepEqual([dw.dilation, dw.padding, dw.groups], [[4, 4], [4, 4], 576]);
  assert.deepEqual((m.getSubmodule('layer6.1.conv.1.conv') as torch.nn.Conv2d).dilation, [1, 1]); // only the first block dilates
});

test('widen_factor scales channels with make_divisible', () => {
  const m = new MobileNetV2({ widen_factor: 0.5, out_indices: [6] }).eval();
  assert.deepEqual(m.getParameter('conv1.conv.weight').shape, [16, 3, 3, 3]);
  assert.deepEqual(m.getParameter('layer2.0.conv.2.conv.weight').shape, [16, 48, 1, 1]); // 24 * 0.5 = 12 -> 16
  assert.deepEqual(m.getParameter('layer7.0.conv.2.conv.weight').shape, [160, 480, 1, 1]);
  const outs = torch.tidy(() => torch.noGrad(() => m.forward(torch.randn([1, 3, 32, 32])).map((t) => t.shape)));
  assert.deepEqual(outs, [[1, 160, 1, 1]]);
});

test('frozen_stages=2 stops conv1, layer1 and layer2 gradients and keeps those layers in eval after train()', () => {
  const m = new MobileNetV2({ frozen_stages: 2, widen_factor: 0.5 }).train();
  for (const [n, p] of m.namedParameters()) assert.equal(p.requiresGrad, !/^(conv1|layer1|layer2)\./.test(n), n);
  const bn = (name: string): torch.nn.BatchNormBase => m.getSubmodule(name) as torch.nn.BatchNormBase;
  assert.equal(bn('layer2.1.conv.0.bn').training, false);
  assert.equal(bn('layer3.0.conv.0.bn').training, true);
  torch.tidy(() => m.forward(torch.randn([2, 3, 32, 32]))[3]!.sum().backward());
  assert.equal(m.getParameter('layer1.0.conv.0.conv.weight').grad, null);
  assert.ok(m.getParameter('layer7.0.conv.2.conv.weight').grad !== null);
});

test('norm_eval keeps every BN in eval mode while training', () => {
  const m = new MobileNetV2({ norm_eval: true, widen_factor: 0.5 }).train();
  assert.ok(m.modules().filter((b) => b instanceof nn.BatchNormBase).every((b) => !b.training));
  assert.ok(m.getParameter('layer1.0.conv.0.conv.weight').requiresGrad);
});

test('config errors name the key', () => {
  assert.throws(() => MODELS.build({ type: 'MobileNetV2', out_indices: [7] }, { keyPath: ['backbone'] }),
    (e: unknown) => e instanceof ConfigError && /^backbone\.out_indices: each index must be in 0\.\.6, got 7/.test(e.message));
  assert.throws(() => new MobileNetV2({ strides: [1, 2] as never }), (e: unknown) => e instanceof ConfigError && /^strides: expected 7 entries/.test(e.message));
  assert.throws(() => new MobileNetV2({ frozen_stages: 7 }), /frozen_stages: must be in -1\.\.6/);
});
