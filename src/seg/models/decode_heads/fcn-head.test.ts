// FCNHead / BaseDecodeHead: MMSeg parameter names, forward equal to PyTorch, losses (list, sampler, binary), input transforms, predict size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { MODELS } from '../../../engine/registry/index.js';
import { ConfigError } from '../../../engine/config/errors.js';
import '../losses/index.js';
import '../samplers/index.js';
import { FCNHead } from './index.js';
import type { SegDataSample } from '../../structures/seg-data-sample.js';

torch.manualSeed(7);
process.removeAllListeners('warning');
const bn = { type: 'BN', requires_grad: true };
const sample = (label: torch.Tensor): SegDataSample => ({ metainfo: { ori_shape: [16, 16], img_shape: [16, 16] }, gt_sem_seg: { data: label } });

test("FCNHead parameter names and shapes equal MMSeg's (concat_input, 2 convs)", () => {
  const head = new FCNHead({ in_channels: 16, in_index: 3, channels: 8, num_convs: 2, concat_input: true, num_classes: 5, norm_cfg: bn });
  const shapes = Object.fromEntries([...head.stateDict()].map(([k, v]) => [k, v.shape]));
  assert.deepEqual(Object.keys(shapes), [
    'conv_seg.weight', 'conv_seg.bias',
    'convs.0.conv.weight', 'convs.0.bn.weight', 'convs.0.bn.bias', 'convs.0.bn.running_mean', 'convs.0.bn.running_var', 'convs.0.bn.num_batches_tracked',
    'convs.1.conv.weight', 'convs.1.bn.weight', 'convs.1.bn.bias', 'convs.1.bn.running_mean', 'convs.1.bn.running_var', 'convs.1.bn.num_batches_tracked',
    'conv_cat.conv.weight', 'conv_cat.bn.weight', 'conv_cat.bn.bias', 'conv_cat.bn.running_mean', 'conv_cat.bn.running_var', 'conv_cat.bn.num_batches_tracked',
  ]);
  assert.deepEqual(shapes['conv_seg.weight'], [5, 8, 1, 1]);
  assert.deepEqual(shapes['convs.0.conv.weight'], [8, 16, 3, 3]);
  assert.deepEqual(shapes['convs.1.conv.weight'], [8, 8, 3, 3]);
  assert.deepEqual(shapes['conv_cat.conv.weight'], [8, 24, 3, 3]);
  const aux = new FCNHead({ in_channels: 16, in_index: 2, channels: 4, num_convs: 1, concat_input: false, num_classes: 5, norm_cfg: bn, dropout_ratio: 0 });
  assert.deepEqual([...aux.stateDict().keys()].filter((k) => k.endsWith('weight')), ['conv_seg.weight', 'convs.0.conv.weight', 'convs.0.bn.weight']);
  assert.equal(aux.dropout, null);
  assert.ok(head.dropout instanceof torch.nn.Dropout2d);
});

test('FCNHead forward (eval) equals the same computation in PyTorch', () => {
  const head = new FCNHead({ in_channels: 6, channels: 4, num_convs: 2, concat_input: true, num_classes: 3, norm_cfg: bn, dilation: 2 });
  head.eval();
  torch.noGrad(() => {
    for (const [name, b] of head.namedBuffers()) if (name.endsWith('running_mean')) b.copy_(torch.randn(b.shape).mul(0.1));
    for (const [name, b] of head.namedBuffers()) if (name.endsWith('running_var')) b.copy_(torch.rand(b.shape).add(0.5));
  });
  const x = torch.randn([2, 6, 9, 7]);
  const y = head.forward([torch.randn([2, 3, 4, 4]), x]);
  const sd = Object.fromEntries([...head.stateDict()].map(([k, v]) => [k.replace(/\./g, '_'), v]));
  const ref = runPyTorch(`
import torch.nn.functional as F
def cbr(t, p, pad, dil):
    t = F.conv2d(t, inputs[p + '_conv_weight'], None, padding=pad, dilation=dil)
    t = F.batch_norm(t, inputs[p + '_bn_running_mean'], inputs[p + '_bn_running_var'], inputs[p + '_bn_weight'], inputs[p + '_bn_bias'], False)
    return F.relu(t)
f = cbr(cbr(x, 'convs_0', 2, 2), 'convs_1', 2, 2)
f = cbr(torch.cat([x, f], 1), 'conv_cat', 1, 1)
out['y'] = F.conv2d(f, conv_seg_weight, conv_seg_bias)
`, { x, ...sd });
  assertClose(y, ref.y!, { atol: 1e-5, rtol: 1e-4 });
});

