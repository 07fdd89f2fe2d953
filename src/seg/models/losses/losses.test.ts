// Decode losses against MMSeg's reference values and plain-PyTorch formulations of the same maths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { MODELS } from '../../../engine/registry/index.js';
import { accuracy, CrossEntropyLoss, DiceLoss, FocalLoss, LovaszLoss, getClassWeight, type DecodeLoss } from './index.js';

const REF = '/work/shared/reference/2e_metric_refs.json';
const close = (a: number, b: number, tol = 1e-6): void => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

test('CrossEntropyLoss equals MMSeg reference (mean over all pixels vs avg_non_ignore) and acc_seg too', () => {
  const ref = JSON.parse(readFileSync(REF, 'utf8')).cross_entropy_loss;
  const logits = torch.tensor(ref.inputs.logits, { dtype: 'float32' });
  const target = torch.tensor(ref.inputs.target, { dtype: 'int64' });
  const all = new CrossEntropyLoss().forward(logits, target, { ignoreIndex: 255 });
  const nonIgnore = new CrossEntropyLoss({ avg_non_ignore: true }).forward(logits, target, { ignoreIndex: 255 });
  close(all.item(), ref['avg_non_ignore=False']);
  close(nonIgnore.item(), ref['avg_non_ignore=True']);
  close(accuracy(logits, target, 1, { ignoreIndex: 255 }).item(), ref.accuracy_top1_ignore255, 1e-6);
  assert.deepEqual(accuracy(logits, target, 1, { ignoreIndex: 255 }).shape, [1]);
});

torch.manualSeed(11);
const C = 4;
const x = torch.randn([2, C, 5, 6]);
const xb = torch.randn([2, 1, 5, 6]);
const y = torch.randint(0, C, [2, 5, 6]);
torch.noGrad(() => y.indexPut_([torch.tensor([0, 0, 1], { dtype: 'int64' }), torch.tensor([0, 1, 4], { dtype: 'int64' })], torch.full([], 255, { dtype: 'int64' })));
const yb = y.where(y.eq(255), y.remainder(2));
const w = torch.rand([2, 5, 6]).gt(0.3).float();

const reference = runPyTorch(`
import torch.nn.functional as F
eps = torch.finfo(torch.float32).eps
C = x.shape[1]
valid = (y != 255)
nvalid = valid.sum().item()
cw = torch.tensor([1.0, 2.0, 0.5, 1.5])
out['ce_cw'] = F.cross_entropy(x, y, weight=cw, reduction='none', ignore_index=255).mean() * 0.4
out['ce_w_nonignore'] = (F.cross_entropy(x, y, reduction='none', ignore_index=255) * w).sum() / (nvalid + eps)
out['ce_none'] = F.cross_entropy(x, y, reduction='none', ignore_index=255)
vb = (yb != 255).float()
out['bce_binary'] = (F.binary_cross_entropy_with_logits(xb.squeeze(1), yb.float(), reduction='none') * vb).mean()
onehot = F.one_hot(torch.where(valid, y, torch.zeros_like(y)), C).permute(0, 3, 1, 2).float() * valid[:, None]
out['bce_multi'] = (F.binary_cross_entropy_with_logits(x, onehot, reduction='none') * valid[:, None].float()).sum() / (nvalid * C + eps)
t = F.one_hot(torch.clamp(y, 0, C), C + 1)[..., :C].permute(0, 3, 1, 2).float()
def dice(p, naive, e=1e-3):
    p = p.flatten(1); tt = t.flatten(1)
    a = (p * tt).sum(1)
    if naive:
        d = (2 * a + e) / (p.sum(1) + tt.sum(1) + e)
    else:
        d = 2 * a / ((p * p).sum(1) + e + (tt * tt).sum(1) + e)
    return 1 - d
out['dice_sigmoid'] = dice(x.sigmoid(), False).mean()
out['dice_softmax_naive_sum'] = dice(x.softmax(1), True).sum() * 3
pf = x.transpose(0, 1).reshape(C, -1).t()
lab = y.reshape(-1)
vm = (lab != 255).float()[:, None]
tf = F.one_hot(torch.where(lab == 255, torch.zeros_like(lab), lab), C).float()
s = pf.sigmoid()
def focal(alpha):
    fw = (alpha * tf + (1 - alpha) * (1 - tf)) * ((1 - s) * tf + s * (1 - tf)) ** 2
    return F.binary_cross_entropy_with_logits(pf, tf, reduction='none') * fw * vm
out['focal'] = focal(0.5).mean()
out['focal_alpha_list'] = focal(torch.tensor([0.25, 0.5, 0.75, 0.5])).mean()
def lovasz_grad(g):
    gts = g.sum()
    inter = gts - g.cumsum(0)
    union = gts + (1 - g).cumsum(0)
    j = 1 - inter / union
    j[1:] = j[1:] - j[:-1].clone()
    return j
probs = x.softmax(1).permute(0, 2, 3, 1).reshape(-1, C)[lab != 255]
lv = lab[lab != 255]
losses = []
for c in range(C):
    fg = (lv == c).float()
    if fg.sum() == 0:
        continue
    e = (fg - probs[:, c]).abs()
    es, perm = torch.sort(e, 0, descending=True)
    losses.append(torch.dot(es, lovasz_grad(fg[perm])))
out['lovasz'] = torch.stack(losses).mean()
`, { x, xb, y, yb, w });

