// OCRHead and SelfAttentionBlock: MMSeg parameter names and shapes, forward (with the previous logits) equal to plain PyTorch, loss/predict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { MODELS } from '../../../engine/registry/index.js';
import '../losses/index.js';
import { BN_KEYS, randomise } from './test-utils.js';
import { SelfAttentionBlock } from '../utils/self-attention-block.js';
import { OCRHead } from './ocr-head.js';
import type { SegDataSample } from '../../structures/seg-data-sample.js';

torch.manualSeed(21);
process.removeAllListeners('warning');
const bn = { type: 'BN', requires_grad: true };

/** randomise's statistics with weights N(0, 0.6): with std 0.3 the stacked ReLU ConvModules leave the attention path almost without effect. */
function randomiseStrong(m: torch.nn.Module): void {
  randomise(m);
  torch.noGrad(() => { for (const [, p] of m.namedParameters()) p.copy_(torch.randn(p.shape).mul(0.6)); });
}
const cm = (p: string): string[] => [`${p}.conv.weight`, ...BN_KEYS.map((k) => `${p}.bn.${k}`)];

test("OCRHead built from ocrnet_hr18's head settings has MMSeg's parameter names and shapes", () => {
  const head = MODELS.build<OCRHead>({
    type: 'OCRHead', in_channels: [18, 36, 72, 144], in_index: [0, 1, 2, 3], input_transform: 'resize_concat', channels: 512, ocr_channels: 256,
    dropout_ratio: -1, num_classes: 19, norm_cfg: { type: 'SyncBN', requires_grad: true }, align_corners: false,
    loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 1.0 },
  });
  const sd = head.stateDict();
  const ocb = 'object_context_block';
  assert.deepEqual([...sd.keys()], [
    'conv_seg.weight', 'conv_seg.bias',
    ...cm(`${ocb}.key_project.0`), ...cm(`${ocb}.key_project.1`), ...cm(`${ocb}.query_project.0`), ...cm(`${ocb}.query_project.1`),
    ...cm(`${ocb}.value_project`), ...cm(`${ocb}.out_project`), ...cm(`${ocb}.bottleneck`), ...cm('bottleneck'),
  ]);
  const shapes: [string, number[]][] = [
    ['conv_seg.weight', [19, 512, 1, 1]], [`${ocb}.key_project.0.conv.weight`, [256, 512, 1, 1]], [`${ocb}.key_project.1.conv.weight`, [256, 256, 1, 1]],
    [`${ocb}.query_project.0.conv.weight`, [256, 512, 1, 1]], [`${ocb}.value_project.conv.weight`, [256, 512, 1, 1]],
    [`${ocb}.out_project.conv.weight`, [512, 256, 1, 1]], [`${ocb}.out_project.bn.weight`, [512]],
    [`${ocb}.bottleneck.conv.weight`, [512, 1024, 1, 1]], ['bottleneck.conv.weight', [512, 270, 3, 3]], ['bottleneck.bn.running_var', [512]],
  ];
  for (const [k, s] of shapes) assert.deepEqual(sd.get(k)!.shape, s, k);
  assert.equal(head.dropout, null);
  head.dispose();
});

