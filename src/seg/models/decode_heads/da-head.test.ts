// DAHead (PAM + CAM): MMSeg parameter names and shapes, forward equal to plain PyTorch, three prefixed losses, predict uses pam_cam.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { MODELS } from '../../../engine/registry/index.js';
import '../losses/index.js';
import { BN_KEYS, randomise } from './test-utils.js';
import { DAHead } from './da-head.js';

torch.manualSeed(17);
process.removeAllListeners('warning');
const bn = { type: 'BN', requires_grad: true };
const cbr = (p: string): string[] => [`${p}.conv.weight`, ...BN_KEYS.map((k) => `${p}.bn.${k}`)];
const conv = (p: string): string[] => [`${p}.weight`, `${p}.bias`];

test("DAHead built from danet_r50-d8's head settings has MMSeg's parameter names and shapes", () => {
  const head = MODELS.build<DAHead>({
    type: 'DAHead', in_channels: 2048, in_index: 3, channels: 512, pam_channels: 64, dropout_ratio: 0.1, num_classes: 19,
    norm_cfg: { type: 'SyncBN', requires_grad: true }, align_corners: false, loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 1.0 },
  });
  const sd = head.stateDict();
  assert.deepEqual([...sd.keys()], [
    ...conv('conv_seg'), ...cbr('pam_in_conv'),
    ...conv('pam.key_project'), ...conv('pam.query_project'), ...conv('pam.value_project'), 'pam.gamma.scale',
    ...cbr('pam_out_conv'), ...conv('pam_conv_seg'), ...cbr('cam_in_conv'), 'cam.gamma.scale', ...cbr('cam_out_conv'), ...conv('cam_conv_seg'),
  ]);
  const shape = (k: string): number[] => sd.get(k)!.shape;
  assert.deepEqual(shape('pam_in_conv.conv.weight'), [512, 2048, 3, 3]);
  assert.deepEqual(shape('pam.key_project.weight'), [64, 512, 1, 1]);
  assert.deepEqual(shape('pam.query_project.weight'), [64, 512, 1, 1]);
  assert.deepEqual(shape('pam.value_project.weight'), [512, 512, 1, 1]);
  assert.deepEqual(shape('pam.gamma.scale'), []);
  assert.equal(sd.get('cam.gamma.scale')!.item(), 0);
  assert.deepEqual(shape('pam_conv_seg.weight'), [19, 512, 1, 1]);
  assert.deepEqual(shape('cam_out_conv.conv.weight'), [512, 512, 3, 3]);
  assert.throws(() => MODELS.build({ type: 'DAHead', in_channels: 4, channels: 4, num_classes: 3 }, { keyPath: ['decode_head'] }), /decode_head\.pam_channels/);
  head.dispose();
});