const loss = (cfg: Record<string, unknown>): DecodeLoss => MODELS.build<DecodeLoss>(cfg, { keyPath: ['loss_decode'] });

test('CrossEntropyLoss with class_weight and loss_weight averages over all pixels, as MMSeg', () => {
  const l = loss({ type: 'CrossEntropyLoss', class_weight: [1, 2, 0.5, 1.5], loss_weight: 0.4 });
  assertClose(l.forward(x, y, { ignoreIndex: 255 }), reference.ce_cw!.float(), { rtol: 1e-5 });
  assert.equal(l.lossName, 'loss_ce');
});

test('CrossEntropyLoss with a pixel weight (OHEM) and avg_non_ignore divides by non-ignored pixels; reduction none keeps the map', () => {
  const l = loss({ type: 'CrossEntropyLoss', avg_non_ignore: true });
  assertClose(l.forward(x, y, { weight: w, ignoreIndex: 255 }), reference.ce_w_nonignore!.float(), { rtol: 1e-5 });
  assertClose(l.forward(x, y, { ignoreIndex: 255, reductionOverride: 'none' }), reference.ce_none!.float(), { rtol: 1e-5, atol: 1e-6 });
});

test('CrossEntropyLoss use_sigmoid: binary [N, 1, H, W] and one-hot multi-class forms, ignore masked', () => {
  const bin = loss({ type: 'CrossEntropyLoss', use_sigmoid: true });
  assertClose(bin.forward(xb, yb, { ignoreIndex: 255 }), reference.bce_binary!.float(), { rtol: 1e-5 });
  const multi = loss({ type: 'CrossEntropyLoss', use_sigmoid: true, avg_non_ignore: true });
  assertClose(multi.forward(x, y, { ignoreIndex: 255 }), reference.bce_multi!.float(), { rtol: 1e-5 });
  assert.throws(() => bin.forward(xb, y, { ignoreIndex: 255 }), /at most 2 classes/);
});

test('CrossEntropyLoss class_weight from .json and .npy files; bad options name the key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-cw-'));
  writeFileSync(join(dir, 'w.json'), '[1, 2, 3]');
  assert.deepEqual(getClassWeight(join(dir, 'w.json')), [1, 2, 3]);
  const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  const padded = header.padEnd(118, ' ') + '\n';
  const npy = Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0]), Buffer.from(new Uint16Array([padded.length]).buffer), Buffer.from(padded, 'latin1'), Buffer.from(new Float32Array([0.5, 2]).buffer)]);
  writeFileSync(join(dir, 'w.npy'), npy);
  assert.deepEqual(new CrossEntropyLoss({ class_weight: join(dir, 'w.npy') }).classWeight, [0.5, 2]);
  assert.throws(() => loss({ type: 'CrossEntropyLoss', use_sigmoid: true, use_mask: true }), /loss_decode\.use_mask: use_sigmoid and use_mask/);
  assert.throws(() => loss({ type: 'CrossEntropyLoss', reduction: 'avg' }), /loss_decode\.reduction: expected/);
});

