// ANNHead (AFNB, APNB, PPMConcat): MMSeg parameter names and shapes, forward equal to plain PyTorch (eval), loss backward.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { MODELS } from '../../../engine/registry/index.js';
import '../losses/index.js';
import { cmKeys, randomise, sdInputs } from './test-utils.js';
import { ANNHead, PPMConcat } from './ann-head.js';

torch.manualSeed(15);
process.removeAllListeners('warning');
const bn = { type: 'BN', requires_grad: true };

/** MMSeg's ANNHead in plain PyTorch (its SelfAttentionBlock with ANN's settings written out). */
const PY_ANN = `
import torch.nn as nn, torch.nn.functional as F
class CM(nn.Module):
    def __init__(s, i, o, k=1, pad=0, act=True):
        super().__init__()
        s.conv = nn.Conv2d(i, o, k, padding=pad, bias=False); s.bn = nn.BatchNorm2d(o); s.act = act
    def forward(s, x):
        x = s.bn(s.conv(x))
        return F.relu(x) if s.act else x
class PPMConcat(nn.ModuleList):
    def __init__(s, scales): super().__init__([nn.AdaptiveAvgPool2d(p) for p in scales])
    def forward(s, f): return torch.cat([p(f).view(*f.shape[:2], -1) for p in s], dim=2)
class SAB(nn.Module):
    def __init__(s, low, high, ch, out, share, qs, kps):
        super().__init__()
        s.ch = ch
        s.key_project = CM(low, ch)
        s.query_project = s.key_project if share else CM(high, ch)
        s.value_project = nn.Conv2d(low, ch, 1)
        s.out_project = nn.Conv2d(ch, out, 1)
        s.qd = nn.MaxPool2d(qs) if qs > 1 else None
        s.kd = PPMConcat(kps)
    def forward(s, q_in, k_in):
        n = q_in.size(0)
        q = s.query_project(q_in)
        if s.qd is not None: q = s.qd(q)
        q = q.reshape(n, s.ch, -1).permute(0, 2, 1)
        k = s.kd(s.key_project(k_in)); v = s.kd(s.value_project(k_in))
        k = k.reshape(n, s.ch, -1); v = v.reshape(n, s.ch, -1).permute(0, 2, 1)
        a = F.softmax((s.ch ** -.5) * torch.matmul(q, k), dim=-1)
        c = torch.matmul(a, v).permute(0, 2, 1).contiguous().reshape(n, -1, *q_in.shape[2:])
        return s.out_project(c)
class AFNB(nn.Module):
    def __init__(s, low, high, ch, out, qss, kps):
        super().__init__()
        s.stages = nn.ModuleList([SAB(low, high, ch, out, False, q, kps) for q in qss])
        s.bottleneck = CM(out + high, out, act=False)
    def forward(s, low, high):
        c = torch.stack([st(high, low) for st in s.stages], dim=0).sum(dim=0)
        return s.bottleneck(torch.cat([c, high], 1))
class APNB(nn.Module):
    def __init__(s, i, ch, out, qss, kps):
        super().__init__()
        s.stages = nn.ModuleList([SAB(i, i, ch, out, True, q, kps) for q in qss])
        s.bottleneck = CM(2 * i, out)
    def forward(s, f):
        c = torch.stack([st(f, f) for st in s.stages], dim=0).sum(dim=0)
        return s.bottleneck(torch.cat([c, f], 1))
class Head(nn.Module):
    def __init__(s, low, high, c, k, pc, qss, kps):
        super().__init__()
        s.conv_seg = nn.Conv2d(c, k, 1)
        s.fusion = AFNB(low, high, pc, high, qss, kps)
        s.bottleneck = CM(high, c, 3, 1)
        s.context = APNB(c, pc, c, qss, kps)
    def forward(s, low, high):
        return s.conv_seg(s.context(s.bottleneck(s.fusion(low, high))))
`;

