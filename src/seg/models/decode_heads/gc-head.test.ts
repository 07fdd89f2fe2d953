// GCHead and ContextBlock: MMSeg/MMCV parameter names and shapes, forward equal to plain PyTorch, init.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { MODELS } from '../../../engine/registry/index.js';
import '../losses/index.js';
import { cmKeys, randomise, sdInputs } from './test-utils.js';
import { ContextBlock } from '../utils/context-block.js';
import { GCHead } from './gc-head.js';

torch.manualSeed(13);
process.removeAllListeners('warning');
const bn = { type: 'BN', requires_grad: true };
const transform = (p: string): string[] => [`${p}.0.weight`, `${p}.0.bias`, `${p}.1.weight`, `${p}.1.bias`, `${p}.3.weight`, `${p}.3.bias`];


/** MMCV's ContextBlock in plain PyTorch with the same child names. */
const PY_GC = `
import torch.nn as nn, torch.nn.functional as F
def sd_of(prefix): return {k[len(prefix) + 3:]: v for k, v in inputs.items() if k.startswith(prefix + 'sd:')}
class CB(nn.Module):
    def __init__(s, c, ratio, pool, fusions):
        super().__init__()
        p = int(c * ratio); s.pool = pool
        mk = lambda: nn.Sequential(nn.Conv2d(c, p, 1), nn.LayerNorm([p, 1, 1]), nn.ReLU(), nn.Conv2d(p, c, 1))
        if pool == 'att': s.conv_mask = nn.Conv2d(c, 1, 1)
        s.channel_add_conv = mk() if 'channel_add' in fusions else None
        s.channel_mul_conv = mk() if 'channel_mul' in fusions else None
    def forward(s, x):
        n, c, h, w = x.shape
        if s.pool == 'att':
            a = s.conv_mask(x).reshape(n, 1, h * w).softmax(2)
            ctx = (x.reshape(n, c, h * w) * a).sum(-1).reshape(n, c, 1, 1)
        else:
            ctx = x.mean((2, 3), keepdim=True)
        out = x
        if s.channel_mul_conv is not None: out = out * torch.sigmoid(s.channel_mul_conv(ctx))
        if s.channel_add_conv is not None: out = out + s.channel_add_conv(ctx)
        return out
`;

test("ContextBlock parameter names equal MMCV's; it starts as the identity", () => {
  const cb = new ContextBlock({ in_channels: 16, ratio: 1 / 4 });
  assert.deepEqual([...cb.stateDict().keys()], ['conv_mask.weight', 'conv_mask.bias', ...transform('channel_add_conv')]);
  assert.deepEqual(cb.stateDict().get('channel_add_conv.0.weight')!.shape, [4, 16, 1, 1]);
  assert.deepEqual(cb.stateDict().get('channel_add_conv.1.weight')!.shape, [4, 1, 1]);
  const both = new ContextBlock({ in_channels: 8, ratio: 0.3, pooling_type: 'avg', fusion_types: ['channel_add', 'channel_mul'] });
  assert.deepEqual([...both.stateDict().keys()], [...transform('channel_add_conv'), ...transform('channel_mul_conv')]);
  assert.equal(both.planes, 2);
  const x = torch.randn([1, 16, 3, 3]);
  assertClose(cb.forward(x), x);
  assert.throws(() => new ContextBlock({ in_channels: 8, ratio: 0.25, fusion_types: [] }), /fusion_types: at least one fusion/);
  assert.throws(() => MODELS.build({ type: 'GCHead', in_channels: 4, channels: 4, num_classes: 3, pooling_type: 'max' }, { keyPath: ['decode_head'] }), /decode_head\.pooling_type/);
});

