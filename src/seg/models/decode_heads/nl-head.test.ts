// NLHead and NonLocal2d: MMSeg/MMCV parameter names and shapes, forward equal to plain PyTorch (every mode), init.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { MODELS } from '../../../engine/registry/index.js';
import '../losses/index.js';
import { BN_KEYS, cmKeys, randomise, sdInputs } from './test-utils.js';
import { NonLocal2d } from '../utils/non-local.js';
import { NLHead } from './nl-head.js';

torch.manualSeed(11);
process.removeAllListeners('warning');
const bn = { type: 'BN', requires_grad: true };
const cm = (p: string, withBias: boolean, norm: boolean): string[] => [`${p}.conv.weight`, ...(withBias ? [`${p}.conv.bias`] : []), ...(norm ? BN_KEYS.map((k) => `${p}.bn.${k}`) : [])];

/** Random weights and BN statistics, so every path of the forward counts (conv_out starts at zero). */

/** The state dict as runPyTorch inputs (dotted names kept: the Python side loads them strictly). */

/** MMCV's NonLocal2d (and ConvModule as conv [+ bn] [+ relu]) in plain PyTorch, same child names. */
export const PY_NONLOCAL = `
import torch.nn as nn, torch.nn.functional as F
sd = {k[3:]: v for k, v in inputs.items() if k.startswith('sd:')}
class CM(nn.Module):
    def __init__(s, i, o, k=1, pad=0, dil=1, norm=False, act=False, bias=None):
        super().__init__()
        s.conv = nn.Conv2d(i, o, k, padding=pad, dilation=dil, bias=(not norm) if bias is None else bias)
        if norm: s.bn = nn.BatchNorm2d(o)
        s.act = act
    def forward(s, x):
        x = s.conv(x)
        if hasattr(s, 'bn'): x = s.bn(x)
        return F.relu(x) if s.act else x
class NL(nn.Module):
    def __init__(s, c, red, scale, norm, mode, sub):
        super().__init__()
        s.ic = max(c // red, 1); s.c = c; s.scale = scale; s.mode = mode; s.sub = sub
        g = CM(c, s.ic)
        s.g = nn.Sequential(g, nn.MaxPool2d(2)) if sub else g
        s.conv_out = CM(s.ic, c, norm=norm)
        if mode != 'gaussian':
            s.theta = CM(c, s.ic); phi = CM(c, s.ic)
            s.phi = nn.Sequential(phi, nn.MaxPool2d(2)) if sub else phi
        elif sub: s.phi = nn.MaxPool2d(2)
        if mode == 'concatenation': s.concat_project = CM(2 * s.ic, 1, act=True, bias=False)
    def forward(s, x):
        n, _, h, w = x.shape
        g = s.g(x).reshape(n, s.ic, -1).transpose(1, 2)
        if s.mode == 'gaussian':
            t = x.reshape(n, s.c, -1).transpose(1, 2)
            p = (s.phi(x) if s.sub else x).reshape(n, s.c, -1)
        elif s.mode == 'concatenation':
            t = s.theta(x).reshape(n, s.ic, -1, 1); p = s.phi(x).reshape(n, s.ic, 1, -1)
        else:
            t = s.theta(x).reshape(n, s.ic, -1).transpose(1, 2); p = s.phi(x).reshape(n, s.ic, -1)
        if s.mode == 'concatenation':
            f = torch.cat([t.expand(-1, -1, -1, p.shape[3]), p.expand(-1, -1, t.shape[2], -1)], 1)
            a = s.concat_project(f)[:, 0]
            a = a / a.shape[-1]
        else:
            a = t @ p
            if s.mode == 'dot_product': a = a / a.shape[-1]
            else:
                if s.mode == 'embedded_gaussian' and s.scale: a = a / t.shape[-1] ** 0.5
                a = a.softmax(-1)
        return x + s.conv_out((a @ g).transpose(1, 2).reshape(n, s.ic, h, w))
`;

