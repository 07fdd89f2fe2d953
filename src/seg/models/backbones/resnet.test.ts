// ResNet / ResNetV1c / ResNetV1d: MMSeg's parameter names, dilated-stage shapes, a forward equal to
// plain PyTorch, frozen_stages, norm_eval, init and config errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { ConfigError } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { saveCheckpointFile } from '../../../engine/runner/checkpoint-file.js';
import { BasicBlock, Bottleneck } from './resnet-blocks.js';
import { ResNet, ResNetV1c, ResNetV1d } from './resnet.js';

torch.manualSeed(0);
const nn = torch.nn;

/** fcn_r18-d8's backbone (fcn_r50-d8 base with depth 18). */
const R18_D8 = { depth: 18 as const, strides: [1, 2, 1, 1], dilations: [1, 1, 2, 4], contract_dilation: true, norm_cfg: { type: 'SyncBN' as const, requires_grad: true } };

const params = (m: torch.nn.Module): [string, number[]][] => m.namedParameters().map(([n, p]) => [n, p.shape]);
const numel = (m: torch.nn.Module): number => m.parameters().reduce((s, p) => s + p.numel, 0);

test('ResNetV1c-18 (fcn_r18-d8) has MMSeg parameter names, shapes and counts', () => {
  const m = new ResNetV1c(R18_D8);
  const ps = params(m);
  // Expected values derived from MMSeg's ResNet/ResLayer/BasicBlock code (deep stem = stem.0..8).
  assert.deepEqual(ps.slice(0, 7), [
    ['stem.0.weight', [32, 3, 3, 3]], ['stem.1.weight', [32]], ['stem.1.bias', [32]],
    ['stem.3.weight', [32, 32, 3, 3]], ['stem.4.weight', [32]], ['stem.4.bias', [32]], ['stem.6.weight', [64, 32, 3, 3]],
  ]);
  const byName = new Map(ps);
  assert.deepEqual(byName.get('layer1.0.conv1.weight'), [64, 64, 3, 3]);
  assert.deepEqual(byName.get('layer2.0.downsample.0.weight'), [128, 64, 1, 1]);
  assert.deepEqual(byName.get('layer2.0.downsample.1.weight'), [128]);
  assert.deepEqual(byName.get('layer3.0.downsample.0.weight'), [256, 128, 1, 1]);
  assert.deepEqual(ps.slice(-4), [
    ['layer4.1.bn1.bias', [512]], ['layer4.1.conv2.weight', [512, 512, 3, 3]], ['layer4.1.bn2.weight', [512]], ['layer4.1.bn2.bias', [512]],
  ]);
  assert.equal(ps.length, 66);
  assert.equal(numel(m), 11195744);
  const sd = m.stateDict();
  assert.equal(sd.size, 132);
  assert.ok(sd.has('layer1.0.bn1.running_mean') && sd.has('stem.1.num_batches_tracked'));
  assert.ok(m.getSubmodule('stem.1') instanceof nn.SyncBatchNorm);
  m.dispose();
});

test('ResNetV1c-50 (fcn_r50-d8) has MMSeg parameter names and counts', () => {
  const m = new ResNetV1c({ ...R18_D8, depth: 50 });
  const ps = params(m);
  assert.deepEqual(ps.slice(0, 3), [['stem.0.weight', [32, 3, 3, 3]], ['stem.1.weight', [32]], ['stem.1.bias', [32]]]);
  const byName = new Map(ps);
  assert.deepEqual(byName.get('layer1.0.conv3.weight'), [256, 64, 1, 1]);
  assert.deepEqual(byName.get('layer1.0.downsample.0.weight'), [256, 64, 1, 1]);
  assert.deepEqual(byName.get('layer3.5.conv2.weight'), [256, 256, 3, 3]);
  assert.deepEqual(ps.slice(-4), [
    ['layer4.2.bn2.bias', [512]], ['layer4.2.conv3.weight', [2048, 512, 1, 1]], ['layer4.2.bn3.weight', [2048]], ['layer4.2.bn3.bias', [2048]],
  ]);
  assert.equal(ps.length, 165);
  assert.equal(numel(m), 23527264);
  assert.equal(m.featDim, 2048);
  m.dispose();
});

