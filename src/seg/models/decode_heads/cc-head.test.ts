// CCHead and CrissCrossAttention: MMSeg/MMCV parameter names and shapes, forward equal to plain PyTorch (einsum as MMCV), init.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { MODELS } from '../../../engine/registry/index.js';
import '../losses/index.js';
import { cmKeys, PY_CONV_MODULE, randomise, sdInputs } from './test-utils.js';
import { CrissCrossAttention } from '../utils/criss-cross-attention.js';
import { CCHead } from './cc-head.js';

torch.manualSeed(5);
process.removeAllListeners('warning');
const bn = { type: 'BN', requires_grad: true };
const ccaKeys = (p: string): string[] => ['query_conv', 'key_conv', 'value_conv'].flatMap((c) => [`${p}${c}.weight`, `${p}${c}.bias`]).concat(`${p}gamma.scale`);

/** MMCV 2.x's CrissCrossAttention forward, written with the same einsums, in plain PyTorch. */
const PY_CCA = `
import torch.nn as nn, torch.nn.functional as F
class Scale(nn.Module):
    def __init__(s, v=0.):
        super().__init__(); s.scale = nn.Parameter(torch.tensor(v, dtype=torch.float))
    def forward(s, x): return x * s.scale
class CCA(nn.Module):
    def __init__(s, c):
        super().__init__()
        s.query_conv = nn.Conv2d(c, c // 8, 1); s.key_conv = nn.Conv2d(c, c // 8, 1)
        s.value_conv = nn.Conv2d(c, c, 1); s.gamma = Scale(0.)
    def forward(s, x):
        B, C, H, W = x.size()
        q, k, v = s.query_conv(x), s.key_conv(x), s.value_conv(x)
        eh = torch.einsum('bchw,bciw->bwhi', q, k) + torch.diag(torch.tensor(float('-inf')).repeat(H), 0)
        eh = eh.transpose(1, 2)
        ew = torch.einsum('bchw,bchj->bhwj', q, k)
        a = F.softmax(torch.cat([eh, ew], dim=-1), dim=-1)
        o = torch.einsum('bciw,bhwi->bchw', v, a[..., :H])
        o = o + torch.einsum('bchj,bhwj->bchw', v, a[..., H:])
        return (s.gamma(o) + x).contiguous()
`;

test("CrissCrossAttention has MMCV's parameter names and shapes and starts as the identity", () => {
  const cca = new CrissCrossAttention(16);
  const sd = cca.stateDict();
  assert.deepEqual([...sd.keys()], ccaKeys(''));
  assert.deepEqual(sd.get('query_conv.weight')!.shape, [2, 16, 1, 1]);
  assert.deepEqual(sd.get('key_conv.bias')!.shape, [2]);
  assert.deepEqual(sd.get('value_conv.weight')!.shape, [16, 16, 1, 1]);
  assert.deepEqual(sd.get('gamma.scale')!.shape, []);
  assert.equal(sd.get('gamma.scale')!.item(), 0);
  const x = torch.randn([1, 16, 3, 5]);
  assertClose(cca.forward(x), x);
  assert.throws(() => new CrissCrossAttention(4), /in_channels.*>= 8/);
});

test('CrissCrossAttention forward equals MMCV\'s einsum version (non-square, batch 2) with gradients flowing', () => {
  const cases = [[2, 16, 4, 6], [1, 24, 5, 3], [1, 8, 1, 4]] as const;
  const inputs: Record<string, torch.Tensor> = {};
  const ys: Record<string, torch.Tensor> = {};
  let script = PY_CCA;
  cases.forEach((shape, i) => {
    const cca = new CrissCrossAttention(shape[1]);
    randomise(cca);
    const x = torch.randn([...shape]);
    ys[`y${i}`] = cca.forward(x);
    for (const [k, v] of Object.entries(sdInputs(cca, `m${i}`))) inputs[k] = v;
    inputs[`x${i}`] = x;
    script += `
m = CCA(${shape[1]})
m.load_state_dict({k[len('m${i}sd:'):]: v for k, v in inputs.items() if k.startswith('m${i}sd:')})
out['y${i}'] = m(inputs['x${i}'])
`;
  });
  const ref = runPyTorch(script, inputs);
  for (const [k, y] of Object.entries(ys)) assertClose(y, ref[k]!, { atol: 1e-5, rtol: 1e-4, name: k });
  const cca = new CrissCrossAttention(8);
  randomise(cca);
  const x = torch.randn([1, 8, 3, 4], { requiresGrad: true });
  cca.forward(x).square().sum().backward();
  assert.ok(x.grad!.abs().sum().item() > 0);
  assert.ok(cca.query_conv.weight.grad!.abs().sum().item() > 0);
  assert.ok(cca.gamma.scale.grad!.abs().item() > 0);
});

