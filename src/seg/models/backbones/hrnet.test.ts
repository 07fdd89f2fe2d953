// HRNet: MMSeg's parameter names and shapes (hr18s), a forward equal to a plain-PyTorch HRNet with
// the same weights, multiscale_output, frozen_stages, norm_eval and config errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { ConfigError } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { HRNet, type HRNetOptions } from './hrnet.js';
import { randomizeParameters, stateInputs, SD_PRELUDE } from './test-utils.js';

torch.manualSeed(0);
const nn = torch.nn;

type Extra = HRNetOptions['extra'];
/** fcn_hr18s's backbone (fcn_hr18 with fewer modules and blocks). */
const HR18S: Extra = {
  stage1: { num_modules: 1, num_branches: 1, block: 'BOTTLENECK', num_blocks: [2], num_channels: [64] },
  stage2: { num_modules: 1, num_branches: 2, block: 'BASIC', num_blocks: [2, 2], num_channels: [18, 36] },
  stage3: { num_modules: 3, num_branches: 3, block: 'BASIC', num_blocks: [2, 2, 2], num_channels: [18, 36, 72] },
  stage4: { num_modules: 2, num_branches: 4, block: 'BASIC', num_blocks: [2, 2, 2, 2], num_channels: [18, 36, 72, 144] },
};
/** Two modules per stage, branch widths 4/8/16/32. */
const TINY: Extra = {
  stage1: { num_modules: 1, num_branches: 1, block: 'BOTTLENECK', num_blocks: [1], num_channels: [4] },
  stage2: { num_modules: 2, num_branches: 2, block: 'BASIC', num_blocks: [1, 1], num_channels: [4, 8] },
  stage3: { num_modules: 2, num_branches: 3, block: 'BASIC', num_blocks: [1, 2, 1], num_channels: [4, 8, 16] },
  stage4: { num_modules: 2, num_branches: 4, block: 'BASIC', num_blocks: [1, 1, 1, 1], num_channels: [4, 8, 16, 32] },
};