test('OCRHead options: scale above 1 and a missing previous output are rejected with the key / method named', () => {
  assert.throws(() => MODELS.build({ type: 'OCRHead', in_channels: 4, channels: 4, ocr_channels: 2, num_classes: 3, scale: 2 }, { keyPath: ['decode_head', 1] }), /decode_head\.1\.scale: values above 1/);
  assert.throws(() => MODELS.build({ type: 'OCRHead', in_channels: 4, channels: 4, num_classes: 3 }, { keyPath: ['decode_head', 1] }), /decode_head\.1\.ocr_channels/);
  const head = new OCRHead({ in_channels: 4, channels: 4, ocr_channels: 2, num_classes: 3 });
  assert.throws(() => head.forward([torch.randn([1, 4, 3, 3])]), /OCRHead\.forward: a cascade decode head needs the previous head's output/);
  assert.throws(() => head.predict([torch.randn([1, 4, 3, 3])], [{ ori_shape: [3, 3], img_shape: [3, 3] }]), /OCRHead\.predict: a cascade/);
});

const PY_OCR = `
import torch.nn as nn, torch.nn.functional as F
class CM(nn.Module):
    def __init__(s, i, o, k=1):
        super().__init__(); s.conv = nn.Conv2d(i, o, k, padding=k // 2, bias=False); s.bn = nn.BatchNorm2d(o)
    def forward(s, x): return F.relu(s.bn(s.conv(x)))
class OAB(nn.Module):
    def __init__(s, c, oc):
        super().__init__()
        s.oc = oc
        s.key_project = nn.Sequential(CM(c, oc), CM(oc, oc)); s.query_project = nn.Sequential(CM(c, oc), CM(oc, oc))
        s.value_project = CM(c, oc); s.out_project = CM(oc, c); s.bottleneck = CM(2 * c, c)
    def forward(s, q, k):
        n, _, h, w = q.shape
        query = s.query_project(q).reshape(n, s.oc, -1).permute(0, 2, 1)
        key = s.key_project(k).reshape(n, s.oc, -1)
        value = s.value_project(k).reshape(n, s.oc, -1).permute(0, 2, 1)
        sim = F.softmax(s.oc ** -0.5 * torch.matmul(query, key), dim=-1)
        ctx = torch.matmul(sim, value).permute(0, 2, 1).reshape(n, -1, h, w)
        return s.bottleneck(torch.cat([s.out_project(ctx), q], 1))
class Head(nn.Module):
    def __init__(s, cin, c, oc, k, scale):
        super().__init__()
        s.scale = scale
        s.conv_seg = nn.Conv2d(c, k, 1); s.object_context_block = OAB(c, oc); s.bottleneck = CM(cin, c, 3)
    def forward(s, xs, prev):
        size = xs[0].shape[2:]
        x = torch.cat([xs[0]] + [F.interpolate(t, size=size, mode='bilinear', align_corners=False) for t in xs[1:]], 1)
        feats = s.bottleneck(x)
        n, c = feats.shape[:2]
        probs = F.softmax(s.scale * prev.reshape(n, prev.shape[1], -1), dim=2)
        context = torch.matmul(probs, feats.reshape(n, c, -1).permute(0, 2, 1)).permute(0, 2, 1).unsqueeze(3)
        return s.conv_seg(s.object_context_block(feats, context))
`;

test('OCRHead forward (eval; resize_concat inputs, scale 1 and 0.5) equals the same head in PyTorch', () => {
  const inputs: Record<string, torch.Tensor> = {};
  const ys: torch.Tensor[] = [];
  let script = PY_OCR;
  [1, 0.5].forEach((scale, i) => {
    const head = new OCRHead({ in_channels: [3, 5], in_index: [0, 1], input_transform: 'resize_concat', channels: 8, ocr_channels: 6, num_classes: 4, scale, norm_cfg: bn });
    randomiseStrong(head);
    head.eval();
    const xs = [torch.randn([2, 3, 6, 7]), torch.randn([2, 5, 3, 4])];
    const prev = torch.randn([2, 4, 6, 7]).mul(2);
    ys.push(head.forward(xs, prev));
    for (const [k, v] of head.stateDict()) inputs[`m${i}sd:${k}`] = v;
    Object.assign(inputs, { [`a${i}`]: xs[0]!, [`b${i}`]: xs[1]!, [`p${i}`]: prev });
    script += `
m = Head(8, 8, 6, 4, ${scale}).eval()
m.load_state_dict({k[5:]: v for k, v in inputs.items() if k.startswith('m${i}sd:')})
out['y${i}'] = m([inputs['a${i}'], inputs['b${i}']], inputs['p${i}'])
`;
  });
  const ref = runPyTorch(script, inputs);
  ys.forEach((y, i) => assertClose(y, ref[`y${i}`]!, { atol: 1e-5, rtol: 1e-4, name: `scale case ${i}` }));
});

test('OCRHead loss and predict take the previous output: loss_ce + acc_seg with gradients; predict resizes to pad_shape', () => {
  const head = new OCRHead({ in_channels: 6, channels: 8, ocr_channels: 4, num_classes: 3, norm_cfg: bn });
  const x = [torch.randn([2, 6, 4, 5])];
  const prev = torch.randn([2, 3, 4, 5]);
  const samples: SegDataSample[] = [0, 1].map(() => ({ metainfo: { ori_shape: [8, 10], img_shape: [8, 10] }, gt_sem_seg: { data: torch.randint(0, 3, [1, 8, 10]) } }));
  const losses = head.loss(x, prev, samples, {});
  assert.deepEqual(Object.keys(losses), ['loss_ce', 'acc_seg']);
  losses.loss_ce!.backward();
  const g = head.object_context_block.key_project.namedParameters()[0]![1].grad;
  assert.ok(g && g.abs().sum().item() > 0, 'the object attention gets a gradient');
  head.eval();
  const pred = torch.noGrad(() => head.predict(x, prev, [{ ori_shape: [7, 9], img_shape: [7, 9], pad_shape: [8, 10] }], {}));
  assert.deepEqual(pred.shape, [2, 3, 8, 10]);
  assert.throws(() => head.loss(x, samples, {}), /OCRHead\.loss: a cascade decode head needs/);
});

test('SelfAttentionBlock: plain-conv projections start with a zero out_project; shared key/query list both names; channel checks', () => {
  const plain = new SelfAttentionBlock({
    key_in_channels: 4, query_in_channels: 6, channels: 3, out_channels: 5, share_key_query: false, key_query_num_convs: 1, value_out_num_convs: 1,
    key_query_norm: false, value_out_norm: false, matmul_norm: false, with_out: true,
  });
  assert.deepEqual([...plain.stateDict().keys()], ['key_project', 'query_project', 'value_project', 'out_project'].flatMap((p) => [`${p}.weight`, `${p}.bias`]));
  assert.deepEqual(plain.stateDict().get('query_project.weight')!.shape, [3, 6, 1, 1]);
  const out = plain.forward(torch.randn([1, 6, 3, 2]), torch.randn([1, 4, 5, 1]));
  assert.deepEqual(out.shape, [1, 5, 3, 2]);
  assert.equal(out.abs().sum().item(), 0);
  const shared = new SelfAttentionBlock({
    key_in_channels: 4, query_in_channels: 4, channels: 3, out_channels: 4, share_key_query: true, key_query_num_convs: 2, value_out_num_convs: 1,
    key_query_norm: false, value_out_norm: false, matmul_norm: true, with_out: false,
  });
  assert.equal(shared.query_project, shared.key_project);
  assert.ok(shared.stateDict().has('query_project.1.weight') && shared.stateDict().has('key_project.1.weight'));
  assert.deepEqual(shared.stateDict().get('value_project.weight')!.shape, [4, 4, 1, 1]);
  assert.throws(() => new SelfAttentionBlock({
    key_in_channels: 4, query_in_channels: 6, channels: 3, out_channels: 4, share_key_query: true, key_query_num_convs: 1, value_out_num_convs: 1,
    key_query_norm: false, value_out_norm: false, matmul_norm: true, with_out: false,
  }), /query_in_channels: share_key_query needs/);
});
