// DNLHead and DisentangledNonLocal2d: MMSeg parameter names and shapes, forward equal to plain PyTorch (every mode).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { MODELS } from '../../../engine/registry/index.js';
import '../losses/index.js';
import { BN_KEYS, cmKeys, randomise, sdInputs } from './test-utils.js';
import { DisentangledNonLocal2d } from '../utils/disentangled-non-local.js';
import { DNLHead } from './dnl-head.js';

torch.manualSeed(12);
process.removeAllListeners('warning');
const bn = { type: 'BN', requires_grad: true };

/** MMSeg's DisentangledNonLocal2d (over MMCV's NonLocal2d) in plain PyTorch, in-place centring kept as upstream. */
const PY_DNL = `
import torch.nn as nn, torch.nn.functional as F
class CM(nn.Module):
    def __init__(s, i, o, k=1, pad=0, norm=False, act=False, bias=None):
        super().__init__()
        s.conv = nn.Conv2d(i, o, k, padding=pad, bias=(not norm) if bias is None else bias)
        if norm: s.bn = nn.BatchNorm2d(o)
        s.act = act
    def forward(s, x):
        x = s.conv(x)
        if hasattr(s, 'bn'): x = s.bn(x)
        return F.relu(x) if s.act else x
class DNL(nn.Module):
    def __init__(s, c, red, scale, norm, mode, sub, temp):
        super().__init__()
        s.ic = max(c // red, 1); s.c = c; s.scale = scale; s.mode = mode; s.sub = sub; s.temp = temp
        g = CM(c, s.ic)
        s.g = nn.Sequential(g, nn.MaxPool2d(2)) if sub else g
        s.conv_out = CM(s.ic, c, norm=norm)
        if mode != 'gaussian':
            s.theta = CM(c, s.ic); phi = CM(c, s.ic)
            s.phi = nn.Sequential(phi, nn.MaxPool2d(2)) if sub else phi
        elif sub: s.phi = nn.MaxPool2d(2)
        if mode == 'concatenation': s.concat_project = CM(2 * s.ic, 1, act=True, bias=False)
        s.conv_mask = nn.Conv2d(c, 1, 1)
    def forward(s, x):
        x = x.clone()
        n = x.shape[0]
        g = s.g(x).view(n, s.ic, -1).permute(0, 2, 1)
        if s.mode == 'gaussian':
            t = x.view(n, s.c, -1).permute(0, 2, 1)
            p = s.phi(x).view(n, s.c, -1) if s.sub else x.view(n, s.c, -1)
        elif s.mode == 'concatenation':
            t = s.theta(x).view(n, s.ic, -1, 1); p = s.phi(x).view(n, s.ic, 1, -1)
        else:
            t = s.theta(x).view(n, s.ic, -1).permute(0, 2, 1); p = s.phi(x).view(n, s.ic, -1)
        t -= t.mean(dim=-2, keepdim=True)
        p -= p.mean(dim=-1, keepdim=True)
        if s.mode == 'concatenation':
            f = torch.cat([t.repeat(1, 1, 1, p.size(3)), p.repeat(1, 1, t.size(2), 1)], 1)
            a = s.concat_project(f); a = a.view(n, a.size(2), a.size(3)); a = a / a.shape[-1]
        else:
            a = torch.matmul(t, p)
            if s.mode == 'dot_product': a = a / a.shape[-1]
            else:
                if s.mode == 'embedded_gaussian':
                    if s.scale: a = a / t.shape[-1] ** 0.5
                    a = a / s.temp
                a = a.softmax(dim=-1)
        y = torch.matmul(a, g).permute(0, 2, 1).contiguous().reshape(n, s.ic, *x.shape[2:])
        m = s.conv_mask(x).view(n, 1, -1).softmax(dim=-1)
        u = torch.matmul(m, g).permute(0, 2, 1).contiguous().reshape(n, s.ic, 1, 1)
        return x + s.conv_out(y + u)
`;

test("DisentangledNonLocal2d parameter names: NonLocal2d's, then conv_mask", () => {
  const m = new DisentangledNonLocal2d({ in_channels: 8, norm_cfg: bn });
  const cm = (p: string): string[] => [`${p}.conv.weight`, `${p}.conv.bias`];
  assert.deepEqual([...m.stateDict().keys()], [...cm('g'), 'conv_out.conv.weight', ...BN_KEYS.map((k) => `conv_out.bn.${k}`), ...cm('theta'), ...cm('phi'), 'conv_mask.weight', 'conv_mask.bias']);
  assert.deepEqual(m.stateDict().get('conv_mask.weight')!.shape, [1, 8, 1, 1]);
  assert.equal(m.temperature, 0.05);
  assert.throws(() => new DisentangledNonLocal2d({ in_channels: 8, temperature: 0 }), /temperature/);
  assert.throws(() => new DisentangledNonLocal2d({ in_channels: 8, sub_sample: true } as never), /unknown key 'sub_sample'/);
  assert.throws(() => MODELS.build({ type: 'DNLHead', in_channels: 4, channels: 4, num_classes: 3, temperature: -1 }, { keyPath: ['decode_head'] }), /decode_head\.temperature/);
});