test("NonLocal2d parameter names equal MMCV's, in its registration order, for each mode", () => {
  const eg = new NonLocal2d({ in_channels: 8, norm_cfg: bn });
  assert.deepEqual([...eg.stateDict().keys()], [...cm('g', true, false), ...cm('conv_out', false, true), ...cm('theta', true, false), ...cm('phi', true, false)]);
  assert.deepEqual(eg.stateDict().get('g.conv.weight')!.shape, [4, 8, 1, 1]);
  assert.deepEqual(eg.stateDict().get('conv_out.conv.weight')!.shape, [8, 4, 1, 1]);
  const gs = new NonLocal2d({ in_channels: 6, reduction: 4, mode: 'gaussian', sub_sample: true });
  assert.deepEqual([...gs.stateDict().keys()], ['g.0.conv.weight', 'g.0.conv.bias', 'conv_out.conv.weight', 'conv_out.conv.bias']);
  assert.equal(gs.interChannels, 1);
  const cat = new NonLocal2d({ in_channels: 4, mode: 'concatenation', sub_sample: true });
  assert.deepEqual([...cat.stateDict().keys()], [...cm('g.0', true, false), ...cm('conv_out', true, false), ...cm('theta', true, false), ...cm('phi.0', true, false), 'concat_project.conv.weight']);
  assert.throws(() => MODELS.build({ type: 'NLHead', in_channels: 4, channels: 4, num_classes: 3, mode: 'cosine' }, { keyPath: ['decode_head'] }), /decode_head\.mode/);
  assert.throws(() => MODELS.build({ type: 'NLHead', in_channels: 4, channels: 4, num_classes: 3, num_convs: 1 }, { keyPath: ['decode_head'] }), /unknown key 'num_convs'/);
});

test('NonLocal2d starts as the identity (conv_out zero) with N(0, 0.01) projections', () => {
  const nl = new NonLocal2d({ in_channels: 64, norm_cfg: bn });
  nl.eval();
  const x = torch.randn([1, 64, 5, 5]);
  assertClose(nl.forward(x), x);
  const std = nl.stateDict().get('theta.conv.weight')!.std().item();
  assert.ok(Math.abs(std - 0.01) < 0.002, `theta std ${std}`);
  assert.equal(nl.stateDict().get('g.conv.bias')!.abs().sum().item(), 0);
  assert.equal(new NonLocal2d({ in_channels: 8 }).stateDict().get('conv_out.conv.weight')!.abs().sum().item(), 0);
});

test('NonLocal2d forward equals PyTorch in every mode (eval), with gradients flowing', () => {
  const cases = [
    { mode: 'embedded_gaussian', use_scale: true, norm: true, sub: false },
    { mode: 'embedded_gaussian', use_scale: false, norm: false, sub: true },
    { mode: 'dot_product', use_scale: true, norm: true, sub: false },
    { mode: 'gaussian', use_scale: true, norm: false, sub: true },
    { mode: 'gaussian', use_scale: true, norm: false, sub: false },
    { mode: 'concatenation', use_scale: true, norm: true, sub: true },
  ] as const;
  const ys: Record<string, torch.Tensor> = {};
  const inputs: Record<string, torch.Tensor> = {};
  let script = PY_NONLOCAL;
  cases.forEach((c, i) => {
    const nl = new NonLocal2d({ in_channels: 6, reduction: 2, use_scale: c.use_scale, mode: c.mode, sub_sample: c.sub, norm_cfg: c.norm ? bn : null });
    randomise(nl);
    nl.eval();
    const x = torch.randn([2, 6, 4, 6]);
    ys[`y${i}`] = nl.forward(x);
    for (const [k, v] of Object.entries(sdInputs(nl))) inputs[`m${i}${k}`] = v;
    inputs[`x${i}`] = x;
    script += `
m = NL(6, 2, ${c.use_scale ? 'True' : 'False'}, ${c.norm ? 'True' : 'False'}, '${c.mode}', ${c.sub ? 'True' : 'False'}).eval()
m.load_state_dict({k[len('m${i}sd:'):]: v for k, v in inputs.items() if k.startswith('m${i}sd:')})
out['y${i}'] = m(inputs['x${i}'])
`;
  });
  const ref = runPyTorch(script, inputs);
  for (const [k, y] of Object.entries(ys)) assertClose(y, ref[k]!, { atol: 1e-5, rtol: 1e-4, name: k });
  const nl = new NonLocal2d({ in_channels: 6 });
  randomise(nl);
  const x = torch.randn([1, 6, 3, 3], { requiresGrad: true });
  nl.forward(x).square().sum().backward();
  assert.ok(x.grad!.abs().sum().item() > 0);
  assert.ok(nl.theta!.conv.weight.grad!.abs().sum().item() > 0);
});

