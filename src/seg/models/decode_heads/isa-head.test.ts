// ISAHead: MMSeg parameter names and shapes, forward (padded and unpadded maps) equal to plain PyTorch, loss gradients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { MODELS } from '../../../engine/registry/index.js';
import '../losses/index.js';
import { cmKeys, randomise, sdInputs, PY_CONV_MODULE } from './test-utils.js';
import { ISAHead } from './isa-head.js';
import type { SegDataSample } from '../../structures/seg-data-sample.js';

torch.manualSeed(31);
process.removeAllListeners('warning');
const bn = { type: 'BN', requires_grad: true };

const relationKeys = (p: string): string[] => [
  ...cmKeys(`${p}.key_project.0`), ...cmKeys(`${p}.key_project.1`), ...cmKeys(`${p}.query_project.0`), ...cmKeys(`${p}.query_project.1`),
  `${p}.value_project.weight`, `${p}.value_project.bias`, ...cmKeys(`${p}.output_project`),
];

test("ISAHead built from isanet_r50-d8's head settings has MMSeg's parameter names and shapes", () => {
  const head = MODELS.build<ISAHead>({
    type: 'ISAHead', in_channels: 2048, in_index: 3, channels: 512, isa_channels: 256, down_factor: [8, 8], dropout_ratio: 0.1,
    num_classes: 19, norm_cfg: { type: 'SyncBN', requires_grad: true }, align_corners: false,
    loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 1.0 },
  });
  const sd = head.stateDict();
  assert.deepEqual([...sd.keys()], [
    'conv_seg.weight', 'conv_seg.bias', ...cmKeys('in_conv'), ...relationKeys('global_relation'), ...relationKeys('local_relation'), ...cmKeys('out_conv'),
  ]);
  const shapes: [string, number[]][] = [
    ['conv_seg.weight', [19, 512, 1, 1]], ['in_conv.conv.weight', [512, 2048, 3, 3]],
    ['global_relation.key_project.0.conv.weight', [256, 512, 1, 1]], ['global_relation.key_project.1.conv.weight', [256, 256, 1, 1]],
    ['local_relation.query_project.0.conv.weight', [256, 512, 1, 1]], ['local_relation.value_project.weight', [512, 512, 1, 1]],
    ['local_relation.value_project.bias', [512]], ['global_relation.output_project.conv.weight', [512, 512, 1, 1]],
    ['out_conv.conv.weight', [512, 1024, 1, 1]], ['out_conv.bn.running_var', [512]],
  ];
  for (const [k, s] of shapes) assert.deepEqual(sd.get(k)!.shape, s, k);
  assert.deepEqual(head.downFactor, [8, 8]);
  head.dispose();
});

test('ISAHead options: isa_channels is required, down_factor must be two positive integers, multiple inputs are rejected', () => {
  assert.throws(() => MODELS.build({ type: 'ISAHead', in_channels: 4, channels: 4, num_classes: 3 }, { keyPath: ['decode_head'] }), /decode_head\.isa_channels/);
  assert.throws(() => MODELS.build({ type: 'ISAHead', in_channels: 4, channels: 4, num_classes: 3, isa_channels: 2, down_factor: [0, 2] }, { keyPath: ['decode_head'] }), /decode_head\.down_factor\.0/);
  assert.throws(() => new ISAHead({ in_channels: [4, 4], in_index: [0, 1], input_transform: 'multiple_select', channels: 4, num_classes: 3, isa_channels: 2 }), /input_transform: ISAHead needs one input/);
});