test('FCNHead loss: loss_ce and acc_seg, forward and backward run; logits are resized to the label size', () => {
  const head = new FCNHead({ in_channels: 4, channels: 4, num_convs: 1, num_classes: 3, norm_cfg: bn });
  const feats = [torch.randn([2, 4, 4, 4], { requiresGrad: true })];
  const labels = [torch.randint(0, 3, [1, 16, 16]), torch.full([1, 16, 16], 255, { dtype: 'int64' })];
  const losses = head.loss(feats, labels.map(sample));
  assert.deepEqual(Object.keys(losses), ['loss_ce', 'acc_seg']);
  assert.ok(losses.loss_ce!.item() > 0);
  assert.ok(losses.acc_seg!.item() >= 0 && losses.acc_seg!.item() <= 100);
  losses.loss_ce!.backward();
  assert.ok(head.conv_seg.weight.grad!.abs().sum().item() > 0);
  assert.ok(feats[0]!.grad!.abs().sum().item() > 0);
  assert.throws(() => head.loss(feats, [{ metainfo: { ori_shape: [1, 1], img_shape: [1, 1] }, gt_sem_seg: { data: { data: new Uint8Array(1), shape: [1, 1, 1] } } }]), /run SegDataPreProcessor first/);
});

test('loss_decode as a list: values summed per loss_name, each name a key', () => {
  const head = new FCNHead({
    in_channels: 4, channels: 4, num_convs: 1, num_classes: 3,
    loss_decode: [{ type: 'CrossEntropyLoss', loss_weight: 1 }, { type: 'DiceLoss', loss_weight: 3 }, { type: 'CrossEntropyLoss', loss_weight: 0.5 }],
  });
  head.eval();
  const feats = [torch.randn([1, 4, 8, 8])];
  const label = torch.randint(0, 3, [1, 8, 8]);
  const losses = head.loss(feats, [sample(label)]);
  assert.deepEqual(Object.keys(losses), ['loss_ce', 'loss_dice', 'acc_seg']);
  const logits = head.forward(feats);
  const ce = torch.F.crossEntropy(logits, label.squeeze(0).unsqueeze(0), { ignoreIndex: 255 }).item();
  assert.ok(Math.abs(losses.loss_ce!.item() - 1.5 * ce) < 1e-5);
});

test('binary head: out_channels 1 with threshold, sigmoid cross entropy', () => {
  const head = new FCNHead({ in_channels: 4, channels: 4, num_convs: 1, num_classes: 2, out_channels: 1, threshold: 0.4, loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: true } });
  assert.deepEqual(head.conv_seg.weight.shape, [1, 4, 1, 1]);
  assert.equal(head.threshold, 0.4);
  const losses = head.loss([torch.randn([1, 4, 8, 8])], [sample(torch.randint(0, 2, [1, 8, 8]))]);
  assert.ok(Number.isFinite(losses.loss_ce!.item()));
  assert.throws(() => new FCNHead({ in_channels: 4, channels: 4, num_classes: 3, out_channels: 2 }), (e: unknown) => e instanceof ConfigError && /out_channels/.test(e.message));
  assert.equal(new FCNHead({ in_channels: 4, channels: 4, num_classes: 2, out_channels: 1 }).threshold, 0.3);
});

