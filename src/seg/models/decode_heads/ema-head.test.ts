// EMAHead and EMAModule: MMSeg parameter names and shapes, forward (eval, and training with the bases update) equal to plain PyTorch, gradients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { MODELS } from '../../../engine/registry/index.js';
import '../losses/index.js';
import { BN_KEYS, cmKeys, randomise, sdInputs, PY_CONV_MODULE } from './test-utils.js';
import { EMAHead, EMAModule } from './ema-head.js';
import type { SegDataSample } from '../../structures/seg-data-sample.js';

torch.manualSeed(41);
process.removeAllListeners('warning');
const bn = { type: 'BN', requires_grad: true };

test("EMAHead built from emanet_r50-d8's head settings has MMSeg's parameter and buffer names and shapes", () => {
  const head = MODELS.build<EMAHead>({
    type: 'EMAHead', in_channels: 2048, in_index: 3, channels: 256, ema_channels: 512, num_bases: 64, num_stages: 3, momentum: 0.1,
    dropout_ratio: 0.1, num_classes: 19, norm_cfg: { type: 'SyncBN', requires_grad: true }, align_corners: false,
    loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 1.0 },
  });
  const sd = head.stateDict();
  assert.deepEqual([...sd.keys()], [
    'conv_seg.weight', 'conv_seg.bias', 'ema_module.bases', ...cmKeys('ema_in_conv'), 'ema_mid_conv.conv.weight', 'ema_mid_conv.conv.bias',
    'ema_out_conv.conv.weight', ...BN_KEYS.map((k) => `ema_out_conv.bn.${k}`), ...cmKeys('bottleneck'), ...cmKeys('conv_cat'),
  ]);
  const shapes: [string, number[]][] = [
    ['conv_seg.weight', [19, 256, 1, 1]], ['ema_module.bases', [1, 512, 64]], ['ema_in_conv.conv.weight', [512, 2048, 3, 3]],
    ['ema_mid_conv.conv.weight', [512, 512, 1, 1]], ['ema_mid_conv.conv.bias', [512]], ['ema_out_conv.conv.weight', [512, 512, 1, 1]],
    ['bottleneck.conv.weight', [256, 512, 3, 3]], ['conv_cat.conv.weight', [256, 2304, 3, 3]], ['conv_cat.bn.running_var', [256]],
  ];
  for (const [k, s] of shapes) assert.deepEqual(sd.get(k)!.shape, s, k);
  // The initial bases are unit columns (L2 over channels).
  assertClose(sd.get('ema_module.bases')!.norm(2, 1), torch.ones([1, 64]), { atol: 1e-5, name: 'base norms' });
  assert.ok(head.ema_mid_conv.parameters().every((p) => !p.requiresGrad), 'ema_mid_conv is frozen');
  const noCat = new EMAHead({ in_channels: 4, channels: 4, ema_channels: 3, num_bases: 2, num_stages: 1, num_classes: 2, concat_input: false });
  assert.equal(noCat.conv_cat, null);
  assert.ok(![...noCat.stateDict().keys()].some((k) => k.startsWith('conv_cat')));
  head.dispose();
});

test('EMAHead options: required keys, num_stages >= 1 and momentum in [0, 1] are checked with the key path', () => {
  assert.throws(() => MODELS.build({ type: 'EMAHead', in_channels: 4, channels: 4, num_classes: 3, num_bases: 2, num_stages: 1 }, { keyPath: ['decode_head'] }), /decode_head\.ema_channels/);
  assert.throws(() => MODELS.build({ type: 'EMAHead', in_channels: 4, channels: 4, num_classes: 3, ema_channels: 2, num_bases: 2, num_stages: 0 }, { keyPath: ['decode_head'] }), /decode_head\.num_stages/);
  assert.throws(() => MODELS.build({ type: 'EMAHead', in_channels: 4, channels: 4, num_classes: 3, ema_channels: 2, num_bases: 2, num_stages: 1, momentum: 2 }, { keyPath: ['decode_head'] }), /decode_head\.momentum/);
  assert.throws(() => new EMAModule(4, 2, 0, 0.1), /num_stages: must be at least 1/);
});