test('ResNet (7x7 stem) is named conv1 / bn1; ResNetV1d puts an AvgPool before the downsample conv', () => {
  const r = new ResNet({ depth: 18, base_channels: 8, stem_channels: 8 });
  assert.deepEqual(params(r).slice(0, 3), [['conv1.weight', [8, 3, 7, 7]], ['bn1.weight', [8]], ['bn1.bias', [8]]]);
  const d = new ResNetV1d({ depth: 50, base_channels: 4, stem_channels: 8 });
  assert.ok(d.getSubmodule('layer2.0.downsample.0') instanceof nn.AvgPool2d);
  assert.deepEqual(d.getParameter('layer2.0.downsample.1.weight').shape, [32, 16, 1, 1]);
  assert.deepEqual(d.getParameter('layer2.0.downsample.2.weight').shape, [32]);
  assert.deepEqual(d.getSubmodule('layer2.0.downsample.1').extraRepr(), '16, 32, kernel_size=(1, 1), stride=(1, 1), bias=False');
});

test('dilated ResNetV1c-18 at 64x64 gives 1/4 and 1/8 resolution maps; contract_dilation halves the first dilation', () => {
  const m = new ResNetV1c({ ...R18_D8, norm_cfg: { type: 'BN' as const } });
  const outs = torch.tidy(() => torch.noGrad(() => m.forward(torch.randn([2, 3, 64, 64])).map((t) => t.shape)));
  assert.deepEqual(outs, [[2, 64, 16, 16], [2, 128, 8, 8], [2, 256, 8, 8], [2, 512, 8, 8]]);
  const conv = (name: string): torch.nn.Conv2d => m.getSubmodule(name) as torch.nn.Conv2d;
  assert.deepEqual([conv('layer3.0.conv1').dilation, conv('layer3.0.conv1').stride], [[1, 1], [1, 1]]);
  assert.deepEqual([conv('layer3.1.conv1').dilation, conv('layer3.1.conv1').padding], [[2, 2], [2, 2]]);
  assert.deepEqual(conv('layer4.0.conv1').dilation, [2, 2]);
  assert.deepEqual(conv('layer4.1.conv1').dilation, [4, 4]);
  assert.deepEqual(conv('layer4.1.conv2').dilation, [1, 1]); // BasicBlock dilates conv1 only, as MMSeg
  const picked = new ResNetV1c({ depth: 18, base_channels: 4, stem_channels: 8, out_indices: [1, 3] });
  assert.deepEqual(torch.tidy(() => torch.noGrad(() => picked.forward(torch.randn([1, 3, 64, 64])).map((t) => t.shape))), [[1, 8, 8, 8], [1, 32, 2, 2]]);
});

test('Bottleneck: pytorch style strides the 3x3 conv, caffe style the first 1x1; multi_grid sets the last stage dilations', () => {
  const norm = { type: 'BN' as const };
  const pt = new Bottleneck({ inplanes: 8, planes: 2, stride: 2, normCfg: norm });
  const cf = new Bottleneck({ inplanes: 8, planes: 2, stride: 2, style: 'caffe', normCfg: norm });
  assert.deepEqual([pt.conv1.stride, pt.conv2.stride], [[1, 1], [2, 2]]);
  assert.deepEqual([cf.conv1.stride, cf.conv2.stride], [[2, 2], [1, 1]]);
  const m = new ResNet({ depth: 50, base_channels: 2, stem_channels: 4, dilations: [1, 1, 2, 4], strides: [1, 2, 1, 1], multi_grid: [1, 2, 4] });
  const dil = [0, 1, 2].map((i) => (m.getSubmodule(`layer4.${i}.conv2`) as torch.nn.Conv2d).dilation[0]);
  assert.deepEqual(dil, [1, 2, 4]);
});

/** A plain-PyTorch ResNet BasicBlock with MMSeg's child names, loaded from segkit's state dict. */
const PY_BLOCK = `
import torch.nn as nn
class Block(nn.Module):
    def __init__(self, cin, planes, stride, dilation):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, dilation, dilation, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.downsample(x)
        return self.relu(out)
m = Block(6, 8, 2, 2)
m.load_state_dict({k[3:]: v for k, v in inputs.items() if k.startswith('sd_')}, strict=True)
m.eval()
out['eval'] = m(x)
m.train()
y = m(x)
out['train'] = y
y.sum().backward()
out['grad'] = m.conv1.weight.grad
out['running_mean'] = m.bn2.running_mean
`;