test("input_transform 'resize_concat' upsamples the selected maps to the first and concatenates them", () => {
  const head = new FCNHead({ in_channels: [2, 3], in_index: [0, 2], input_transform: 'resize_concat', channels: 4, num_convs: 1, concat_input: false, num_classes: 3 });
  assert.equal(head.inChannels, 5);
  const a = torch.randn([1, 2, 8, 8]);
  const c = torch.randn([1, 3, 4, 4]);
  const x = head.transformInputs([a, torch.randn([1, 7, 2, 2]), c]) as torch.Tensor;
  assert.deepEqual(x.shape, [1, 5, 8, 8]);
  assertClose(x.slice(1, 0, 2), a);
  assert.deepEqual(head.forward([a, torch.randn([1, 7, 2, 2]), c]).shape, [1, 3, 8, 8]);
  assert.throws(() => new FCNHead({ in_channels: [2, 3], in_index: 0, input_transform: 'resize_concat', channels: 4, num_classes: 3 }), /in_channels and in_index must be lists/);
});

test('predict resizes logits to pad_shape (else img_shape)', () => {
  const head = new FCNHead({ in_channels: 4, channels: 4, num_convs: 1, num_classes: 3 });
  head.eval();
  const feats = [torch.randn([1, 4, 5, 6])];
  assert.deepEqual(head.predict(feats, [{ ori_shape: [9, 9], img_shape: [20, 24] }]).shape, [1, 3, 20, 24]);
  assert.deepEqual(head.predict(feats, [{ ori_shape: [9, 9], img_shape: [20, 24], pad_shape: [32, 32] }]).shape, [1, 3, 32, 32]);
});

test('OHEM sampler in a head weights the hardest pixels; config errors name the key', () => {
  const head = new FCNHead({ in_channels: 4, channels: 4, num_convs: 1, num_classes: 3, sampler: { type: 'OHEMPixelSampler', min_kept: 10 } });
  assert.ok(head.sampler);
  const losses = head.loss([torch.randn([1, 4, 8, 8])], [sample(torch.randint(0, 3, [1, 8, 8]))]);
  assert.ok(losses.loss_ce!.item() > 0);
  assert.throws(() => MODELS.build({ type: 'FCNHead', in_channels: 4, channels: 4, num_classes: 3, sampler: { type: 'OHEMPixelSampler', min_kept: 1 } }, { keyPath: ['decode_head'] }),
    /decode_head\.sampler\.min_kept: must be greater than 1/);
  assert.throws(() => MODELS.build({ type: 'FCNHead', in_channels: 4, channels: 4, num_classes: 3, num_conv: 1 }, { keyPath: ['decode_head'] }), /decode_head: unknown key 'num_conv'/);
});

test('initWeights: conv_seg ~ N(0, 0.01) with zero bias (BaseDecodeHead init_cfg override)', () => {
  const head = new FCNHead({ in_channels: 8, channels: 256, num_convs: 1, num_classes: 150 });
  head.initWeights();
  const std = head.conv_seg.weight.std().item();
  assert.ok(Math.abs(std - 0.01) < 0.001, `std ${std}`);
  assert.ok(head.conv_seg.bias!.toArray().every((v) => v === 0));
  assert.ok(head.isInit);
});

test('dropout_ratio <= 0 (MMSeg HRNet configs write -1) builds no dropout; above 1 is a config error', () => {
  for (const dropout_ratio of [-1, 0]) {
    const head = new FCNHead({ in_channels: 4, channels: 4, num_classes: 3, dropout_ratio });
    assert.equal(head.dropout, null, `dropout_ratio ${dropout_ratio}`);
  }
  assert.ok(new FCNHead({ in_channels: 4, channels: 4, num_classes: 3, dropout_ratio: 0.1 }).dropout !== null);
  assert.throws(() => MODELS.build({ type: 'FCNHead', in_channels: 4, channels: 4, num_classes: 3, dropout_ratio: 1.5 }, { keyPath: ['model', 'decode_head'] }),
    /model\.decode_head\.dropout_ratio/);
});