/** A plain-PyTorch HRNet with MMSeg's module names (written from MMSeg 1.2's hrnet.py semantics). */
const PY_HRNET = `
import torch.nn as nn, torch.nn.functional as F
class Basic(nn.Module):
    expansion = 1
    def __init__(s, cin, planes, ds=None):
        super().__init__()
        s.conv1 = nn.Conv2d(cin, planes, 3, 1, 1, bias=False); s.bn1 = nn.BatchNorm2d(planes)
        s.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False); s.bn2 = nn.BatchNorm2d(planes)
        s.downsample = ds
    def forward(s, x):
        o = s.bn2(s.conv2(F.relu(s.bn1(s.conv1(x)))))
        return F.relu(o + (x if s.downsample is None else s.downsample(x)))
class Bottle(nn.Module):
    expansion = 4
    def __init__(s, cin, planes, ds=None):
        super().__init__()
        s.conv1 = nn.Conv2d(cin, planes, 1, bias=False); s.bn1 = nn.BatchNorm2d(planes)
        s.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False); s.bn2 = nn.BatchNorm2d(planes)
        s.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False); s.bn3 = nn.BatchNorm2d(planes * 4)
        s.downsample = ds
    def forward(s, x):
        o = F.relu(s.bn2(s.conv2(F.relu(s.bn1(s.conv1(x))))))
        o = s.bn3(s.conv3(o))
        return F.relu(o + (x if s.downsample is None else s.downsample(x)))
BLK = {'BASIC': Basic, 'BOTTLENECK': Bottle}
def cbn(cin, cout, k, st, relu):
    l = [nn.Conv2d(cin, cout, k, st, k // 2, bias=False), nn.BatchNorm2d(cout)]
    return nn.Sequential(*(l + [nn.ReLU()] if relu else l))
def layer(B, cin, planes, n):
    o = planes * B.expansion
    return nn.Sequential(B(cin, planes, cbn(cin, o, 1, 1, False) if cin != o else None), *[B(o, planes) for _ in range(n - 1)])
class Up(nn.Module):
    def __init__(s, f): super().__init__(); s.f = f
    def forward(s, x): return F.interpolate(x, size=[int(t * s.f) for t in x.shape[-2:]], mode='bilinear', align_corners=False)
class HRM(nn.Module):
    def __init__(s, B, nb, cin, nc, ms):
        super().__init__()
        s.n = len(nc); ch = s.ch = [c * B.expansion for c in nc]
        s.branches = nn.ModuleList([layer(B, cin[b], nc[b], nb[b]) for b in range(s.n)])
        s.fuse_layers = None
        if s.n > 1:
            rows = []
            for i in range(s.n if ms else 1):
                row = []
                for j in range(s.n):
                    if j > i: row.append(nn.Sequential(nn.Conv2d(ch[j], ch[i], 1, bias=False), nn.BatchNorm2d(ch[i]), Up(2 ** (j - i))))
                    elif j == i: row.append(None)
                    else: row.append(nn.Sequential(*[cbn(ch[j], ch[i], 3, 2, False) if k == i - j - 1 else cbn(ch[j], ch[j], 3, 2, True) for k in range(i - j)]))
                rows.append(nn.ModuleList(row))
            s.fuse_layers = nn.ModuleList(rows)
    def forward(s, x):
        x = [s.branches[b](x[b]) for b in range(s.n)]
        if s.n == 1: return x
        outs = []
        for i in range(len(s.fuse_layers)):
            y = 0
            for j in range(s.n):
                if j == i: y = y + x[j]
                elif j > i: y = y + F.interpolate(s.fuse_layers[i][j](x[j]), size=x[i].shape[2:], mode='bilinear', align_corners=False)
                else: y = y + s.fuse_layers[i][j](x[j])
            outs.append(F.relu(y))
        return outs
class HR(nn.Module):
    def __init__(s, extra, ms=True):
        super().__init__()
        s.conv1 = nn.Conv2d(3, 64, 3, 2, 1, bias=False); s.bn1 = nn.BatchNorm2d(64)
        s.conv2 = nn.Conv2d(64, 64, 3, 2, 1, bias=False); s.bn2 = nn.BatchNorm2d(64)
        s1 = extra[0]; B = BLK[s1[2]]
        s.layer1 = layer(B, 64, s1[4][0], s1[3][0])
        pre = [s1[4][0] * B.expansion]
        for k in (1, 2, 3):
            st = extra[k]; B = BLK[st[2]]; cur = [c * B.expansion for c in st[4]]
            t = []
            for i, c in enumerate(cur):
                if i < len(pre): t.append(cbn(pre[i], c, 3, 1, True) if c != pre[i] else None)
                else: t.append(nn.Sequential(*[cbn(pre[-1], c if j == i - len(pre) else pre[-1], 3, 2, True) for j in range(i + 1 - len(pre))]))
            setattr(s, 'transition%d' % k, nn.ModuleList(t))
            mods = []; cin = cur
            for m in range(st[0]):
                h = HRM(B, st[3], cin, st[4], not (k == 3 and m == st[0] - 1 and not ms)); mods.append(h); cin = h.ch
            setattr(s, 'stage%d' % (k + 1), nn.Sequential(*mods)); pre = cin
    def forward(s, x):
        x = F.relu(s.bn2(s.conv2(F.relu(s.bn1(s.conv1(x))))))
        ys = [s.layer1(x)]
        for k in (1, 2, 3):
            t = getattr(s, 'transition%d' % k)
            ys = getattr(s, 'stage%d' % (k + 1))([ys[i] if t[i] is None else t[i](ys[-1]) for i in range(len(t))])
        return ys
`;