test('BasicBlock forward (eval and train), its conv1 gradient and BN statistics equal plain PyTorch with the same weights', () => {
  const block = new BasicBlock({
    inplanes: 6, planes: 8, stride: 2, dilation: 2, normCfg: { type: 'BN' },
    downsample: new nn.Sequential(new nn.Conv2d(6, 8, 1, { stride: 2, bias: false }), new nn.BatchNorm2d(8)),
  });
  // Non-trivial BN parameters and running statistics, so eval mode checks them too.
  torch.noGrad(() => {
    for (const [name, t] of block.namedParameters()) if (/bn|downsample\.1/.test(name)) t.copy_(torch.rand(t.shape).add(0.5));
    for (const [name, t] of block.namedBuffers()) {
      if (name.endsWith('running_mean')) t.copy_(torch.randn(t.shape).mul(0.1));
      if (name.endsWith('running_var')) t.copy_(torch.rand(t.shape).add(0.5));
    }
  });
  const x = torch.randn([2, 6, 9, 9]);
  const inputs: Record<string, torch.Tensor> = { x };
  for (const [k, v] of block.stateDict()) inputs[`sd_${k}`] = v;
  const ref = runPyTorch(PY_BLOCK, inputs);

  block.eval();
  const evalOut = torch.noGrad(() => block.forward(x));
  assertClose(evalOut, ref.eval!, { atol: 1e-5, rtol: 1e-4, name: 'eval output' });
  block.train();
  const y = block.forward(x);
  assertClose(y, ref.train!, { atol: 1e-5, rtol: 1e-4, name: 'train output' });
  y.sum().backward();
  assertClose(block.conv1.weight.grad!, ref.grad!, { atol: 1e-4, rtol: 1e-4, name: 'conv1 grad' });
  assertClose(block.getBuffer('bn2.running_mean'), ref.running_mean!, { atol: 1e-6, name: 'bn2 running_mean' });
});

const bns = (m: torch.nn.Module, prefix: string): torch.nn.BatchNormBase[] =>
  m.namedModules().filter(([n, b]) => n.startsWith(prefix) && b instanceof nn.BatchNormBase).map(([, b]) => b as torch.nn.BatchNormBase);

test('frozen_stages=1 freezes the stem and layer1 (no grads, BN in eval) across train(); later stages train', () => {
  const m = new ResNetV1c({ depth: 18, base_channels: 4, stem_channels: 8, frozen_stages: 1 });
  m.train();
  const grads = new Map(m.namedParameters().map(([n, p]) => [n, p.requiresGrad]));
  for (const [n, g] of grads) assert.equal(g, !(n.startsWith('stem.') || n.startsWith('layer1.')), n);
  assert.ok(bns(m, 'stem').every((b) => !b.training) && bns(m, 'layer1').every((b) => !b.training));
  assert.ok(bns(m, 'layer2').every((b) => b.training));
  const before = m.getBuffer('layer1.0.bn1.running_mean').toArray();
  const beforeL2 = m.getBuffer('layer2.0.bn1.running_mean').toArray();
  torch.tidy(() => {
    const outs = m.forward(torch.randn([2, 3, 32, 32]));
    outs.map((o) => o.sum()).reduce((a, b) => a.add(b)).backward();
  });
  assert.deepEqual(m.getBuffer('layer1.0.bn1.running_mean').toArray(), before);
  assert.notDeepEqual(m.getBuffer('layer2.0.bn1.running_mean').toArray(), beforeL2);
  assert.equal(m.getParameter('layer1.0.conv1.weight').grad, null);
  assert.ok(m.getParameter('layer4.1.conv2.weight').grad !== null, 'backward reaches the last stage');
  assert.ok(m.getParameter('stem.0.weight').grad === null);
});

test('ResNet (7x7 stem) frozen_stages=0 freezes conv1 and bn1 only', () => {
  const m = new ResNet({ depth: 18, base_channels: 4, stem_channels: 8, frozen_stages: 0 }).train();
  assert.deepEqual(m.namedParameters().filter(([, p]) => !p.requiresGrad).map(([n]) => n), ['conv1.weight', 'bn1.weight', 'bn1.bias']);
  assert.equal((m.getSubmodule('bn1') as torch.nn.BatchNormBase).training, false);
});

test('norm_eval keeps every BN in eval mode after train() (running stats fixed) while weights still train', () => {
  const m = new ResNetV1c({ depth: 18, base_channels: 4, stem_channels: 8, norm_eval: true });
  m.train();
  assert.equal(m.training, true);
  assert.ok(bns(m, '').every((b) => !b.training));
  const before = m.getBuffer('stem.1.running_mean').toArray();
  torch.tidy(() => m.forward(torch.randn([2, 3, 32, 32]))[3]!.sum().backward());
  assert.deepEqual(m.getBuffer('stem.1.running_mean').toArray(), before);
  assert.ok(m.getParameter('stem.1.weight').grad !== null);
  m.eval();
  m.train(true);
  assert.ok(bns(m, '').every((b) => !b.training));
});

