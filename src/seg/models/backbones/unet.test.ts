// UNet: MMSeg's parameter names for UNet-S5-D16, output shapes, a forward equal to plain PyTorch,
// strided / deconv variants, norm_eval and config errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { ConfigError } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { UNet } from './unet.js';

torch.manualSeed(1);
const nn = torch.nn;
const params = (m: torch.nn.Module): [string, number[]][] => m.namedParameters().map(([n, p]) => [n, p.shape]);

/** unet-s5-d16_fcn's backbone settings (all MMSeg defaults, norm SyncBN). */
const S5_D16 = {
  in_channels: 3, base_channels: 64, num_stages: 5, strides: [1, 1, 1, 1, 1] as (1 | 2)[], enc_num_convs: [2, 2, 2, 2, 2],
  dec_num_convs: [2, 2, 2, 2], downsamples: [true, true, true, true], enc_dilations: [1, 1, 1, 1, 1], dec_dilations: [1, 1, 1, 1],
  with_cp: false, conv_cfg: null, norm_cfg: { type: 'SyncBN', requires_grad: true }, act_cfg: { type: 'ReLU' },
  upsample_cfg: { type: 'InterpConv' }, norm_eval: false,
};

test('UNet-S5-D16 has MMSeg parameter names, shapes and counts', () => {
  const m = new UNet(S5_D16);
  const ps = params(m);
  // Derived from MMSeg's UNet / BasicConvBlock / UpConvBlock / InterpConv code.
  assert.deepEqual(ps.slice(0, 4), [
    ['encoder.0.0.convs.0.conv.weight', [64, 3, 3, 3]], ['encoder.0.0.convs.0.bn.weight', [64]],
    ['encoder.0.0.convs.0.bn.bias', [64]], ['encoder.0.0.convs.1.conv.weight', [64, 64, 3, 3]],
  ]);
  const byName = new Map(ps);
  assert.deepEqual(byName.get('encoder.1.1.convs.0.conv.weight'), [128, 64, 3, 3]); // encoder.1.0 is the MaxPool
  assert.deepEqual(byName.get('encoder.4.1.convs.1.conv.weight'), [1024, 1024, 3, 3]);
  assert.deepEqual(byName.get('decoder.0.conv_block.convs.0.conv.weight'), [64, 128, 3, 3]);
  assert.deepEqual(byName.get('decoder.0.upsample.interp_upsample.1.conv.weight'), [64, 128, 1, 1]);
  assert.deepEqual(ps.slice(-4), [
    ['decoder.3.conv_block.convs.1.bn.bias', [512]], ['decoder.3.upsample.interp_upsample.1.conv.weight', [512, 1024, 1, 1]],
    ['decoder.3.upsample.interp_upsample.1.bn.weight', [512]], ['decoder.3.upsample.interp_upsample.1.bn.bias', [512]],
  ]);
  assert.equal(ps.length, 66);
  assert.equal(ps.reduce((s, [, shape]) => s + shape.reduce((a, b) => a * b, 1), 0), 28949568);
  assert.equal(m.stateDict().size, 132);
  assert.ok(m.encoder.at(1).at(0) instanceof nn.MaxPool2d);
  m.dispose();
});

test('UNet forward returns decoder outputs deepest first; input must divide by 16', () => {
  const m = new UNet({ base_channels: 4 });
  const shapes = torch.tidy(() => torch.noGrad(() => m.forward(torch.randn([2, 3, 32, 48])).map((t) => t.shape)));
  assert.deepEqual(shapes, [[2, 64, 2, 3], [2, 32, 4, 6], [2, 16, 8, 12], [2, 8, 16, 24], [2, 4, 32, 48]]);
  assert.throws(() => torch.tidy(() => m.forward(torch.randn([1, 3, 40, 40]))), /input size \(40, 40\) must be divisible by the whole downsample rate 16/);
});

/** MMSeg's UNet in plain PyTorch (same child names) for base_channels 4, 3 stages. */
const PY_UNET = `
import torch.nn as nn, torch.nn.functional as F
def cm(i, o, k, p=0):
    s = nn.Module(); s.conv = nn.Conv2d(i, o, k, padding=p, bias=False); s.bn = nn.BatchNorm2d(o); return s
def run_cm(s, x): return F.relu(s.bn(s.conv(x)))
class Block(nn.Module):
    def __init__(self, i, o):
        super().__init__(); self.convs = nn.ModuleList([cm(i, o, 3, 1), cm(o, o, 3, 1)])
    def forward(self, x):
        for c in self.convs: x = run_cm(c, x)
        return x
class Up(nn.Module):
    def __init__(self, i, skip):
        super().__init__(); self.conv_block = Block(2 * skip, skip); self.upsample = nn.Module()
        self.upsample.interp_upsample = nn.ModuleList([nn.Identity(), cm(i, skip, 1)])
    def forward(self, skip, x):
        x = F.interpolate(x, size=[int(t * 2) for t in x.shape[-2:]], mode='bilinear', align_corners=False)
        x = run_cm(self.upsample.interp_upsample[1], x)
        return self.conv_block(torch.cat([skip, x], 1))
class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.ModuleList([nn.ModuleList([Block(3, 4)]), nn.ModuleList([nn.MaxPool2d(2), Block(4, 8)]), nn.ModuleList([nn.MaxPool2d(2), Block(8, 16)])])
        self.decoder = nn.ModuleList([Up(8, 4), Up(16, 8)])
    def forward(self, x):
        enc = []
        for stage in self.encoder:
            for layer in stage: x = layer(x)
            enc.append(x)
        outs = [x]
        for i in reversed(range(len(self.decoder))):
            x = self.decoder[i](enc[i], x); outs.append(x)
        return outs
m = UNet()
m.load_state_dict({k[3:]: v for k, v in inputs.items() if k.startswith('sd_')}, strict=True)
m.eval()
for i, o in enumerate(m(x)): out[f'o{i}'] = o
`;