test('DiceLoss (v2: sigmoid by default, squared denominators; naive form with softmax) equals PyTorch', () => {
  assertClose(loss({ type: 'DiceLoss' }).forward(x, y, { ignoreIndex: 255 }), reference.dice_sigmoid!.float(), { rtol: 1e-5 });
  const naive = loss({ type: 'DiceLoss', use_sigmoid: false, naive_dice: true, reduction: 'sum', loss_weight: 3 });
  assertClose(naive.forward(x, y), reference.dice_softmax_naive_sum!.float(), { rtol: 1e-5 });
  assert.equal(naive.lossName, 'loss_dice');
});

test('FocalLoss (sigmoid, gamma 2, alpha scalar or per class) masks ignored pixels as MMSeg', () => {
  assertClose(loss({ type: 'FocalLoss' }).forward(x, y, { ignoreIndex: 255 }), reference.focal!.float(), { rtol: 1e-5 });
  assertClose(loss({ type: 'FocalLoss', alpha: [0.25, 0.5, 0.75, 0.5] }).forward(x, y, { ignoreIndex: 255 }), reference.focal_alpha_list!.float(), { rtol: 1e-5 });
  const none = loss({ type: 'FocalLoss' }).forward(x, y, { ignoreIndex: 255, reductionOverride: 'none' });
  assert.deepEqual(none.shape, [2, C, 5, 6]);
  assert.equal(none.select(0, 0).select(1, 0).select(1, 0).sum().item(), 0);
});

test("LovaszLoss multi_class ('present' classes, whole batch) equals the Lovasz-softmax reference", () => {
  const l = loss({ type: 'LovaszLoss', reduction: 'none' });
  assertClose(l.forward(x, y, { ignoreIndex: 255 }), reference.lovasz!.float(), { rtol: 1e-5 });
  assert.throws(() => loss({ type: 'LovaszLoss' }), /reduction: should be 'none' when per_image is false/);
  const perImage = loss({ type: 'LovaszLoss', per_image: true }).forward(x, y, { ignoreIndex: 255 });
  assert.equal(perImage.ndim, 0);
  const hinge = loss({ type: 'LovaszLoss', loss_type: 'binary', reduction: 'none' }).forward(xb, yb, { ignoreIndex: 255 });
  assert.ok(hinge.item() > 0);
});

test('accuracy: top-k and thresh, ignored pixels excluded', () => {
  const pred = torch.tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.35, 0.45], [0.2, 0.6, 0.2]]);
  const target = torch.tensor([1, 1, 0, 255], { dtype: 'int64' });
  const [top1, top2] = accuracy(pred, target, [1, 2], { ignoreIndex: 255 });
  close(top1!.item(), 100 / 3, 1e-5);
  close(top2!.item(), 200 / 3, 1e-5);
  close(accuracy(pred, target, 1, { thresh: 0.6, ignoreIndex: 255 }).item(), 100 / 3, 1e-5);
  close(accuracy(pred, target, 1, { thresh: 0.8, ignoreIndex: 255 }).item(), 0, 1e-5);
});

test('losses backpropagate to the logits', () => {
  const logits = x.clone().requiresGrad_(true);
  const total = new CrossEntropyLoss().forward(logits, y, { ignoreIndex: 255 }).add(new DiceLoss().forward(logits, y)).add(new FocalLoss().forward(logits, y, { ignoreIndex: 255 }))
    .add(new LovaszLoss({ reduction: 'none' }).forward(logits, y, { ignoreIndex: 255 }));
  total.backward();
  const g = logits.grad!;
  assert.ok(g.abs().sum().item() > 0);
  assert.ok(g.isfinite().all().item() === 1);
});