test('initWeights: Kaiming fan_out convs, unit norms and zero_init_residual zeroes each block\'s last norm', () => {
  const m = new ResNetV1c({ depth: 18, base_channels: 16, stem_channels: 32 });
  m.initWeights();
  const w = m.getParameter('layer2.0.conv1.weight');
  const std = w.std().item();
  const expected = Math.sqrt(2 / (32 * 9)); // fan_out = out_channels * kh * kw
  assert.ok(Math.abs(std - expected) / expected < 0.1, `std ${std} vs ${expected}`);
  assert.ok(m.getParameter('stem.1.weight').toArray().every((v) => v === 1));
  assert.ok(m.getParameter('layer1.0.bn1.weight').toArray().every((v) => v === 1));
  for (const name of ['layer1.0.bn2', 'layer4.1.bn2']) {
    assert.ok(m.getParameter(`${name}.weight`).toArray().every((v) => v === 0), name);
    assert.ok(m.getParameter(`${name}.bias`).toArray().every((v) => v === 0), name);
  }
  const b = new ResNet({ depth: 50, base_channels: 2, stem_channels: 4 });
  b.initWeights();
  assert.ok(b.getParameter('layer1.0.bn3.weight').toArray().every((v) => v === 0));
  assert.ok(b.getParameter('layer1.0.bn2.weight').toArray().every((v) => v === 1));
  const noZero = new ResNetV1c({ depth: 18, base_channels: 4, stem_channels: 8, zero_init_residual: false });
  noZero.initWeights();
  assert.ok(noZero.getParameter('layer1.0.bn2.weight').toArray().every((v) => v === 1));
  // A user init_cfg replaces the default (and, as in MMSeg, the blocks' zero init).
  const custom = new ResNetV1c({ depth: 18, base_channels: 4, stem_channels: 8, init_cfg: { type: 'Constant', val: 0.5, layer: '_BatchNorm' } });
  custom.initWeights();
  assert.ok(custom.getParameter('layer1.0.bn2.weight').toArray().every((v) => v === 0.5));
});

test('init_cfg Pretrained with a prefix loads a segkit checkpoint (after, and instead of, the zero init)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-resnet-'));
  try {
    const source = new ResNetV1c({ depth: 18, base_channels: 4, stem_channels: 8 });
    const stateDict = new Map([...source.stateDict({ prefix: 'backbone.' })]);
    stateDict.set('decode_head.conv_seg.weight', torch.zeros([2, 4, 1, 1]));
    const file = join(dir, 'model.ckpt');
    saveCheckpointFile({ state_dict: stateDict, meta: {} }, file);
    const m = new ResNetV1c({ depth: 18, base_channels: 4, stem_channels: 8, init_cfg: { type: 'Pretrained', checkpoint: file, prefix: 'backbone.' } });
    m.initWeights();
    for (const [name, value] of source.stateDict()) assert.deepEqual(m.stateDict().get(name)!.toArray(), value.toArray(), name);
    const legacy = new ResNetV1c({ depth: 18, base_channels: 4, stem_channels: 8, pretrained: file });
    assert.deepEqual(legacy.initCfg, { type: 'Pretrained', checkpoint: file });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('builds from the registry; config errors name the key', () => {
  const m = MODELS.build({ type: 'ResNetV1c', depth: 18, base_channels: 4, stem_channels: 8 }, { keyPath: ['model', 'backbone'] });
  assert.ok(m instanceof ResNetV1c);
  assert.throws(() => MODELS.build({ type: 'ResNetV1c', depth: 18, strides: [1, 2] }, { keyPath: ['model', 'backbone'] }),
    (e: unknown) => e instanceof ConfigError && /^model\.backbone\.strides: expected 4 entries/.test(e.message));
  assert.throws(() => MODELS.build({ type: 'ResNet', depth: 20 }, { keyPath: ['backbone'] }), (e: unknown) => e instanceof ConfigError && /^backbone\.depth/.test(e.message));
  assert.throws(() => new ResNetV1c({ depth: 18, deep_stem: false } as never), (e: unknown) => e instanceof ConfigError && /deep_stem/.test(e.message));
  assert.throws(() => new ResNet({ depth: 18, dcn: { type: 'DCN' } } as never), (e: unknown) => e instanceof ConfigError && /^dcn/.test(e.message));
  assert.throws(() => new ResNet({ depth: 18, out_indices: [4] }), /out_indices: index 4 is out of range/);
});