/** The extra dict as Python tuples (num_modules, num_branches, block, num_blocks, num_channels). */
const pyExtra = (e: Extra): string => `[${(['stage1', 'stage2', 'stage3', 'stage4'] as const)
  .map((s) => { const st = e[s]; return `(${st.num_modules}, ${st.num_branches}, '${st.block}', ${JSON.stringify(st.num_blocks)}, ${JSON.stringify(st.num_channels)})`; })
  .join(', ')}]`;

const params = (m: torch.nn.Module): [string, number[]][] => m.namedParameters().map(([n, p]) => [n, p.shape]);

test('HRNet (hr18s) has MMSeg parameter names, shapes and counts', () => {
  const m = new HRNet({ extra: HR18S, norm_cfg: { type: 'SyncBN', requires_grad: true } });
  const ps = params(m);
  // Expected values read off MMSeg's HRNet / HRModule / BasicBlock / Bottleneck code.
  assert.deepEqual(ps.slice(0, 6), [
    ['conv1.weight', [64, 3, 3, 3]], ['bn1.weight', [64]], ['bn1.bias', [64]],
    ['conv2.weight', [64, 64, 3, 3]], ['bn2.weight', [64]], ['bn2.bias', [64]],
  ]);
  const byName = new Map(ps);
  const expected: [string, number[]][] = [
    ['layer1.0.conv1.weight', [64, 64, 1, 1]], ['layer1.0.conv3.weight', [256, 64, 1, 1]], ['layer1.0.bn3.weight', [256]],
    ['layer1.0.downsample.0.weight', [256, 64, 1, 1]], ['layer1.0.downsample.1.weight', [256]], ['layer1.1.conv1.weight', [64, 256, 1, 1]],
    ['transition1.0.0.weight', [18, 256, 3, 3]], ['transition1.0.1.weight', [18]],
    ['transition1.1.0.0.weight', [36, 256, 3, 3]], ['transition1.1.0.1.bias', [36]],
    ['stage2.0.branches.0.0.conv1.weight', [18, 18, 3, 3]], ['stage2.0.branches.1.1.bn2.bias', [36]],
    ['stage2.0.fuse_layers.0.1.0.weight', [18, 36, 1, 1]], ['stage2.0.fuse_layers.0.1.1.weight', [18]],
    ['stage2.0.fuse_layers.1.0.0.0.weight', [36, 18, 3, 3]], ['stage2.0.fuse_layers.1.0.0.1.weight', [36]],
    ['transition2.2.0.0.weight', [72, 36, 3, 3]], ['transition2.2.0.1.weight', [72]],
    ['stage3.2.branches.2.1.conv2.weight', [72, 72, 3, 3]],
    ['stage3.2.fuse_layers.0.2.0.weight', [18, 72, 1, 1]],
    ['stage3.2.fuse_layers.2.0.0.0.weight', [18, 18, 3, 3]], ['stage3.2.fuse_layers.2.0.1.0.weight', [72, 18, 3, 3]],
    ['transition3.3.0.0.weight', [144, 72, 3, 3]],
    ['stage4.1.fuse_layers.0.3.0.weight', [18, 144, 1, 1]], ['stage4.1.fuse_layers.3.0.2.0.weight', [144, 18, 3, 3]],
    ['stage4.1.fuse_layers.3.0.1.1.weight', [18]], ['stage4.1.fuse_layers.1.3.1.bias', [36]],
  ];
  for (const [name, shape] of expected) assert.deepEqual(byName.get(name), shape, name);
  // widths that match the previous stage have no transition; the diagonal fuse slot is empty
  for (const absent of ['transition2.0.0.weight', 'transition2.1.0.weight', 'transition3.0.0.weight', 'stage2.0.fuse_layers.0.0.0.weight', 'stage4.1.fuse_layers.3.3.0.weight']) {
    assert.equal(byName.has(absent), false, absent);
  }
  assert.deepEqual(ps.at(-1), ['stage4.1.fuse_layers.3.2.0.1.bias', [144]]);
  assert.equal(ps.length, 432);
  assert.equal(ps.reduce((s, [, sh]) => s + sh.reduce((a, b) => a * b, 1), 0), 3_860_720);
  assert.deepEqual(m.outChannels, [18, 36, 72, 144]);
  assert.ok(m.getSubmodule('stage3.0.fuse_layers.2.0.0.1') instanceof nn.SyncBatchNorm);

  // the whole ordered list equals the plain-PyTorch model's
  const ref = runPyTorch(`${PY_HRNET}
m = HR(${pyExtra(HR18S)})
for i, (n, p) in enumerate(m.named_parameters()): out['%04d|%s' % (i, n)] = torch.tensor(p.shape)
`);
  const refList = Object.entries(ref).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k.slice(5), v.toArray() as number[]]);
  assert.deepEqual(ps, refList);
  m.dispose();
});