test('a small UNet forward (eval) equals the same network in plain PyTorch loaded with its state dict', () => {
  const m = new UNet({ base_channels: 4, num_stages: 3, strides: [1, 1, 1], enc_num_convs: [2, 2, 2], dec_num_convs: [2, 2], downsamples: [true, true], enc_dilations: [1, 1, 1], dec_dilations: [1, 1] });
  torch.noGrad(() => {
    for (const [name, t] of m.namedBuffers()) {
      if (name.endsWith('running_mean')) t.copy_(torch.randn(t.shape).mul(0.1));
      if (name.endsWith('running_var')) t.copy_(torch.rand(t.shape).add(0.5));
    }
  });
  const x = torch.randn([1, 3, 12, 16]);
  const inputs: Record<string, torch.Tensor> = { x };
  for (const [k, v] of m.stateDict()) inputs[`sd_${k}`] = v;
  const ref = runPyTorch(PY_UNET, inputs);
  m.eval();
  const outs = torch.noGrad(() => m.forward(x));
  outs.forEach((o, i) => assertClose(o, ref[`o${i}`]!, { atol: 1e-5, rtol: 1e-4, name: `output ${i}` }));
});

test('strided stages skip the MaxPool; DeconvModule upsampling is named deconv_upsamping', () => {
  const m = new UNet({ base_channels: 4, num_stages: 3, strides: [1, 2, 1], enc_num_convs: [2, 2, 2], dec_num_convs: [2, 2], downsamples: [true, false],
    enc_dilations: [1, 1, 1], dec_dilations: [1, 1], upsample_cfg: { type: 'DeconvModule', kernel_size: 4, scale_factor: 2 } });
  assert.ok(!(m.encoder.at(1).at(0) instanceof nn.MaxPool2d));
  assert.deepEqual(m.getParameter('encoder.1.0.convs.0.conv.weight').shape, [8, 4, 3, 3]);
  assert.equal((m.getSubmodule('encoder.1.0.convs.0.conv') as torch.nn.Conv2d).stride[0], 2);
  assert.deepEqual(m.getParameter('decoder.0.upsample.deconv_upsamping.0.weight').shape, [8, 4, 4, 4]);
  assert.deepEqual(m.getParameter('decoder.0.upsample.deconv_upsamping.1.weight').shape, [4]);
  // stage 2 neither strides nor pools: its decoder matches channels with a 1x1 ConvModule
  assert.deepEqual(m.getParameter('decoder.1.upsample.conv.weight').shape, [8, 16, 1, 1]);
  const shapes = torch.tidy(() => torch.noGrad(() => m.forward(torch.randn([1, 3, 16, 16])).map((t) => t.shape)));
  assert.deepEqual(shapes, [[1, 16, 8, 8], [1, 8, 8, 8], [1, 4, 16, 16]]);
});

test('norm_eval keeps BN in eval after train(); a backward reaches the first encoder conv', () => {
  const m = new UNet({ base_channels: 4, norm_eval: true }).train();
  assert.ok(m.modules().filter((b) => b instanceof nn.BatchNormBase).every((b) => !b.training));
  const before = m.getBuffer('encoder.0.0.convs.0.bn.running_mean').toArray();
  torch.tidy(() => m.forward(torch.randn([1, 3, 32, 32])).at(-1)!.square().mean().backward());
  assert.deepEqual(m.getBuffer('encoder.0.0.convs.0.bn.running_mean').toArray(), before);
  assert.ok(m.getParameter('encoder.0.0.convs.0.conv.weight').grad !== null);
});

test('initWeights: Kaiming fan_out convs and unit BN weights', () => {
  const m = new UNet({ base_channels: 16, num_stages: 2, strides: [1, 1], enc_num_convs: [2, 2], dec_num_convs: [2], downsamples: [true], enc_dilations: [1, 1], dec_dilations: [1] });
  torch.noGrad(() => m.getParameter('encoder.0.0.convs.0.bn.weight').fill_(3));
  m.initWeights();
  const std = m.getParameter('encoder.1.1.convs.1.conv.weight').std().item();
  const expected = Math.sqrt(2 / (32 * 9));
  assert.ok(Math.abs(std - expected) / expected < 0.1, `std ${std} vs ${expected}`);
  assert.ok(m.getParameter('encoder.0.0.convs.0.bn.weight').toArray().every((v) => v === 1));
});

test('config errors name the key', () => {
  assert.throws(() => MODELS.build({ type: 'UNet', num_stages: 4 }, { keyPath: ['model', 'backbone'] }),
    (e: unknown) => e instanceof ConfigError && /^model\.backbone\.strides: expected 4 entries/.test(e.message));
  assert.throws(() => new UNet({ upsample_cfg: { type: 'bilinear' } }), (e: unknown) => e instanceof ConfigError && /^upsample_cfg\.type: expected 'InterpConv' \| 'DeconvModule'/.test(e.message));
  assert.throws(() => new UNet({ strides: [1, 3, 1, 1, 1] as never }), (e: unknown) => e instanceof ConfigError && /^strides\.1/.test(e.message));
  assert.ok(MODELS.build({ type: 'UNet', base_channels: 2 }) instanceof UNet);
});