const PY_ISA = `${PY_CONV_MODULE}
import math
class SAB(nn.Module):
    def __init__(s, c, ic):
        super().__init__()
        s.ic = ic
        s.key_project = nn.Sequential(CM(c, ic), CM(ic, ic)); s.query_project = nn.Sequential(CM(c, ic), CM(ic, ic))
        s.value_project = nn.Conv2d(c, c, 1); s.output_project = CM(c, c)
    def forward(s, x):
        n, _, h, w = x.shape
        q = s.query_project(x).reshape(n, s.ic, -1).permute(0, 2, 1)
        k = s.key_project(x).reshape(n, s.ic, -1)
        v = s.value_project(x).reshape(n, x.shape[1], -1).permute(0, 2, 1)
        a = F.softmax(torch.matmul(q, k) * s.ic ** -0.5, dim=-1)
        return s.output_project(torch.matmul(a, v).permute(0, 2, 1).reshape(n, -1, h, w))
class Head(nn.Module):
    def __init__(s, cin, c, ic, k, df):
        super().__init__()
        s.df = df
        s.conv_seg = nn.Conv2d(c, k, 1); s.in_conv = CM(cin, c, 3, 1)
        s.global_relation = SAB(c, ic); s.local_relation = SAB(c, ic); s.out_conv = CM(2 * c, c)
    def forward(s, x):
        x = s.in_conv(x); res = x
        n, c, h, w = x.shape
        lh, lw = s.df; gh, gw = math.ceil(h / lh), math.ceil(w / lw)
        ph, pw = gh * lh - h, gw * lw - w
        x = F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))
        x = s.global_relation(x.view(n, c, gh, lh, gw, lw).permute(0, 3, 5, 1, 2, 4).reshape(-1, c, gh, gw))
        x = s.local_relation(x.view(n, lh, lw, c, gh, gw).permute(0, 4, 5, 3, 1, 2).reshape(-1, c, lh, lw))
        x = x.view(n, gh, gw, c, lh, lw).permute(0, 3, 1, 4, 2, 5).reshape(n, c, gh * lh, gw * lw)
        x = x[:, :, ph // 2:ph // 2 + h, pw // 2:pw // 2 + w]
        return s.conv_seg(s.out_conv(torch.cat([x, res], 1)))
`;

test('ISAHead forward (eval; a map padded unevenly and one divisible by down_factor) equals the same head in PyTorch', () => {
  const cases: { df: [number, number]; hw: [number, number] }[] = [{ df: [3, 2], hw: [7, 5] }, { df: [2, 3], hw: [4, 6] }];
  const inputs: Record<string, torch.Tensor> = {};
  const ys: torch.Tensor[] = [];
  let script = PY_ISA;
  cases.forEach(({ df, hw }, i) => {
    const head = new ISAHead({ in_channels: 5, channels: 6, isa_channels: 4, down_factor: df, num_classes: 3, norm_cfg: bn });
    randomise(head);
    head.eval();
    const x = torch.randn([2, 5, ...hw]);
    ys.push(head.forward([x]));
    Object.assign(inputs, sdInputs(head, `m${i}`), { [`x${i}`]: x });
    script += `
m = Head(5, 6, 4, 3, (${df.join(', ')})).eval()
m.load_state_dict({k[len('m${i}sd:'):]: v for k, v in inputs.items() if k.startswith('m${i}sd:')})
out['y${i}'] = m(inputs['x${i}'])
`;
  });
  const ref = runPyTorch(script, inputs);
  ys.forEach((y, i) => {
    assert.deepEqual(y.shape, [2, 3, ...cases[i]!.hw]);
    assertClose(y, ref[`y${i}`]!, { atol: 1e-5, rtol: 1e-4, name: `case ${i}` });
  });
});

test('ISAHead loss: loss_ce + acc_seg, and both relations get gradients', () => {
  const head = new ISAHead({ in_channels: 4, channels: 6, isa_channels: 3, down_factor: [2, 2], num_classes: 3, norm_cfg: bn });
  const x = [torch.randn([2, 4, 5, 5])];
  const samples: SegDataSample[] = [0, 1].map(() => ({ metainfo: { ori_shape: [10, 10], img_shape: [10, 10] }, gt_sem_seg: { data: torch.randint(0, 3, [1, 10, 10]) } }));
  const losses = head.loss(x, samples, {});
  assert.deepEqual(Object.keys(losses), ['loss_ce', 'acc_seg']);
  losses.loss_ce!.backward();
  for (const rel of [head.global_relation, head.local_relation]) {
    const g = rel.key_project.namedParameters()[0]![1].grad;
    assert.ok(g && g.abs().sum().item() > 0, 'the relation gets a gradient');
  }
});