const PY_EMA = `${PY_CONV_MODULE}
class EMA(nn.Module):
    def __init__(s, c, k, stages, mom):
        super().__init__(); s.stages = stages; s.mom = mom
        s.register_buffer('bases', torch.zeros(1, c, k))
    def forward(s, feats):
        b, c, h, w = feats.shape
        feats = feats.view(b, c, h * w)
        bases = s.bases.repeat(b, 1, 1)
        with torch.no_grad():
            for _ in range(s.stages):
                att = F.softmax(torch.einsum('bcn,bck->bnk', feats, bases), dim=2)
                bases = F.normalize(torch.einsum('bcn,bnk->bck', feats, F.normalize(att, dim=1, p=1)), dim=1, p=2)
        rec = torch.einsum('bck,bnk->bcn', bases, att).view(b, c, h, w)
        if s.training:
            s.bases = (1 - s.mom) * s.bases + s.mom * F.normalize(bases.mean(dim=0, keepdim=True), dim=1, p=2)
        return rec
class OutCM(nn.Module):
    def __init__(s, c):
        super().__init__(); s.conv = nn.Conv2d(c, c, 1, bias=False); s.bn = nn.BatchNorm2d(c)
    def forward(s, x): return s.bn(s.conv(x))
class MidCM(nn.Module):
    def __init__(s, c):
        super().__init__(); s.conv = nn.Conv2d(c, c, 1)
    def forward(s, x): return s.conv(x)
class Head(nn.Module):
    def __init__(s, cin, c, ec, k, stages, mom, ncls, cat):
        super().__init__()
        s.conv_seg = nn.Conv2d(c, ncls, 1); s.ema_module = EMA(ec, k, stages, mom)
        s.ema_in_conv = CM(cin, ec, 3, 1); s.ema_mid_conv = MidCM(ec); s.ema_out_conv = OutCM(ec); s.bottleneck = CM(ec, c, 3, 1)
        s.conv_cat = CM(cin + c, c, 3, 1) if cat else None
    def forward(s, x):
        idt = s.ema_in_conv(x)
        rec = s.ema_out_conv(F.relu(s.ema_module(s.ema_mid_conv(idt))))
        o = s.bottleneck(F.relu(idt + rec))
        if s.conv_cat is not None: o = s.conv_cat(torch.cat([x, o], 1))
        return s.conv_seg(o)
`;

test('EMAHead forward equals the same head in PyTorch: eval with conv_cat, and training (batch-norm batch statistics, bases momentum update) without', () => {
  const cases = [{ cat: true, train: false, stages: 3 }, { cat: false, train: true, stages: 2 }];
  const inputs: Record<string, torch.Tensor> = {};
  const ys: torch.Tensor[] = [];
  const bases: torch.Tensor[] = [];
  let script = PY_EMA;
  cases.forEach(({ cat, train, stages }, i) => {
    const head = new EMAHead({ in_channels: 5, channels: 6, ema_channels: 7, num_bases: 4, num_stages: stages, momentum: 0.3, num_classes: 3, concat_input: cat, dropout_ratio: 0, norm_cfg: bn });
    randomise(head);
    // Cloned: the training forward updates the bases and batch-norm buffers in place.
    for (const [k, v] of Object.entries(sdInputs(head, `m${i}`))) inputs[k] = v.clone();
    if (train) head.train(); else head.eval();
    const x = torch.randn([2, 5, 4, 3]);
    ys.push(head.forward([x]));
    bases.push(head.ema_module.bases.clone());
    inputs[`x${i}`] = x;
    script += `
m = Head(5, 6, 7, 4, ${stages}, 0.3, 3, ${cat ? 'True' : 'False'}).train(${train ? 'True' : 'False'})
m.load_state_dict({k[len('m${i}sd:'):]: v for k, v in inputs.items() if k.startswith('m${i}sd:')})
out['y${i}'] = m(inputs['x${i}']); out['b${i}'] = m.ema_module.bases; out['b0_${i}'] = inputs['m${i}sd:ema_module.bases']
`;
  });
  const ref = runPyTorch(script, inputs);
  ys.forEach((y, i) => {
    assertClose(bases[i]!, ref[`b${i}`]!, { atol: 1e-5, rtol: 1e-4, name: `case ${i} bases` });
    assertClose(y, ref[`y${i}`]!, { atol: 1e-5, rtol: 1e-4, name: `case ${i} logits` });
  });
  // Eval leaves the bases alone; training moves them.
  assertClose(bases[0]!, ref.b0_0!, { atol: 0, name: 'eval bases' });
  assert.ok(bases[1]!.sub(ref.b0_1!).abs().max().item() > 1e-3, 'training updates the bases');
});

test('EMAHead loss: loss_ce + acc_seg; gradients reach ema_in_conv and ema_out_conv but not the frozen ema_mid_conv', () => {
  const head = new EMAHead({ in_channels: 4, channels: 6, ema_channels: 5, num_bases: 3, num_stages: 2, num_classes: 3, norm_cfg: bn });
  const x = [torch.randn([2, 4, 5, 5])];
  const samples: SegDataSample[] = [0, 1].map(() => ({ metainfo: { ori_shape: [10, 10], img_shape: [10, 10] }, gt_sem_seg: { data: torch.randint(0, 3, [1, 10, 10]) } }));
  const losses = head.loss(x, samples, {});
  assert.deepEqual(Object.keys(losses), ['loss_ce', 'acc_seg']);
  losses.loss_ce!.backward();
  for (const m of [head.ema_in_conv, head.ema_out_conv]) {
    const g = m.namedParameters()[0]![1].grad;
    assert.ok(g && g.abs().sum().item() > 0, 'trainable convs get a gradient');
  }
  assert.equal(head.ema_mid_conv.namedParameters()[0]![1].grad, null);
});
