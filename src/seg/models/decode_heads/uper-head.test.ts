// UPerHead and PSPHead: parameter names/shapes equal MMSeg's (the ConvNeXt-base UPerNet reference),
// a forward equal to plain PyTorch, a loss + backward, and config errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { ConfigError } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import '../losses/index.js';
import { UPerHead } from './uper-head.js';
import { PSPHead } from './psp-head.js';
import type { SegDataSample } from '../../structures/seg-data-sample.js';

torch.manualSeed(5);
const REFERENCE = '/work/shared/reference/2c_i_convnext_stage_wise.json';

test('UPerHead built with upernet_convnext\'s head settings has exactly the reference decode_head parameters', () => {
  const ref = (JSON.parse(readFileSync(REFERENCE, 'utf8')) as { params: { name: string; shape: number[]; group_index: number }[] }).params
    .filter((r) => r.name.startsWith('decode_head.'));
  assert.equal(ref.length, 38);
  const head = MODELS.build<UPerHead>({
    type: 'UPerHead', in_channels: [128, 256, 512, 1024], in_index: [0, 1, 2, 3], pool_scales: [1, 2, 3, 6], channels: 512,
    dropout_ratio: 0.1, num_classes: 150, norm_cfg: { type: 'SyncBN', requires_grad: true }, align_corners: false,
    loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 1.0 },
  });
  const ours = head.namedParameters().map(([n, p]) => [`decode_head.${n}`, p.shape] as const);
  assert.deepEqual(new Map(ours), new Map(ref.map((r) => [r.name, r.shape])));
  // Within each reference optimizer group the names appear in named_parameters() order: ours must agree.
  for (const group of new Set(ref.map((r) => r.group_index))) {
    const refOrder = ref.filter((r) => r.group_index === group).map((r) => r.name);
    assert.deepEqual(ours.map(([n]) => n).filter((n) => refOrder.includes(n)), refOrder);
  }
  assert.ok(head.getSubmodule('psp_modules.0.1.bn') instanceof torch.nn.SyncBatchNorm);
  assert.deepEqual((head.getSubmodule('psp_modules.2.0') as torch.nn.AdaptiveAvgPool2d).outputSize, 3);
  head.dispose();
});

/** MMSeg's UPerHead in plain PyTorch with the same child names (ConvModule = conv + bn + relu). */
const PY_UPER = `
import torch.nn as nn, torch.nn.functional as F
class CM(nn.Module):
    def __init__(s, i, o, k, p=0):
        super().__init__(); s.conv = nn.Conv2d(i, o, k, padding=p, bias=False); s.bn = nn.BatchNorm2d(o)
    def forward(s, x): return F.relu(s.bn(s.conv(x)))
class Uper(nn.Module):
    def __init__(s, ins, ch, nc, scales):
        super().__init__()
        s.conv_seg = nn.Conv2d(ch, nc, 1)
        s.psp_modules = nn.ModuleList([nn.Sequential(nn.AdaptiveAvgPool2d(p), CM(ins[-1], ch, 1)) for p in scales])
        s.bottleneck = CM(ins[-1] + len(scales) * ch, ch, 3, 1)
        s.lateral_convs = nn.ModuleList([CM(c, ch, 1) for c in ins[:-1]])
        s.fpn_convs = nn.ModuleList([CM(ch, ch, 3, 1) for c in ins[:-1]])
        s.fpn_bottleneck = CM(len(ins) * ch, ch, 3, 1)
    def forward(s, xs):
        up = lambda t, size: F.interpolate(t, size=size, mode='bilinear', align_corners=False)
        top = xs[-1]
        lat = [c(xs[i]) for i, c in enumerate(s.lateral_convs)]
        lat.append(s.bottleneck(torch.cat([top] + [up(m(top), top.shape[2:]) for m in s.psp_modules], 1)))
        for i in range(len(lat) - 1, 0, -1): lat[i - 1] = lat[i - 1] + up(lat[i], lat[i - 1].shape[2:])
        outs = [s.fpn_convs[i](lat[i]) for i in range(len(lat) - 1)] + [lat[-1]]
        outs = [outs[0]] + [up(o, outs[0].shape[2:]) for o in outs[1:]]
        return s.conv_seg(s.fpn_bottleneck(torch.cat(outs, 1)))
m = Uper([4, 6, 8, 10], 8, 5, (1, 2, 3, 6))
m.load_state_dict({k[3:]: v for k, v in inputs.items() if k.startswith('sd_')}, strict=True)
m.eval()
out['logits'] = m([x0, x1, x2, x3])
`;

