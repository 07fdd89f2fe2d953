// FPNHead: MMSeg parameter names and shapes (sem_fpn settings), forward equal to plain PyTorch, config errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { ConfigError } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import '../losses/index.js';
import { Upsample } from '../utils/upsample.js';
import { FPNHead } from './fpn-head.js';

torch.manualSeed(19);
process.removeAllListeners('warning');
const bn = { type: 'BN', requires_grad: true };
const BN_KEYS = ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'];
const cbr = (p: string): string[] => [`${p}.conv.weight`, ...BN_KEYS.map((k) => `${p}.bn.${k}`)];

test("FPNHead built from fpn_r50's head settings has MMSeg's parameter names and shapes", () => {
  const head = MODELS.build<FPNHead>({
    type: 'FPNHead', in_channels: [256, 256, 256, 256], in_index: [0, 1, 2, 3], feature_strides: [4, 8, 16, 32], channels: 128,
    dropout_ratio: 0.1, num_classes: 19, norm_cfg: { type: 'SyncBN', requires_grad: true }, align_corners: false,
    loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 1.0 },
  });
  const sd = head.stateDict();
  assert.deepEqual([...sd.keys()], [
    'conv_seg.weight', 'conv_seg.bias', ...cbr('scale_heads.0.0'), ...cbr('scale_heads.1.0'),
    ...cbr('scale_heads.2.0'), ...cbr('scale_heads.2.2'), ...cbr('scale_heads.3.0'), ...cbr('scale_heads.3.2'), ...cbr('scale_heads.3.4'),
  ]);
  assert.deepEqual(sd.get('scale_heads.0.0.conv.weight')!.shape, [128, 256, 3, 3]);
  assert.deepEqual(sd.get('scale_heads.3.4.conv.weight')!.shape, [128, 128, 3, 3]);
  assert.deepEqual(sd.get('conv_seg.weight')!.shape, [19, 128, 1, 1]);
  assert.equal(head.inputTransform, 'multiple_select');
  const up = head.getSubmodule('scale_heads.3.5');
  assert.ok(up instanceof Upsample && up.scaleFactor === 2 && up.mode === 'bilinear');
  assert.equal(head.scale_heads.toArray()[0]!.children().length, 1, 'the finest level has no Upsample');
  head.dispose();
});

test('FPNHead forward (eval) equals the same head in PyTorch, with odd sizes and align_corners', () => {
  for (const alignCorners of [false, true]) {
    const head = new FPNHead({ in_channels: [3, 4, 5], in_index: [1, 2, 3], feature_strides: [4, 8, 16], channels: 6, num_classes: 3, norm_cfg: bn, align_corners: alignCorners });
    torch.noGrad(() => {
      for (const [, p] of head.namedParameters()) p.copy_(torch.randn(p.shape).mul(0.3));
      for (const [name, b] of head.namedBuffers()) if (name.endsWith('running_var')) b.copy_(torch.rand(b.shape).add(0.5));
    });
    head.eval();
    const xs = [torch.randn([2, 2, 20, 20]), torch.randn([2, 3, 11, 9]), torch.randn([2, 4, 6, 5]), torch.randn([2, 5, 3, 3])];
    const y = head.forward(xs);
    assert.deepEqual(y.shape, [2, 3, 11, 9]);
    const ref = runPyTorch(`
import torch.nn as nn, torch.nn.functional as F
ac = ${alignCorners ? 'True' : 'False'}
sd = {k[3:]: v for k, v in inputs.items() if k.startswith('sd:')}
class CM(nn.Module):
    def __init__(s, i, o):
        super().__init__(); s.conv = nn.Conv2d(i, o, 3, padding=1, bias=False); s.bn = nn.BatchNorm2d(o)
    def forward(s, x): return F.relu(s.bn(s.conv(x)))
class Up(nn.Module):
    def forward(s, x): return F.interpolate(x, size=[int(t * 2.0) for t in x.shape[-2:]], mode='bilinear', align_corners=ac)
class Head(nn.Module):
    def __init__(s):
        super().__init__()
        s.conv_seg = nn.Conv2d(6, 3, 1)
        s.scale_heads = nn.ModuleList([nn.Sequential(CM(3, 6)), nn.Sequential(CM(4, 6), Up()), nn.Sequential(CM(5, 6), Up(), CM(6, 6), Up())])
    def forward(s, xs):
        o = s.scale_heads[0](xs[0])
        for i in (1, 2): o = o + F.interpolate(s.scale_heads[i](xs[i]), size=o.shape[2:], mode='bilinear', align_corners=ac)
        return s.conv_seg(o)
m = Head().eval()
m.load_state_dict(sd)
out['y'] = m([x1, x2, x3])
`, { x1: xs[1]!, x2: xs[2]!, x3: xs[3]!, ...Object.fromEntries([...head.stateDict()].map(([k, v]) => [`sd:${k}`, v])) });
    assertClose(y, ref.y!, { atol: 1e-5, rtol: 1e-4, name: `align_corners ${alignCorners}` });
  }
});

test('FPNHead loss runs backward through every level; config errors name the key', () => {
  const head = new FPNHead({ in_channels: [2, 2], in_index: [0, 1], feature_strides: [8, 16], channels: 4, num_classes: 3 });
  const xs = [torch.randn([1, 2, 4, 4]), torch.randn([1, 2, 2, 2])];
  const losses = head.loss(xs, [{ metainfo: { ori_shape: [32, 32], img_shape: [32, 32] }, gt_sem_seg: { data: torch.randint(0, 3, [1, 32, 32]) } }]);
  assert.deepEqual(Object.keys(losses), ['loss_ce', 'acc_seg']);
  losses.loss_ce!.backward();
  assert.ok((head.getSubmodule('scale_heads.1.0.conv') as torch.nn.Conv2d).weight.grad!.abs().sum().item() > 0);
  assert.throws(() => new FPNHead({ in_channels: [2, 2], in_index: [0, 1], feature_strides: [4], channels: 4, num_classes: 3 }),
    (e: unknown) => e instanceof ConfigError && /feature_strides/.test(e.message));
  assert.throws(() => new FPNHead({ in_channels: [2, 2], in_index: [0, 1], feature_strides: [8, 4], channels: 4, num_classes: 3 }), /smallest stride/);
  assert.throws(() => MODELS.build({ type: 'FPNHead', in_channels: [2], in_index: [0], feature_strides: [4], channels: 4, num_classes: 3, input_transform: 'resize_concat' }, { keyPath: ['decode_head'] }),
    /decode_head: unknown key 'input_transform'/);
});