test('DisentangledNonLocal2d forward equals PyTorch in every mode (eval), with gradients flowing', () => {
  const cases = [
    { mode: 'embedded_gaussian', use_scale: true, norm: true, sub: false, temp: 0.05 },
    { mode: 'embedded_gaussian', use_scale: false, norm: false, sub: false, temp: 0.5 },
    { mode: 'dot_product', use_scale: true, norm: true, sub: false, temp: 0.05 },
    { mode: 'gaussian', use_scale: true, norm: false, sub: false, temp: 0.05 },
    { mode: 'concatenation', use_scale: true, norm: true, sub: false, temp: 0.05 },
  ] as const;
  const ys: Record<string, torch.Tensor> = {};
  const inputs: Record<string, torch.Tensor> = {};
  let script = PY_DNL;
  cases.forEach((c, i) => {
    const m = new DisentangledNonLocal2d({ in_channels: 6, use_scale: c.use_scale, mode: c.mode, norm_cfg: c.norm ? bn : null, temperature: c.temp });
    randomise(m);
    m.eval();
    const x = torch.randn([2, 6, 4, 6]);
    ys[`y${i}`] = m.forward(x);
    Object.assign(inputs, sdInputs(m, `m${i}`), { [`x${i}`]: x });
    script += `
m = DNL(6, 2, ${c.use_scale ? 'True' : 'False'}, ${c.norm ? 'True' : 'False'}, '${c.mode}', ${c.sub ? 'True' : 'False'}, ${c.temp}).eval()
m.load_state_dict({k[len('m${i}sd:'):]: v for k, v in inputs.items() if k.startswith('m${i}sd:')})
out['y${i}'] = m(inputs['x${i}'])
`;
  });
  const ref = runPyTorch(script, inputs);
  for (const [k, y] of Object.entries(ys)) assertClose(y, ref[k]!, { atol: 1e-5, rtol: 1e-4, name: k });
  const m = new DisentangledNonLocal2d({ in_channels: 6 });
  randomise(m);
  const x = torch.randn([1, 6, 3, 3], { requiresGrad: true });
  m.forward(x).square().sum().backward();
  assert.ok(x.grad!.abs().sum().item() > 0);
  assert.ok(m.conv_mask.weight.grad!.abs().sum().item() > 0);
});

test("DNLHead built from dnl_r50-d8's head settings has MMSeg's parameter names and shapes", () => {
  const head = MODELS.build<DNLHead>({
    type: 'DNLHead', in_channels: 2048, in_index: 3, channels: 512, dropout_ratio: 0.1, reduction: 2, use_scale: true,
    mode: 'embedded_gaussian', num_classes: 19, norm_cfg: { type: 'SyncBN', requires_grad: true }, align_corners: false,
    loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 1.0 },
  });
  const sd = head.stateDict();
  assert.deepEqual([...sd.keys()], [
    'conv_seg.weight', 'conv_seg.bias', ...cmKeys('convs.0'), ...cmKeys('convs.1'), ...cmKeys('conv_cat'),
    'dnl_block.g.conv.weight', 'dnl_block.g.conv.bias', ...cmKeys('dnl_block.conv_out'),
    'dnl_block.theta.conv.weight', 'dnl_block.theta.conv.bias', 'dnl_block.phi.conv.weight', 'dnl_block.phi.conv.bias',
    'dnl_block.conv_mask.weight', 'dnl_block.conv_mask.bias',
  ]);
  const shape = (k: string): number[] => sd.get(k)!.shape;
  assert.deepEqual(shape('conv_cat.conv.weight'), [512, 2560, 3, 3]);
  assert.deepEqual(shape('dnl_block.g.conv.weight'), [256, 512, 1, 1]);
  assert.deepEqual(shape('dnl_block.conv_out.conv.weight'), [512, 256, 1, 1]);
  assert.deepEqual(shape('dnl_block.conv_mask.weight'), [1, 512, 1, 1]);
  assert.equal(head.dnl_block.temperature, 0.05);
  head.dispose();
});

test('DNLHead forward (eval) equals the same head in PyTorch; loss runs backward', () => {
  const head = new DNLHead({ in_channels: 6, channels: 4, num_classes: 3, norm_cfg: bn, in_index: 1, temperature: 0.2 });
  randomise(head);
  head.eval();
  const x = torch.randn([2, 6, 5, 7]);
  const y = head.forward([torch.randn([2, 3, 4, 4]), x]);
  const ref = runPyTorch(PY_DNL + `
class Head(nn.Module):
    def __init__(s):
        super().__init__()
        s.conv_seg = nn.Conv2d(4, 3, 1)
        s.convs = nn.Sequential(CM(6, 4, 3, 1, norm=True, act=True), CM(4, 4, 3, 1, norm=True, act=True))
        s.conv_cat = CM(10, 4, 3, 1, norm=True, act=True)
        s.dnl_block = DNL(4, 2, True, True, 'embedded_gaussian', False, 0.2)
    def forward(s, x):
        f = s.convs[1](s.dnl_block(s.convs[0](x)))
        return s.conv_seg(s.conv_cat(torch.cat([x, f], 1)))
m = Head().eval()
m.load_state_dict({k[3:]: v for k, v in inputs.items() if k.startswith('sd:')})
out['y'] = m(x)
`, { x, ...sdInputs(head) });
  assertClose(y, ref.y!, { atol: 1e-5, rtol: 1e-4 });
  head.train();
  const sample = { metainfo: { ori_shape: [10, 14], img_shape: [10, 14] }, gt_sem_seg: { data: torch.randint(0, 3, [1, 10, 14]) } };
  const losses = head.loss([x, x], [sample, sample]);
  assert.deepEqual(Object.keys(losses), ['loss_ce', 'acc_seg']);
  losses.loss_ce!.backward();
  assert.ok(head.dnl_block.conv_mask.weight.grad!.abs().sum().item() > 0);
});