/** A tiny HRNet with every weight, BN affine and running statistic non-trivial. */
function tinyNet(extra: Partial<HRNetOptions> = {}): HRNet {
  const m = new HRNet({ extra: TINY, ...extra });
  randomizeParameters(m, 0.08);
  torch.noGrad(() => {
    for (const [name, t] of m.namedParameters()) if (t.ndim === 1 && name.endsWith('weight')) t.copy_(torch.rand(t.shape).add(0.5));
    for (const [name, t] of m.namedBuffers()) {
      if (name.endsWith('running_mean')) t.copy_(torch.randn(t.shape).mul(0.1));
      if (name.endsWith('running_var')) t.copy_(torch.rand(t.shape).add(0.5));
    }
  });
  return m;
}

test('tiny HRNet forward (eval and train) equals plain PyTorch with the same weights; multiscale_output=false keeps branch 0', () => {
  const m = tinyNet();
  const x = torch.randn([1, 3, 64, 64]);
  const ref = runPyTorch(`${SD_PRELUDE}${PY_HRNET}
for ms in (True, False):
    m = HR(${pyExtra(TINY)}, ms)
    m.load_state_dict(sd, strict=ms)
    m.eval()
    with torch.no_grad():
        for i, y in enumerate(m(x)): out['%s_eval%d' % (ms, i)] = y
    if ms:
        m.train()
        ys = m(x)
        for i, y in enumerate(ys): out['train%d' % i] = y
        sum((y * (i + 1)).sum() for i, y in enumerate(ys)).backward()
        out['grad'] = m.conv1.weight.grad
`, { ...stateInputs(m), x });

  m.eval();
  const evalOuts = torch.noGrad(() => m.forward(x));
  assert.deepEqual(evalOuts.map((t) => t.shape), [[1, 4, 16, 16], [1, 8, 8, 8], [1, 16, 4, 4], [1, 32, 2, 2]]);
  evalOuts.forEach((t, i) => assertClose(t, ref[`True_eval${i}`]!, { atol: 1e-5, rtol: 1e-5, name: `eval output ${i}` }));

  // multiscale_output=false: the last module fuses only into branch 0 (its fuse_layers has one row)
  const single = new HRNet({ extra: TINY, multiscale_output: false });
  const sd = m.stateDict();
  torch.noGrad(() => {
    for (const [k, v] of single.stateDict()) v.copy_(sd.get(k)!);
  });
  assert.equal((single.getSubmodule('stage4.1.fuse_layers') as torch.nn.ModuleList).length, 1);
  assert.equal((single.getSubmodule('stage4.0.fuse_layers') as torch.nn.ModuleList).length, 4);
  assert.deepEqual(single.outChannels, [4]);
  single.eval();
  const outs = torch.noGrad(() => single.forward(x));
  assert.equal(outs.length, 1);
  assertClose(outs[0]!, ref.False_eval0!, { atol: 1e-5, rtol: 1e-5, name: 'single-scale output' });

  m.train();
  const trainOuts = m.forward(x);
  trainOuts.forEach((t, i) => assertClose(t, ref[`train${i}`]!, { atol: 1e-4, rtol: 1e-4, name: `train output ${i}` }));
  trainOuts.map((t, i) => t.mul(i + 1).sum()).reduce((a, b) => a.add(b)).backward();
  assertClose(m.getParameter('conv1.weight').grad!, ref.grad!, { atol: 1e-3, rtol: 1e-3, name: 'conv1 grad' });
});

