// ASPPHead and DepthwiseSeparableASPPHead: MMSeg's parameter names and counts (deeplabv3 / deeplabv3plus
// r50-d8 heads), a forward equal to plain PyTorch, output resolutions, c1 off, backward and errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { ConfigError } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import '../losses/index.js';
import { DepthwiseSeparableConvModule } from '../utils/index.js';
import { ASPPHead } from './aspp-head.js';
import { DepthwiseSeparableASPPHead } from './sep-aspp-head.js';

torch.manualSeed(6);
const SYNC_BN = { type: 'SyncBN', requires_grad: true };
const shapes = (m: torch.nn.Module): [string, number[]][] => m.namedParameters().map(([n, p]) => [n, p.shape]);
const numel = (m: torch.nn.Module): number => m.parameters().reduce((s, p) => s + p.numel, 0);

test('ASPPHead (deeplabv3_r50-d8 settings) has MMSeg parameter names and counts', () => {
  const head = MODELS.build<ASPPHead>({ type: 'ASPPHead', in_channels: 2048, in_index: 3, channels: 512, dilations: [1, 12, 24, 36], dropout_ratio: 0.1, num_classes: 19, norm_cfg: SYNC_BN, align_corners: false });
  const ps = shapes(head);
  // Derived from MMSeg's ASPPHead / ASPPModule code.
  assert.deepEqual(ps.slice(0, 6), [
    ['conv_seg.weight', [19, 512, 1, 1]], ['conv_seg.bias', [19]], ['image_pool.1.conv.weight', [512, 2048, 1, 1]],
    ['image_pool.1.bn.weight', [512]], ['image_pool.1.bn.bias', [512]], ['aspp_modules.0.conv.weight', [512, 2048, 1, 1]],
  ]);
  assert.deepEqual(new Map(ps).get('aspp_modules.1.conv.weight'), [512, 2048, 3, 3]);
  assert.deepEqual(ps.slice(-4), [['aspp_modules.3.bn.bias', [512]], ['bottleneck.conv.weight', [512, 2560, 3, 3]], ['bottleneck.bn.weight', [512]], ['bottleneck.bn.bias', [512]]]);
  assert.equal(ps.length, 20);
  assert.equal(numel(head), 42221075);
  const conv = head.getSubmodule('aspp_modules.3.conv') as torch.nn.Conv2d;
  assert.deepEqual([conv.dilation, conv.padding], [[36, 36], [36, 36]]);
  head.dispose();
});

test('DepthwiseSeparableASPPHead (deeplabv3plus_r50-d8 settings) has MMSeg parameter names and counts', () => {
  const head = MODELS.build<DepthwiseSeparableASPPHead>({
    type: 'DepthwiseSeparableASPPHead', in_channels: 2048, in_index: 3, channels: 512, dilations: [1, 12, 24, 36],
    c1_in_channels: 256, c1_channels: 48, dropout_ratio: 0.1, num_classes: 19, norm_cfg: SYNC_BN, align_corners: false,
  });
  const ps = shapes(head);
  // Derived from MMSeg's DepthwiseSeparableASPPHead and MMCV's DepthwiseSeparableConvModule.
  assert.deepEqual(ps.slice(0, 9), [
    ['conv_seg.weight', [19, 512, 1, 1]], ['conv_seg.bias', [19]], ['image_pool.1.conv.weight', [512, 2048, 1, 1]],
    ['image_pool.1.bn.weight', [512]], ['image_pool.1.bn.bias', [512]], ['aspp_modules.0.conv.weight', [512, 2048, 1, 1]],
    ['aspp_modules.0.bn.weight', [512]], ['aspp_modules.0.bn.bias', [512]], ['aspp_modules.1.depthwise_conv.conv.weight', [2048, 1, 3, 3]],
  ]);
  const byName = new Map(ps);
  assert.deepEqual(byName.get('aspp_modules.3.pointwise_conv.conv.weight'), [512, 2048, 1, 1]);
  assert.deepEqual(byName.get('bottleneck.conv.weight'), [512, 2560, 3, 3]);
  assert.deepEqual(byName.get('c1_bottleneck.conv.weight'), [48, 256, 1, 1]);
  assert.deepEqual(byName.get('sep_bottleneck.0.depthwise_conv.conv.weight'), [560, 1, 3, 3]);
  assert.deepEqual(ps.slice(-6), [
    ['sep_bottleneck.1.depthwise_conv.conv.weight', [512, 1, 3, 3]], ['sep_bottleneck.1.depthwise_conv.bn.weight', [512]],
    ['sep_bottleneck.1.depthwise_conv.bn.bias', [512]], ['sep_bottleneck.1.pointwise_conv.conv.weight', [512, 512, 1, 1]],
    ['sep_bottleneck.1.pointwise_conv.bn.weight', [512]], ['sep_bottleneck.1.pointwise_conv.bn.bias', [512]],
  ]);
  assert.equal(ps.length, 44);
  assert.equal(numel(head), 17697923);
  assert.ok(head.getSubmodule('aspp_modules.2') instanceof DepthwiseSeparableConvModule);
  head.dispose();
});

