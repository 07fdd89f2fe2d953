// Norm/activation builders, resize, makeDivisible, shape conversion, PatchEmbed and InvertedResidual against MMCV/MMSeg behaviour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import * as F from '../../../torch/functional/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import {
  buildActivationLayer, buildConvLayer, buildNormLayer, InvertedResidual, makeDivisible, nchwToNlc, nlcToNchw, PatchEmbed, resize,
} from './index.js';

torch.manualSeed(5);

test('buildNormLayer names layers by abbreviation and postfix; requires_grad false freezes', () => {
  const [bn, bnLayer] = buildNormLayer({ type: 'BN', requires_grad: false }, 8, 1);
  assert.equal(bn, 'bn1');
  assert.ok(bnLayer.parameters().every((p) => !p.requiresGrad));
  assert.equal(buildNormLayer({ type: 'SyncBN' }, 4)[0], 'bn');
  assert.equal(buildNormLayer({ type: 'GN', num_groups: 2 }, 4)[0], 'gn');
  assert.equal(buildNormLayer({ type: 'IN' }, 4)[0], 'in');
  const [ln, lnLayer] = buildNormLayer({ type: 'LN', eps: 1e-6 }, 16, '_pre');
  assert.equal(ln, 'ln_pre');
  assert.equal((lnLayer as torch.nn.LayerNorm).eps, 1e-6);
  assert.throws(() => buildNormLayer({ type: 'GN' }, 4), /norm_cfg\.num_groups: is required for GN/);
  assert.throws(() => buildNormLayer({ type: 'LN', momentum: 0.1 }, 4), /norm_cfg\.momentum: is not an argument of LN/);
});

test('buildActivationLayer builds MMCV types and validates their arguments', () => {
  const x = torch.tensor([-4, -1, 0, 1, 4]);
  assert.deepEqual(buildActivationLayer({ type: 'LeakyReLU', negative_slope: 0.5 }).forward(x).toArray(), [-2, -0.5, 0, 1, 4]);
  assert.deepEqual(buildActivationLayer({ type: 'HSigmoid' }).forward(x).toArray().map((v: number) => +v.toFixed(6)), [0, 0.333333, 0.5, 0.666667, 1]);
  assert.deepEqual(buildActivationLayer({ type: 'ReLU6' }).forward(torch.tensor([-1, 7])).toArray(), [0, 6]);
  assert.ok(buildActivationLayer({ type: 'GELU' }) instanceof torch.nn.GELU);
  assert.throws(() => buildActivationLayer({ type: 'Relu' as never }), /act_cfg\.type: expected/);
  assert.throws(() => buildActivationLayer({ type: 'GELU', inplace: true }), /act_cfg: unknown key 'inplace'/);
});

test("buildConvLayer: null and 'Conv' make nn.Conv2d; other types are refused", () => {
  const c = buildConvLayer(null, 3, 5, 3, { stride: 2, padding: 1, bias: false });
  assert.deepEqual(c.weight.shape, [5, 3, 3, 3]);
  assert.equal(c.bias, null);
  assert.ok(buildConvLayer({ type: 'Conv' }, 1, 1, 1) instanceof torch.nn.Conv2d);
  assert.throws(() => buildConvLayer({ type: 'DCN' } as never, 1, 1, 1), /conv_cfg\.type/);
});

test('resize equals F.interpolate and warns (once) on badly aligned align_corners sizes', () => {
  const x = torch.randn([1, 2, 4, 5]);
  const warnings: string[] = [];
  const onWarning = (w: Error): void => { warnings.push(w.message); };
  process.on('warning', onWarning);
  const y = resize(x, { size: [9, 11], mode: 'bilinear', alignCorners: true });
  resize(x, { size: [9, 11], mode: 'bilinear', alignCorners: true });
  resize(x, { size: [7, 9], mode: 'bilinear', alignCorners: true });
  resize(x, { size: [8, 10], mode: 'bilinear', alignCorners: false });
  return new Promise<void>((done) => setImmediate(() => {
    process.off('warning', onWarning);
    assertClose(y, F.interpolate(x, { size: [9, 11], mode: 'bilinear', alignCorners: true }));
    // (9-1) % (4-1) and (11-1) % (5-1) are non-zero: warned once; 7x9 is aligned (6 % 3 = 0, 8 % 4 = 0).
    assert.equal(warnings.filter((w) => w.includes('align_corners')).length, 1);
    assert.match(warnings[0]!, /input size \(4, 5\) is `x\+1` and out size \(9, 11\)/);
    done();
  }));
});