test('ContextBlock forward equals PyTorch (att / avg pooling, add / mul fusion)', () => {
  const cases = [['att', ['channel_add']], ['att', ['channel_add', 'channel_mul']], ['avg', ['channel_mul']]] as const;
  const inputs: Record<string, torch.Tensor> = {};
  const ys: torch.Tensor[] = [];
  let script = PY_GC;
  cases.forEach(([pool, fusions], i) => {
    const cb = new ContextBlock({ in_channels: 8, ratio: 0.5, pooling_type: pool, fusion_types: [...fusions] });
    randomise(cb);
    const x = torch.randn([2, 8, 5, 3]);
    ys.push(cb.forward(x));
    Object.assign(inputs, sdInputs(cb, `m${i}`), { [`x${i}`]: x });
    script += `
m = CB(8, 0.5, '${pool}', ${JSON.stringify(fusions)}); m.load_state_dict(sd_of('m${i}'))
out['y${i}'] = m(inputs['x${i}'])
`;
  });
  const ref = runPyTorch(script, inputs);
  ys.forEach((y, i) => assertClose(y, ref[`y${i}`]!, { atol: 1e-5, rtol: 1e-4, name: `case ${i}` }));
});

test("GCHead built from gcnet_r50-d8's head settings has MMSeg's parameter names and shapes", () => {
  const head = MODELS.build<GCHead>({
    type: 'GCHead', in_channels: 2048, in_index: 3, channels: 512, ratio: 1 / 4.0, pooling_type: 'att', fusion_types: ['channel_add'],
    dropout_ratio: 0.1, num_classes: 19, norm_cfg: { type: 'SyncBN', requires_grad: true }, align_corners: false,
    loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 1.0 },
  });
  const sd = head.stateDict();
  assert.deepEqual([...sd.keys()], [
    'conv_seg.weight', 'conv_seg.bias', ...cmKeys('convs.0'), ...cmKeys('convs.1'), ...cmKeys('conv_cat'),
    'gc_block.conv_mask.weight', 'gc_block.conv_mask.bias', ...transform('gc_block.channel_add_conv'),
  ]);
  assert.deepEqual(sd.get('gc_block.conv_mask.weight')!.shape, [1, 512, 1, 1]);
  assert.deepEqual(sd.get('gc_block.channel_add_conv.0.weight')!.shape, [128, 512, 1, 1]);
  assert.deepEqual(sd.get('gc_block.channel_add_conv.1.weight')!.shape, [128, 1, 1]);
  assert.deepEqual(sd.get('gc_block.channel_add_conv.3.weight')!.shape, [512, 128, 1, 1]);
  assert.deepEqual(sd.get('conv_cat.conv.weight')!.shape, [512, 2560, 3, 3]);
  head.dispose();
});

test('GCHead forward (eval) equals the same head in PyTorch; loss runs backward', () => {
  const head = new GCHead({ in_channels: 6, channels: 8, num_classes: 3, norm_cfg: bn });
  randomise(head);
  head.eval();
  const x = torch.randn([2, 6, 5, 7]);
  const y = head.forward([x]);
  const ref = runPyTorch(PY_GC + `
class CM(nn.Module):
    def __init__(s, i, o):
        super().__init__(); s.conv = nn.Conv2d(i, o, 3, padding=1, bias=False); s.bn = nn.BatchNorm2d(o)
    def forward(s, x): return F.relu(s.bn(s.conv(x)))
class Head(nn.Module):
    def __init__(s):
        super().__init__()
        s.conv_seg = nn.Conv2d(8, 3, 1)
        s.convs = nn.Sequential(CM(6, 8), CM(8, 8))
        s.conv_cat = CM(14, 8)
        s.gc_block = CB(8, 0.25, 'att', ['channel_add'])
    def forward(s, x):
        f = s.convs[1](s.gc_block(s.convs[0](x)))
        return s.conv_seg(s.conv_cat(torch.cat([x, f], 1)))
m = Head().eval()
m.load_state_dict(sd_of(''))
out['y'] = m(x)
`, { x, ...sdInputs(head) });
  assertClose(y, ref.y!, { atol: 1e-5, rtol: 1e-4 });
  head.train();
  const meta = { ori_shape: [10, 14], img_shape: [10, 14] };
  const losses = head.loss([x], [0, 1].map(() => ({ metainfo: meta, gt_sem_seg: { data: torch.randint(0, 3, [1, 10, 14]) } })));
  assert.deepEqual(Object.keys(losses), ['loss_ce', 'acc_seg']);
  losses.loss_ce!.backward();
  assert.ok(head.gc_block.conv_mask!.weight.grad!.abs().sum().item() > 0);
});
