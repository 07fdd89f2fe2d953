// ConvModule and DepthwiseSeparableConvModule: MMCV's parameter names, bias='auto', order, init, and forward equal to PyTorch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { ConfigError } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { ConvModule, DepthwiseSeparableConvModule } from './index.js';

torch.manualSeed(3);
const names = (m: torch.nn.Module): string[] => [...m.stateDict().keys()];

test('ConvModule with BN: conv has no bias (auto), norm is named bn, state dict as MMCV', () => {
  const m = new ConvModule({ in_channels: 4, out_channels: 6, kernel_size: 3, padding: 1, norm_cfg: { type: 'BN' } });
  assert.deepEqual(names(m), ['conv.weight', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked']);
  assert.deepEqual(m.conv.weight.shape, [6, 4, 3, 3]);
  assert.equal(m.conv.bias, null);
  assert.equal(m.normName, 'bn');
});

test('ConvModule without norm keeps a conv bias; GN and SyncBN get MMCV names', () => {
  assert.deepEqual(names(new ConvModule({ in_channels: 2, out_channels: 3, kernel_size: 1 })), ['conv.weight', 'conv.bias']);
  const gn = new ConvModule({ in_channels: 4, out_channels: 8, kernel_size: 1, norm_cfg: { type: 'GN', num_groups: 2 } });
  assert.deepEqual(names(gn), ['conv.weight', 'gn.weight', 'gn.bias']);
  const sync = new ConvModule({ in_channels: 4, out_channels: 8, kernel_size: 1, norm_cfg: { type: 'SyncBN', requires_grad: true }, bias: true });
  assert.deepEqual(names(sync).slice(0, 3), ['conv.weight', 'conv.bias', 'bn.weight']);
  assert.ok(sync.norm instanceof torch.nn.SyncBatchNorm);
});

test("ConvModule order ['norm', 'conv', 'act'] normalises the input channels", () => {
  const m = new ConvModule({ in_channels: 5, out_channels: 7, kernel_size: 1, norm_cfg: { type: 'BN' }, order: ['norm', 'conv', 'act'] });
  assert.deepEqual(m.getParameter('bn.weight').shape, [5]);
  const y = m.forward(torch.randn([2, 5, 3, 3]));
  assert.deepEqual(y.shape, [2, 7, 3, 3]);
});

test('ConvModule init: BN weight 1 / bias 0, conv weight kaiming normal fan_out (std sqrt(2 / fan_out))', () => {
  const m = new ConvModule({ in_channels: 64, out_channels: 128, kernel_size: 3, norm_cfg: { type: 'BN' } });
  assert.ok(m.getParameter('bn.weight').toArray().every((v) => v === 1));
  assert.ok(m.getParameter('bn.bias').toArray().every((v) => v === 0));
  const std = m.conv.weight.std().item();
  const expected = Math.sqrt(2 / (128 * 9));
  assert.ok(Math.abs(std - expected) / expected < 0.03, `std ${std} vs ${expected}`);
  const plain = new ConvModule({ in_channels: 8, out_channels: 8, kernel_size: 1 });
  assert.ok(plain.conv.bias!.toArray().every((v) => v === 0));
});

test('ConvModule forward (conv dilation 2 + BN in training + ReLU) equals PyTorch, gradients too', () => {
  const m = new ConvModule({ in_channels: 3, out_channels: 4, kernel_size: 3, padding: 2, dilation: 2, norm_cfg: { type: 'BN' } });
  torch.noGrad(() => {
    m.getParameter('bn.weight').copy_(torch.rand([4]).add(0.5));
    m.getParameter('bn.bias').copy_(torch.randn([4]));
  });
  const x = torch.randn([2, 3, 7, 6]);
  const y = m.forward(x);
  y.square().sum().backward();
  const ref = runPyTorch(`
import torch.nn.functional as F
w = w.clone().requires_grad_(True)
conv = F.conv2d(x, w, None, padding=2, dilation=2)
rm = torch.zeros(4); rv = torch.ones(4)
bn = F.batch_norm(conv, rm, rv, g, b, training=True, momentum=0.1, eps=1e-5)
y = F.relu(bn)
(y ** 2).sum().backward()
out['y'] = y; out['gw'] = w.grad; out['rm'] = rm; out['rv'] = rv
`, { x, w: m.conv.weight.detach(), g: m.getParameter('bn.weight').detach(), b: m.getParameter('bn.bias').detach() });
  assertClose(y, ref.y!, { atol: 1e-5, rtol: 1e-4, name: 'y' });
  assertClose(m.conv.weight.grad!, ref.gw!, { atol: 1e-4, rtol: 1e-4, name: 'grad w' });
  assertClose(m.getBuffer('bn.running_mean'), ref.rm!, { atol: 1e-6, name: 'running_mean' });
  assertClose(m.getBuffer('bn.running_var'), ref.rv!, { atol: 1e-5, name: 'running_var' });
});

test('ConvModule with LeakyReLU and reflect padding equals PyTorch', () => {
  const m = new ConvModule({ in_channels: 2, out_channels: 3, kernel_size: 3, padding: 1, padding_mode: 'reflect', act_cfg: { type: 'LeakyReLU', negative_slope: 0.2 } });
  assert.deepEqual(names(m), ['conv.weight', 'conv.bias']);
  const x = torch.randn([1, 2, 5, 5]);
  const ref = runPyTorch(`
import torch.nn.functional as F
out['y'] = F.leaky_relu(F.conv2d(F.pad(x, (1, 1, 1, 1), mode='reflect'), w, b), 0.2)
`, { x, w: m.conv.weight.detach(), b: m.conv.bias!.detach() });
  assertClose(m.forward(x), ref.y!, { atol: 1e-5, name: 'y' });
});

test('ConvModule efficient_conv_bn_eval gives the eval-mode conv + BN output', () => {
  const opts = { in_channels: 3, out_channels: 4, kernel_size: 3, padding: 1, norm_cfg: { type: 'BN' } } as const;
  const a = new ConvModule(opts);
  const b = new ConvModule({ ...opts, efficient_conv_bn_eval: true });
  a.forward(torch.randn([4, 3, 6, 6]));
  b.loadStateDict(a.stateDict());
  a.eval();
  b.eval();
  const x = torch.randn([2, 3, 6, 6]);
  assertClose(b.forward(x), a.forward(x), { atol: 1e-5, rtol: 1e-4 });
});

test('ConvModule forward can skip the norm and the activation', () => {
  const m = new ConvModule({ in_channels: 2, out_channels: 2, kernel_size: 1, norm_cfg: { type: 'BN' } });
  const x = torch.randn([1, 2, 2, 2]);
  const convOnly = m.conv.forward(x);
  assertClose(m.forward(x, { norm: false, activate: false }), convOnly);
});

test('ConvModule config errors name the key', () => {
  assert.throws(() => new ConvModule({ in_channels: 2, out_channels: 2, kernel_size: 1, norm_cfg: { type: 'BNN' } as never }), (e: unknown) =>
    e instanceof ConfigError && e.message.startsWith('norm_cfg.type:'));
  assert.throws(() => new ConvModule({ in_channels: 2, out_channels: 2, kernel_size: 1, act_cfg: { type: 'ReLU', slope: 1 } as never }), /act_cfg: unknown key 'slope'/);
  assert.throws(() => MODELS.build({ type: 'ConvModule', in_channels: 2, out_channels: 2 }, { keyPath: ['neck', 'conv'] }), /neck\.conv\.kernel_size/);
});

test('DepthwiseSeparableConvModule: depthwise (groups = in) then pointwise, names as MMCV', () => {
  const m = new DepthwiseSeparableConvModule({ in_channels: 4, out_channels: 6, kernel_size: 3, padding: 1, norm_cfg: { type: 'BN' }, dw_act_cfg: null });
  assert.deepEqual(names(m).filter((n) => !n.includes('running') && !n.includes('batches')), [
    'depthwise_conv.conv.weight', 'depthwise_conv.bn.weight', 'depthwise_conv.bn.bias',
    'pointwise_conv.conv.weight', 'pointwise_conv.bn.weight', 'pointwise_conv.bn.bias',
  ]);
  assert.deepEqual(m.depthwise_conv.conv.weight.shape, [4, 1, 3, 3]);
  assert.equal(m.depthwise_conv.activate, null);
  assert.ok(m.pointwise_conv.activate instanceof torch.nn.ReLU);
  assert.deepEqual(m.forward(torch.randn([1, 4, 5, 5])).shape, [1, 6, 5, 5]);
});