test("CCHead built from ccnet_r50-d8's head settings has MMSeg's parameter names and shapes", () => {
  const head = MODELS.build<CCHead>({
    type: 'CCHead', in_channels: 2048, in_index: 3, channels: 512, recurrence: 2, dropout_ratio: 0.1, num_classes: 19,
    norm_cfg: { type: 'SyncBN', requires_grad: true }, align_corners: false,
    loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 1.0 },
  });
  const sd = head.stateDict();
  assert.deepEqual([...sd.keys()], ['conv_seg.weight', 'conv_seg.bias', ...cmKeys('convs.0'), ...cmKeys('convs.1'), ...cmKeys('conv_cat'), ...ccaKeys('cca.')]);
  const shape = (k: string): number[] => sd.get(k)!.shape;
  assert.deepEqual(shape('convs.0.conv.weight'), [512, 2048, 3, 3]);
  assert.deepEqual(shape('conv_cat.conv.weight'), [512, 2560, 3, 3]);
  assert.deepEqual(shape('cca.query_conv.weight'), [64, 512, 1, 1]);
  assert.deepEqual(shape('cca.value_conv.weight'), [512, 512, 1, 1]);
  assert.deepEqual(shape('conv_seg.weight'), [19, 512, 1, 1]);
  assert.equal(head.recurrence, 2);
  head.dispose();
  assert.throws(() => MODELS.build({ type: 'CCHead', in_channels: 4, channels: 8, num_classes: 3, num_convs: 1 }, { keyPath: ['decode_head'] }), /unknown key 'num_convs'/);
  assert.throws(() => MODELS.build({ type: 'CCHead', in_channels: 4, channels: 8, num_classes: 3, recurrence: -1 }, { keyPath: ['decode_head'] }), /decode_head\.recurrence/);
  assert.throws(() => MODELS.build({ type: 'CCHead', in_channels: 4, channels: 4, num_classes: 3 }, { keyPath: ['decode_head'] }), /channels.*>= 8/);
});

test('CCHead forward (eval) equals the same head in PyTorch for recurrence 0/1/2, with and without conv_cat; loss runs backward', () => {
  const cases = [{ recurrence: 2, concat: true }, { recurrence: 1, concat: false }, { recurrence: 0, concat: true }];
  const inputs: Record<string, torch.Tensor> = {};
  const ys: Record<string, torch.Tensor> = {};
  let script = PY_CONV_MODULE + PY_CCA + `
class Head(nn.Module):
    def __init__(s, r, cat):
        super().__init__()
        s.r = r
        s.conv_seg = nn.Conv2d(8, 3, 1)
        s.convs = nn.Sequential(CM(6, 8, 3, 1), CM(8, 8, 3, 1))
        if cat: s.conv_cat = CM(14, 8, 3, 1)
        s.cca = CCA(8)
    def forward(s, x):
        f = s.convs[0](x)
        for _ in range(s.r): f = s.cca(f)
        f = s.convs[1](f)
        if hasattr(s, 'conv_cat'): f = s.conv_cat(torch.cat([x, f], 1))
        return s.conv_seg(f)
`;
  cases.forEach((c, i) => {
    const head = new CCHead({ in_channels: 6, channels: 8, num_classes: 3, norm_cfg: bn, in_index: 1, recurrence: c.recurrence, concat_input: c.concat });
    randomise(head);
    head.eval();
    const x = torch.randn([2, 6, 5, 7]);
    ys[`y${i}`] = head.forward([torch.randn([2, 3, 4, 4]), x]);
    for (const [k, v] of Object.entries(sdInputs(head, `m${i}`))) inputs[k] = v;
    inputs[`x${i}`] = x;
    script += `
m = Head(${c.recurrence}, ${c.concat ? 'True' : 'False'}).eval()
m.load_state_dict({k[len('m${i}sd:'):]: v for k, v in inputs.items() if k.startswith('m${i}sd:')})
out['y${i}'] = m(inputs['x${i}'])
`;
  });
  const ref = runPyTorch(script, inputs);
  for (const [k, y] of Object.entries(ys)) assertClose(y, ref[k]!, { atol: 1e-5, rtol: 1e-4, name: k });
  const head = new CCHead({ in_channels: 6, channels: 8, num_classes: 3, norm_cfg: bn });
  randomise(head);
  head.train();
  const x = torch.randn([2, 6, 5, 7]);
  const sample = (): object => ({ metainfo: { ori_shape: [10, 14], img_shape: [10, 14] }, gt_sem_seg: { data: torch.randint(0, 3, [1, 10, 14]) } });
  const losses = head.loss([x], [sample(), sample()] as never);
  assert.deepEqual(Object.keys(losses), ['loss_ce', 'acc_seg']);
  losses.loss_ce!.backward();
  assert.ok(head.cca.key_conv.weight.grad!.abs().sum().item() > 0);
});