const smallUper = (): UPerHead => new UPerHead({ in_channels: [4, 6, 8, 10], in_index: [0, 1, 2, 3], channels: 8, num_classes: 5, norm_cfg: { type: 'BN' } });
const feats = (n = 1): torch.Tensor[] => [[4, 20], [6, 10], [8, 5], [10, 3]].map(([c, s]) => torch.randn([n, c!, s!, s!]));

test('UPerHead forward (eval) equals the same head in plain PyTorch loaded with its weights', () => {
  const head = smallUper();
  torch.noGrad(() => {
    for (const [name, t] of head.namedBuffers()) {
      if (name.endsWith('running_mean')) t.copy_(torch.randn(t.shape).mul(0.1));
      if (name.endsWith('running_var')) t.copy_(torch.rand(t.shape).add(0.5));
    }
  });
  const xs = feats();
  const inputs: Record<string, torch.Tensor> = { x0: xs[0]!, x1: xs[1]!, x2: xs[2]!, x3: xs[3]! };
  for (const [k, v] of head.stateDict()) inputs[`sd_${k}`] = v;
  const ref = runPyTorch(PY_UPER, inputs);
  head.eval();
  const logits = torch.noGrad(() => head.forward(xs));
  assert.deepEqual(logits.shape, [1, 5, 20, 20]);
  assertClose(logits, ref.logits!, { atol: 1e-5, rtol: 1e-4, name: 'UPerHead logits' });
});

test('UPerHead loss gives loss_ce and acc_seg, and a backward reaches every branch', () => {
  const head = smallUper().train();
  const label = torch.randint(0, 5, [1, 40, 40], { dtype: 'int64' });
  const samples = [0, 1].map(() => ({ metainfo: { img_shape: [40, 40], ori_shape: [40, 40] }, gt_sem_seg: { data: label } }) as unknown as SegDataSample);
  const names = torch.tidy(() => {
    const losses = head.loss(feats(2), samples);
    losses.loss_ce!.backward();
    return Object.keys(losses);
  });
  assert.deepEqual(names.sort(), ['acc_seg', 'loss_ce']);
  for (const p of ['conv_seg.weight', 'psp_modules.3.1.conv.weight', 'lateral_convs.0.conv.weight', 'fpn_convs.2.bn.weight', 'fpn_bottleneck.conv.weight']) {
    assert.ok(head.getParameter(p).grad !== null, p);
  }
});

test('PSPHead (pspnet_r50-d8 settings) has MMSeg names and counts; output stays at feature resolution', () => {
  const head = new PSPHead({ in_channels: 2048, in_index: 3, channels: 512, pool_scales: [1, 2, 3, 6], dropout_ratio: 0.1, num_classes: 19, norm_cfg: { type: 'SyncBN', requires_grad: true }, align_corners: false });
  const ps = head.namedParameters().map(([n, p]) => [n, p.shape]);
  // Derived from MMSeg's PSPHead / PPM code.
  assert.deepEqual(ps.slice(0, 4), [['conv_seg.weight', [19, 512, 1, 1]], ['conv_seg.bias', [19]], ['psp_modules.0.1.conv.weight', [512, 2048, 1, 1]], ['psp_modules.0.1.bn.weight', [512]]]);
  assert.deepEqual(ps.slice(-3), [['bottleneck.conv.weight', [512, 4096, 3, 3]], ['bottleneck.bn.weight', [512]], ['bottleneck.bn.bias', [512]]]);
  assert.equal(ps.length, 17);
  assert.equal(head.parameters().reduce((s, p) => s + p.numel, 0), 23083539);
  head.dispose();
  const small = new PSPHead({ in_channels: 6, in_index: -1, channels: 4, num_classes: 3, norm_cfg: { type: 'BN' } }).eval();
  const out = torch.tidy(() => torch.noGrad(() => small.forward([torch.randn([2, 2, 9, 9]), torch.randn([2, 6, 7, 7])]).shape));
  assert.deepEqual(out, [2, 3, 7, 7]);
});

test('config errors name the key', () => {
  assert.throws(() => MODELS.build({ type: 'UPerHead', in_channels: [4, 8], in_index: [0, 1], channels: 4, num_classes: 2, input_transform: 'resize_concat' }, { keyPath: ['model', 'decode_head'] }),
    (e: unknown) => e instanceof ConfigError && /^model\.decode_head: unknown key 'input_transform'/.test(e.message));
  assert.throws(() => new UPerHead({ in_channels: 8, channels: 4, num_classes: 2 }), (e: unknown) => e instanceof ConfigError && /^in_channels: UPerHead takes one channel count per input level/.test(e.message));
  assert.throws(() => new UPerHead({ in_channels: [4, 8], in_index: [0, 1], channels: 4, num_classes: 2, pool_scales: [] }), (e: unknown) => e instanceof ConfigError && /^pool_scales/.test(e.message));
});