test("ANNHead built from ann_r50-d8's head settings has MMSeg's parameter names and shapes", () => {
  const head = MODELS.build<ANNHead>({
    type: 'ANNHead', in_channels: [1024, 2048], in_index: [2, 3], channels: 512, project_channels: 256, query_scales: [1],
    key_pool_scales: [1, 3, 6, 8], dropout_ratio: 0.1, num_classes: 19, norm_cfg: { type: 'SyncBN', requires_grad: true },
    align_corners: false, loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 1.0 },
  });
  const sd = head.stateDict();
  const sab = (p: string, share: boolean): string[] => [
    ...cmKeys(`${p}.key_project`), ...cmKeys(share ? `${p}.key_project` : `${p}.query_project`).map((k) => k.replace('key_project', 'query_project')),
    `${p}.value_project.weight`, `${p}.value_project.bias`, `${p}.out_project.weight`, `${p}.out_project.bias`,
  ];
  assert.deepEqual([...sd.keys()], [
    'conv_seg.weight', 'conv_seg.bias', ...sab('fusion.stages.0', false), ...cmKeys('fusion.bottleneck'), ...cmKeys('bottleneck'),
    ...sab('context.stages.0', true), ...cmKeys('context.bottleneck'),
  ]);
  const shape = (k: string): number[] => sd.get(k)!.shape;
  assert.deepEqual(shape('fusion.stages.0.key_project.conv.weight'), [256, 1024, 1, 1]);
  assert.deepEqual(shape('fusion.stages.0.query_project.conv.weight'), [256, 2048, 1, 1]);
  assert.deepEqual(shape('fusion.stages.0.value_project.weight'), [256, 1024, 1, 1]);
  assert.deepEqual(shape('fusion.stages.0.out_project.weight'), [2048, 256, 1, 1]);
  assert.deepEqual(shape('fusion.bottleneck.conv.weight'), [2048, 4096, 1, 1]);
  assert.deepEqual(shape('bottleneck.conv.weight'), [512, 2048, 3, 3]);
  assert.deepEqual(shape('context.stages.0.query_project.conv.weight'), [256, 512, 1, 1]);
  assert.deepEqual(shape('context.stages.0.out_project.weight'), [512, 256, 1, 1]);
  assert.deepEqual(shape('context.bottleneck.conv.weight'), [512, 1024, 1, 1]);
  // The shared key/query projection is one module under both names.
  assert.equal(head.context.stages.at(0).query_project, head.context.stages.at(0).key_project);
  assert.equal(head.fusion.stages.at(0).out_project!.stateDict().get('weight')!.abs().sum().item(), 0);
  head.dispose();
  assert.throws(() => MODELS.build({ type: 'ANNHead', in_channels: 8, in_index: 3, channels: 4, num_classes: 3, project_channels: 2 }, { keyPath: ['decode_head'] }), /decode_head\.in_channels: expected two channel counts/);
  assert.throws(() => MODELS.build({ type: 'ANNHead', in_channels: [4, 8], in_index: [2, 3], channels: 4, num_classes: 3, project_channels: 2, input_transform: 'resize_concat' }, { keyPath: ['decode_head'] }), /unknown key 'input_transform'/);
  const ppm = new PPMConcat([1, 2]);
  assert.deepEqual(ppm.forward(torch.ones([2, 3, 4, 4])).shape, [2, 3, 5]);
});

test('ANNHead forward (eval) equals the same head in PyTorch (one and two attention stages); loss runs backward', () => {
  const inputs: Record<string, torch.Tensor> = {};
  const ys: Record<string, torch.Tensor> = {};
  let script = PY_ANN;
  for (const [i, qs] of [[0, [1]], [1, [1, 1]]] as const) {
    const head = new ANNHead({ in_channels: [5, 6], in_index: [1, 2], channels: 8, project_channels: 4, num_classes: 3, norm_cfg: bn, query_scales: [...qs], key_pool_scales: [1, 2, 3] });
    randomise(head);
    head.eval();
    const low = torch.randn([2, 5, 6, 8]);
    const high = torch.randn([2, 6, 6, 8]);
    ys[`y${i}`] = head.forward([torch.randn([2, 3, 4, 4]), low, high]);
    for (const [k, v] of Object.entries(sdInputs(head))) inputs[`m${i}${k}`] = v;
    Object.assign(inputs, { [`low${i}`]: low, [`high${i}`]: high });
    script += `
m = Head(5, 6, 8, 3, 4, [${qs.join(', ')}], [1, 2, 3]).eval()
m.load_state_dict({k[len('m${i}sd:'):]: v for k, v in inputs.items() if k.startswith('m${i}sd:')})
out['y${i}'] = m(inputs['low${i}'], inputs['high${i}'])
`;
  }
  const ref = runPyTorch(script, inputs);
  for (const [k, y] of Object.entries(ys)) assertClose(y, ref[k]!, { atol: 1e-5, rtol: 1e-4, name: k });
  const head = new ANNHead({ in_channels: [5, 6], in_index: [0, 1], channels: 8, project_channels: 4, num_classes: 3, norm_cfg: bn, key_pool_scales: [1, 2] });
  randomise(head);
  const sample = { metainfo: { ori_shape: [10, 14], img_shape: [10, 14] }, gt_sem_seg: { data: torch.randint(0, 3, [1, 10, 14]) } };
  const losses = head.loss([torch.randn([2, 5, 5, 7]), torch.randn([2, 6, 5, 7])], [sample, sample]);
  assert.deepEqual(Object.keys(losses), ['loss_ce', 'acc_seg']);
  losses.loss_ce!.backward();
  assert.ok((head.fusion.stages.at(0).value_project as torch.nn.Conv2d).weight.grad!.abs().sum().item() > 0);
});