test('DAHead forward (eval) equals the same head in PyTorch, all three outputs', () => {
  const head = new DAHead({ in_channels: 6, channels: 8, pam_channels: 4, num_classes: 3, norm_cfg: bn });
  randomise(head);
  head.eval();
  const x = torch.randn([2, 6, 5, 7]);
  const outs = head.forwardAll([x]);
  const ref = runPyTorch(`
import torch.nn as nn, torch.nn.functional as F
sd = {k[3:]: v for k, v in inputs.items() if k.startswith('sd:')}
class CM(nn.Module):
    def __init__(s, i, o):
        super().__init__(); s.conv = nn.Conv2d(i, o, 3, padding=1, bias=False); s.bn = nn.BatchNorm2d(o)
    def forward(s, x): return F.relu(s.bn(s.conv(x)))
class Scale(nn.Module):
    def __init__(s): super().__init__(); s.scale = nn.Parameter(torch.tensor(0.0))
class PAM(nn.Module):
    def __init__(s, c, k):
        super().__init__()
        s.key_project = nn.Conv2d(c, k, 1); s.query_project = nn.Conv2d(c, k, 1); s.value_project = nn.Conv2d(c, c, 1); s.gamma = Scale()
    def forward(s, x):
        n, c, h, w = x.shape
        q = s.query_project(x).reshape(n, -1, h * w).transpose(1, 2)
        k = s.key_project(x).reshape(n, -1, h * w)
        v = s.value_project(x).reshape(n, c, h * w).transpose(1, 2)
        ctx = ((q @ k).softmax(-1) @ v).transpose(1, 2).reshape(n, c, h, w)
        return ctx * s.gamma.scale + x
class CAM(nn.Module):
    def __init__(s): super().__init__(); s.gamma = Scale()
    def forward(s, x):
        n, c, h, w = x.shape
        q = x.reshape(n, c, -1)
        e = q @ q.transpose(1, 2)
        a = (e.max(-1, keepdim=True)[0] - e).softmax(-1)
        return (a @ q).reshape(n, c, h, w) * s.gamma.scale + x
class Head(nn.Module):
    def __init__(s):
        super().__init__()
        s.conv_seg = nn.Conv2d(8, 3, 1)
        s.pam_in_conv = CM(6, 8); s.pam = PAM(8, 4); s.pam_out_conv = CM(8, 8); s.pam_conv_seg = nn.Conv2d(8, 3, 1)
        s.cam_in_conv = CM(6, 8); s.cam = CAM(); s.cam_out_conv = CM(8, 8); s.cam_conv_seg = nn.Conv2d(8, 3, 1)
    def forward(s, x):
        p = s.pam_out_conv(s.pam(s.pam_in_conv(x)))
        c = s.cam_out_conv(s.cam(s.cam_in_conv(x)))
        return s.conv_seg(p + c), s.pam_conv_seg(p), s.cam_conv_seg(c)
m = Head().eval()
m.load_state_dict(sd)
out['pam_cam'], out['pam'], out['cam'] = m(x)
`, { x, ...Object.fromEntries([...head.stateDict()].map(([k, v]) => [`sd:${k}`, v])) });
  assertClose(outs[0], ref.pam_cam!, { atol: 1e-5, rtol: 1e-4, name: 'pam_cam' });
  assertClose(outs[1], ref.pam!, { atol: 1e-5, rtol: 1e-4, name: 'pam' });
  assertClose(outs[2], ref.cam!, { atol: 1e-5, rtol: 1e-4, name: 'cam' });
  // forward() and predict() use only the fused pam_cam logits (resized to the input).
  assertClose(head.forward([x]), ref.pam_cam!, { atol: 1e-5, rtol: 1e-4 });
  const pred = head.predict([x], [{ ori_shape: [10, 14], img_shape: [10, 14] }]);
  assertClose(pred, torch.F.interpolate(outs[0], { size: [10, 14], mode: 'bilinear', alignCorners: false }), { atol: 1e-6 });
  assert.ok(outs[0].sub(outs[1]).abs().max().item() > 1e-3, 'pam_cam and pam logits differ, so the predict check can fail');
});

test('DAHead loss: pam_cam / pam / cam prefixed loss_ce and acc_seg, each from its own logits; backward reaches both branches', () => {
  const head = new DAHead({ in_channels: 4, channels: 4, pam_channels: 2, num_classes: 3, norm_cfg: bn, dropout_ratio: 0 });
  randomise(head);
  const x = torch.randn([2, 4, 4, 4]);
  const samples = [0, 1].map(() => ({ metainfo: { ori_shape: [8, 8], img_shape: [8, 8] }, gt_sem_seg: { data: torch.randint(0, 3, [1, 8, 8]) } }));
  head.eval(); // deterministic BN statistics so the per-branch values can be recomputed
  const losses = head.loss([x], samples);
  assert.deepEqual(Object.keys(losses), ['pam_cam.loss_ce', 'pam_cam.acc_seg', 'pam.loss_ce', 'pam.acc_seg', 'cam.loss_ce', 'cam.acc_seg']);
  const outs = head.forwardAll([x]);
  (['pam_cam', 'pam', 'cam'] as const).forEach((prefix, i) => {
    const expected = head.lossByFeat(outs[i]!, samples).loss_ce!.item();
    assert.ok(Math.abs(losses[`${prefix}.loss_ce`]!.item() - expected) < 1e-6, prefix);
  });
  assert.notEqual(losses['pam.loss_ce']!.item(), losses['cam.loss_ce']!.item());
  head.train();
  const train = head.loss([x], samples);
  train['pam_cam.loss_ce']!.add(train['pam.loss_ce']!).add(train['cam.loss_ce']!).backward();
  assert.ok(head.pam_conv_seg.weight.grad!.abs().sum().item() > 0);
  assert.ok(head.cam_conv_seg.weight.grad!.abs().sum().item() > 0);
  assert.ok(head.pam.gamma.scale.grad!.abs().item() > 0);
});