test("NLHead built from nonlocal_r50-d8's head settings has MMSeg's parameter names and shapes", () => {
  const head = MODELS.build<NLHead>({
    type: 'NLHead', in_channels: 2048, in_index: 3, channels: 512, dropout_ratio: 0.1, reduction: 2, use_scale: true,
    mode: 'embedded_gaussian', num_classes: 19, norm_cfg: { type: 'SyncBN', requires_grad: true }, align_corners: false,
    loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 1.0 },
  });
  const sd = head.stateDict();
  assert.deepEqual([...sd.keys()], [
    'conv_seg.weight', 'conv_seg.bias', ...cmKeys('convs.0'), ...cmKeys('convs.1'), ...cmKeys('conv_cat'),
    'nl_block.g.conv.weight', 'nl_block.g.conv.bias', ...cmKeys('nl_block.conv_out'),
    'nl_block.theta.conv.weight', 'nl_block.theta.conv.bias', 'nl_block.phi.conv.weight', 'nl_block.phi.conv.bias',
  ]);
  const shape = (k: string): number[] => sd.get(k)!.shape;
  assert.deepEqual(shape('convs.0.conv.weight'), [512, 2048, 3, 3]);
  assert.deepEqual(shape('convs.1.conv.weight'), [512, 512, 3, 3]);
  assert.deepEqual(shape('conv_cat.conv.weight'), [512, 2560, 3, 3]);
  assert.deepEqual(shape('nl_block.g.conv.weight'), [256, 512, 1, 1]);
  assert.deepEqual(shape('nl_block.conv_out.conv.weight'), [512, 256, 1, 1]);
  assert.deepEqual(shape('nl_block.conv_out.bn.weight'), [512]);
  assert.deepEqual(shape('conv_seg.weight'), [19, 512, 1, 1]);
  // MMEngine's init_weights re-runs NonLocal2d.init_weights: conv_out's norm stays zero.
  head.initWeights();
  assert.equal(sd.get('nl_block.conv_out.bn.weight')!.abs().sum().item(), 0);
  head.dispose();
});

test('NLHead forward (eval) equals the same head in PyTorch; loss runs backward', () => {
  const head = new NLHead({ in_channels: 6, channels: 4, num_classes: 3, norm_cfg: bn, in_index: 1 });
  randomise(head);
  head.eval();
  const x = torch.randn([2, 6, 5, 7]);
  const y = head.forward([torch.randn([2, 3, 4, 4]), x]);
  const ref = runPyTorch(PY_NONLOCAL + `
class Head(nn.Module):
    def __init__(s):
        super().__init__()
        s.conv_seg = nn.Conv2d(4, 3, 1)
        s.convs = nn.Sequential(CM(6, 4, 3, 1, norm=True, act=True), CM(4, 4, 3, 1, norm=True, act=True))
        s.conv_cat = CM(10, 4, 3, 1, norm=True, act=True)
        s.nl_block = NL(4, 2, True, True, 'embedded_gaussian', False)
    def forward(s, x):
        f = s.convs[1](s.nl_block(s.convs[0](x)))
        return s.conv_seg(s.conv_cat(torch.cat([x, f], 1)))
m = Head().eval()
m.load_state_dict(sd)
out['y'] = m(x)
`, { x, ...sdInputs(head) });
  assertClose(y, ref.y!, { atol: 1e-5, rtol: 1e-4 });
  head.train();
  const losses = head.loss([x, x], [{ metainfo: { ori_shape: [10, 14], img_shape: [10, 14] }, gt_sem_seg: { data: torch.randint(0, 3, [1, 10, 14]) } },
    { metainfo: { ori_shape: [10, 14], img_shape: [10, 14] }, gt_sem_seg: { data: torch.randint(0, 3, [1, 10, 14]) } }]);
  assert.deepEqual(Object.keys(losses), ['loss_ce', 'acc_seg']);
  losses.loss_ce!.backward();
  assert.ok(head.nl_block.theta!.conv.weight.grad!.abs().sum().item() > 0);
});