test('makeDivisible as MMSeg (MobileNetV2 widths)', () => {
  assert.equal(makeDivisible(32, 8), 32);
  assert.equal(makeDivisible(18, 8), 24); // 16 would lose more than 10%
  assert.equal(makeDivisible(37, 8), 40);
  assert.equal(makeDivisible(3, 8), 8);
  assert.equal(makeDivisible(100, 16, 64), 96);
});

test('nlcToNchw and nchwToNlc are inverse and match PyTorch layout', () => {
  const x = torch.arange(0, 24).float().reshape(1, 2, 3, 4);
  const seq = nchwToNlc(x);
  assert.deepEqual(seq.shape, [1, 12, 2]);
  assert.deepEqual(seq.select(1, 5).toArray(), [5, 17]);
  assert.deepEqual(nlcToNchw(seq, [3, 4]).toArray(), x.toArray());
  assert.throws(() => nlcToNchw(seq, [3, 3]), /sequence length 12 does not match H x W = 3 x 3/);
});

test("PatchEmbed: 'corner' adaptive padding, projection + LN, tokens equal PyTorch", () => {
  const pe = new PatchEmbed({ in_channels: 3, embed_dims: 8, kernel_size: 4, norm_cfg: { type: 'LN' }, input_size: [15, 17] });
  assert.deepEqual([...pe.stateDict().keys()], ['projection.weight', 'projection.bias', 'norm.weight', 'norm.bias']);
  assert.deepEqual(pe.initOutSize, [4, 5]);
  const x = torch.randn([2, 3, 15, 17]);
  const [tokens, hw] = pe.forward(x);
  assert.deepEqual(hw, [4, 5]);
  const ref = runPyTorch(`
import torch.nn.functional as F
y = F.conv2d(F.pad(x, (0, 3, 0, 1)), w, b, stride=4)
out['t'] = F.layer_norm(y.flatten(2).transpose(1, 2), (8,))
`, { x, w: pe.projection.weight.detach(), b: pe.projection.bias!.detach() });
  assertClose(tokens, ref.t!, { atol: 1e-5, rtol: 1e-4 });
  const mit = new PatchEmbed({ in_channels: 3, embed_dims: 4, kernel_size: 7, stride: 4, padding: 3 });
  assert.equal(mit.adaptivePadding, null);
  assert.deepEqual(mit.forward(torch.randn([1, 3, 16, 16]))[1], [4, 4]);
});

test('InvertedResidual: MMSeg names, residual only with stride 1 and equal channels', () => {
  const block = new InvertedResidual({ in_channels: 8, out_channels: 8, stride: 1, expand_ratio: 6 });
  const keys = [...block.stateDict().keys()].filter((k) => k.endsWith('weight'));
  assert.deepEqual(keys, ['conv.0.conv.weight', 'conv.0.bn.weight', 'conv.1.conv.weight', 'conv.1.bn.weight', 'conv.2.conv.weight', 'conv.2.bn.weight']);
  assert.deepEqual(block.getParameter('conv.1.conv.weight').shape, [48, 1, 3, 3]);
  assert.ok(block.useResConnect);
  assert.ok(block.conv.at(0).getSubmodule('activate') instanceof torch.nn.ReLU6);
  const noExpand = new InvertedResidual({ in_channels: 32, out_channels: 16, stride: 1, expand_ratio: 1 });
  assert.deepEqual(noExpand.getParameter('conv.0.conv.weight').shape, [32, 1, 3, 3]);
  assert.equal(noExpand.useResConnect, false);
  const x = torch.randn([1, 8, 6, 6]);
  block.eval();
  const y = block.forward(x);
  assertClose(y.sub(block.conv.forward(x) as torch.Tensor), x, { atol: 1e-6 });
});