test('frozen_stages freezes the stem, layer1/stage{k} and their transitions, also after train(); norm_eval keeps BNs in eval', () => {
  const m = new HRNet({ extra: TINY, frozen_stages: 2 });
  m.train();
  const frozenPrefixes = ['conv1.', 'bn1.', 'conv2.', 'bn2.', 'layer1.', 'transition1.', 'stage2.', 'transition2.'];
  for (const [name, p] of m.namedParameters()) {
    const frozen = frozenPrefixes.some((s) => name.startsWith(s));
    assert.equal(p.requiresGrad, !frozen, name);
  }
  assert.equal(m.getSubmodule('bn1').training, false);
  assert.equal(m.getSubmodule('stage2.1.branches.0.0.bn1').training, false);
  assert.equal(m.getSubmodule('transition2.2.0.1').training, false);
  assert.equal(m.getSubmodule('stage3.0.branches.0.0.bn1').training, true);
  assert.equal(m.getSubmodule('transition3.3.0.1').training, true);

  const all = new HRNet({ extra: TINY, frozen_stages: 4 });
  all.train();
  assert.ok(all.parameters().every((p) => !p.requiresGrad));

  const ne = new HRNet({ extra: TINY, norm_eval: true });
  ne.train();
  const bns = ne.modules().filter((mm) => mm instanceof nn.BatchNormBase);
  assert.ok(bns.length > 50 && bns.every((b) => !b.training));
  assert.equal(ne.getSubmodule('stage3.0').training, true);
  assert.ok(ne.parameters().every((p) => p.requiresGrad));
  const plain = new HRNet({ extra: TINY });
  plain.train();
  assert.ok(plain.modules().filter((mm) => mm instanceof nn.BatchNormBase).every((b) => b.training));
});

test('HRNet builds from MODELS with pretrained / init_cfg like the other backbones; bad configs name the key', () => {
  const m = MODELS.build({ type: 'HRNet', extra: TINY, pretrained: 'open-mmlab://msra/hrnetv2_w18' }) as HRNet;
  assert.deepEqual(m.initCfg, { type: 'Pretrained', checkpoint: 'open-mmlab://msra/hrnetv2_w18' });
  const d = new HRNet({ extra: TINY });
  assert.deepEqual(d.initCfg, [{ type: 'Kaiming', layer: 'Conv2d' }, { type: 'Constant', val: 1, layer: ['_BatchNorm', 'GroupNorm'] }]);
  d.initWeights();
  assert.equal(d.getParameter('stage3.1.branches.1.0.bn2.weight').toArray().every((v) => v === 1), true);

  const bad = { ...TINY, stage3: { ...TINY.stage3, num_blocks: [1, 1] } };
  assert.throws(() => new HRNet({ extra: bad }), (e: unknown) => e instanceof ConfigError && /extra\.stage3\.num_blocks/.test(e.message) && /expected 3 entries/.test(e.message));
  assert.throws(() => new HRNet({ extra: { ...TINY, stage2: { ...TINY.stage2, block: 'BAD' as 'BASIC' } } }), /extra\.stage2\.block/);
  assert.throws(() => new HRNet({ extra: TINY, pretrained: 'a', init_cfg: { type: 'Pretrained', checkpoint: 'b' } }), /pretrained/);
  assert.throws(() => new HRNet({ extra: TINY, frozen_stages: 5 }), /frozen_stages/);
});