/** MMSeg's DepthwiseSeparableASPPHead in plain PyTorch, same child names. */
const PY_SEP_ASPP = `
import torch.nn as nn, torch.nn.functional as F
class CM(nn.Module):
    def __init__(s, i, o, k, p=0, d=1, g=1):
        super().__init__(); s.conv = nn.Conv2d(i, o, k, padding=p, dilation=d, groups=g, bias=False); s.bn = nn.BatchNorm2d(o)
    def forward(s, x): return F.relu(s.bn(s.conv(x)))
class DS(nn.Module):
    def __init__(s, i, o, p, d=1):
        super().__init__(); s.depthwise_conv = CM(i, i, 3, p, d, i); s.pointwise_conv = CM(i, o, 1)
    def forward(s, x): return s.pointwise_conv(s.depthwise_conv(x))
class Head(nn.Module):
    def __init__(s, cin, ch, nc, dil, c1in, c1ch):
        super().__init__()
        s.conv_seg = nn.Conv2d(ch, nc, 1)
        s.image_pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), CM(cin, ch, 1))
        s.aspp_modules = nn.ModuleList([CM(cin, ch, 1) if d == 1 else DS(cin, ch, d, d) for d in dil])
        s.bottleneck = CM((len(dil) + 1) * ch, ch, 3, 1)
        s.c1_bottleneck = CM(c1in, c1ch, 1)
        s.sep_bottleneck = nn.Sequential(DS(ch + c1ch, ch, 1), DS(ch, ch, 1))
    def forward(s, xs):
        x = xs[-1]
        outs = [F.interpolate(s.image_pool(x), size=x.shape[2:], mode='bilinear', align_corners=False)] + [m(x) for m in s.aspp_modules]
        o = s.bottleneck(torch.cat(outs, 1))
        c1 = s.c1_bottleneck(xs[0])
        o = torch.cat([F.interpolate(o, size=c1.shape[2:], mode='bilinear', align_corners=False), c1], 1)
        return s.conv_seg(s.sep_bottleneck(o))
m = Head(12, 8, 4, (1, 2, 3), 6, 5)
m.load_state_dict({k[3:]: v for k, v in inputs.items() if k.startswith('sd_')}, strict=True)
m.eval()
out['logits'] = m([x0, x1])
`;

const smallSep = (c1In = 6): DepthwiseSeparableASPPHead => new DepthwiseSeparableASPPHead({
  in_channels: 12, in_index: 1, channels: 8, dilations: [1, 2, 3], c1_in_channels: c1In, c1_channels: c1In ? 5 : 0, num_classes: 4, norm_cfg: { type: 'BN' },
});

test('DepthwiseSeparableASPPHead forward (eval) equals plain PyTorch; logits come at the c1 resolution', () => {
  const head = smallSep();
  torch.noGrad(() => {
    for (const [name, t] of head.namedBuffers()) {
      if (name.endsWith('running_mean')) t.copy_(torch.randn(t.shape).mul(0.1));
      if (name.endsWith('running_var')) t.copy_(torch.rand(t.shape).add(0.5));
    }
  });
  const x0 = torch.randn([2, 6, 13, 13]);
  const x1 = torch.randn([2, 12, 7, 7]);
  const inputs: Record<string, torch.Tensor> = { x0, x1 };
  for (const [k, v] of head.stateDict()) inputs[`sd_${k}`] = v;
  const ref = runPyTorch(PY_SEP_ASPP, inputs);
  head.eval();
  const logits = torch.noGrad(() => head.forward([x0, x1]));
  assert.deepEqual(logits.shape, [2, 4, 13, 13]);
  assertClose(logits, ref.logits!, { atol: 1e-5, rtol: 1e-4, name: 'DeepLabV3+ head logits' });
});

test('ASPPHead keeps the feature resolution; c1_in_channels 0 drops c1_bottleneck; a backward reaches the ASPP branches', () => {
  const aspp = new ASPPHead({ in_channels: 6, channels: 4, dilations: [1, 2], num_classes: 3, norm_cfg: { type: 'BN' } });
  const y = torch.tidy(() => {
    const out = aspp.forward([torch.randn([2, 6, 9, 11])]);
    out.sum().backward();
    return out.shape;
  });
  assert.deepEqual(y, [2, 3, 9, 11]);
  assert.ok(aspp.getParameter('aspp_modules.1.conv.weight').grad !== null);
  assert.ok(aspp.getParameter('image_pool.1.conv.weight').grad !== null);
  const noC1 = smallSep(0);
  assert.equal(noC1.c1_bottleneck, null);
  assert.ok(!noC1.namedParameters().some(([n]) => n.startsWith('c1_bottleneck')));
  assert.deepEqual(noC1.getParameter('sep_bottleneck.0.depthwise_conv.conv.weight').shape, [8, 1, 3, 3]);
  const out = torch.tidy(() => noC1.forward([torch.randn([2, 6, 13, 13]), torch.randn([2, 12, 7, 7])]).shape);
  assert.deepEqual(out, [2, 4, 7, 7]);
});

test('config errors name the key', () => {
  assert.throws(() => MODELS.build({ type: 'DepthwiseSeparableASPPHead', in_channels: 8, channels: 4, num_classes: 2, c1_channels: 4 }, { keyPath: ['model', 'decode_head'] }),
    (e: unknown) => e instanceof ConfigError && /^model\.decode_head\.c1_in_channels: expected number/.test(e.message));
  assert.throws(() => new ASPPHead({ in_channels: 8, channels: 4, num_classes: 2, dilations: [1, 0] }), (e: unknown) => e instanceof ConfigError && /^dilations\.1/.test(e.message));
});
