import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { MODELS } from '../../../engine/registry/index.js';
import { saveCheckpointFile } from '../../../engine/runner/checkpoint-file.js';
import { SwinTransformer } from './swin.js';
import { shiftWindowMask, swinRelativePositionIndex } from './swin-layers.js';
import { SD_PRELUDE, nameShapes, randomizeParameters, stateInputs } from './test-utils.js';

/** MMSeg's configs/_base_/models/upernet_swin.py backbone (swin-tiny). */
const SWIN_T = {
  type: 'SwinTransformer', pretrain_img_size: 224, embed_dims: 96, patch_size: 4, window_size: 7, mlp_ratio: 4,
  depths: [2, 2, 6, 2], num_heads: [3, 6, 12, 24], strides: [4, 2, 2, 2], out_indices: [0, 1, 2, 3], qkv_bias: true,
  qk_scale: null, patch_norm: true, drop_rate: 0, attn_drop_rate: 0, drop_path_rate: 0.3, use_abs_pos_embed: false,
  act_cfg: { type: 'GELU' }, norm_cfg: { type: 'LN', requires_grad: true },
};

/** Swin-T's parameters as MMSeg's swin.py names them (patch_embed, stages.i.blocks.j.{norm1,attn.w_msa,norm2,ffn}, downsample, norm0..3). */
function swinTinyNames(): string[] {
  const rows = ['patch_embed.projection.weight [96, 3, 4, 4]', 'patch_embed.projection.bias [96]', 'patch_embed.norm.weight [96]', 'patch_embed.norm.bias [96]'];
  const depths = [2, 2, 6, 2];
  const heads = [3, 6, 12, 24];
  depths.forEach((d, i) => {
    const c = 96 * 2 ** i;
    for (let j = 0; j < d; j++) {
      const p = `stages.${i}.blocks.${j}`;
      rows.push(`${p}.norm1.weight [${c}]`, `${p}.norm1.bias [${c}]`,
        `${p}.attn.w_msa.relative_position_bias_table [169, ${heads[i]}]`,
        `${p}.attn.w_msa.qkv.weight [${3 * c}, ${c}]`, `${p}.attn.w_msa.qkv.bias [${3 * c}]`,
        `${p}.attn.w_msa.proj.weight [${c}, ${c}]`, `${p}.attn.w_msa.proj.bias [${c}]`,
        `${p}.norm2.weight [${c}]`, `${p}.norm2.bias [${c}]`,
        `${p}.ffn.layers.0.0.weight [${4 * c}, ${c}]`, `${p}.ffn.layers.0.0.bias [${4 * c}]`,
        `${p}.ffn.layers.1.weight [${c}, ${4 * c}]`, `${p}.ffn.layers.1.bias [${c}]`);
    }
    if (i < 3) rows.push(`stages.${i}.downsample.norm.weight [${4 * c}]`, `stages.${i}.downsample.norm.bias [${4 * c}]`, `stages.${i}.downsample.reduction.weight [${2 * c}, ${4 * c}]`);
    rows.push(`norm${i}.weight [${c}]`, `norm${i}.bias [${c}]`);
  });
  return rows.sort();
}

test('Swin-T has MMSeg\'s parameter names and shapes, a [49, 49] relative_position_index per block, and the linear drop-path schedule', () => {
  const swin = MODELS.build<SwinTransformer>(SWIN_T);
  assert.deepEqual(nameShapes(swin), swinTinyNames());
  // Microsoft's Swin-T (28,288,354) less its classifier (769,000) and final norm (1,536), plus MMSeg's norm0..norm3 (2,880).
  assert.equal(swin.parameters().reduce((n, p) => n + p.numel, 0), 27_520_698);
  const buffers = [...swin.stateDict().entries()].filter(([k]) => k.includes('relative_position_index'));
  assert.equal(buffers.length, 12);
  assert.deepEqual(buffers[0]![1].shape, [49, 49]);
  const rates = swin.modules().filter((m): m is torch.nn.DropPath => m instanceof torch.nn.DropPath).map((m) => m.dropProb);
  // Two DropPaths per block (attention and FFN), 12 blocks from 0 to 0.3.
  assert.equal(rates.length, 24);
  assert.ok(Math.abs(rates[0]!) < 1e-7 && Math.abs(rates[23]! - 0.3) < 1e-6 && Math.abs(rates[2]! - 0.3 / 11) < 1e-6);
  swin.dispose();
});

test('relative position index and shifted-window mask equal MMSeg\'s recipe run in PyTorch', () => {
  const py = runPyTorch(`
def double_step_seq(step1, len1, step2, len2):
    seq1 = torch.arange(0, step1 * len1, step1)
    seq2 = torch.arange(0, step2 * len2, step2)
    return (seq1[:, None] + seq2[None, :]).reshape(1, -1)
for name, (wh, ww) in (('i7', (7, 7)), ('i34', (3, 4))):
    c = double_step_seq(2 * ww - 1, wh, 1, ww)
    out[name] = (c + c.T).flip(1).contiguous()
def mask(hp, wp, ws, s):
    img = torch.zeros((1, hp, wp, 1))
    sl = (slice(0, -ws), slice(-ws, -s), slice(-s, None))
    cnt = 0
    for h in sl:
        for w in sl:
            img[:, h, w, :] = cnt
            cnt += 1
    win = img.view(1, hp // ws, ws, wp // ws, ws, 1).permute(0, 1, 3, 2, 4, 5).reshape(-1, ws * ws)
    m = win.unsqueeze(1) - win.unsqueeze(2)
    return m.masked_fill(m != 0, -100.0).masked_fill(m == 0, 0.0)
out['m8'] = mask(8, 12, 4, 2)
out['m14'] = mask(14, 14, 7, 3)
`);
  assert.deepEqual(torch.tensor(swinRelativePositionIndex(7, 7)).toArray(), py.i7!.toArray());
  assert.deepEqual(torch.tensor(swinRelativePositionIndex(3, 4)).toArray(), py.i34!.toArray());
  assertClose(shiftWindowMask(8, 12, 4, 2), py.m8!, { atol: 0, rtol: 0, name: 'mask 8x12' });
  assertClose(shiftWindowMask(14, 14, 7, 3), py.m14!, { atol: 0, rtol: 0, name: 'mask 14x14' });
});

const PY_SWIN = `
import torch.nn.functional as F
${SD_PRELUDE}
ln = lambda x, p: F.layer_norm(x, (x.shape[-1],), sd[p + '.weight'], sd[p + '.bias'], 1e-5)
def rel_index(ws):
    coords = torch.stack(torch.meshgrid(torch.arange(ws), torch.arange(ws), indexing='ij')).flatten(1)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (ws - 1)
    return rel[..., 0] * (2 * ws - 1) + rel[..., 1]
def msa(x, p, heads, ws, mask):
    b, n, c = x.shape
    qkv = F.linear(x, sd[p + 'qkv.weight'], sd[p + 'qkv.bias']).reshape(b, n, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
    attn = (qkv[0] * (c // heads) ** -0.5) @ qkv[1].transpose(-2, -1)
    attn = attn + sd[p + 'relative_position_bias_table'][rel_index(ws).reshape(-1)].reshape(n, n, heads).permute(2, 0, 1)
    if mask is not None:
        attn = (attn.view(b // mask.shape[0], mask.shape[0], heads, n, n) + mask[None, :, None]).view(b, heads, n, n)
    y = (attn.softmax(-1) @ qkv[2]).transpose(1, 2).reshape(b, n, c)
    return F.linear(y, sd[p + 'proj.weight'], sd[p + 'proj.bias'])
def block(x, hw, p, heads, ws, shift):
    b, l, c = x.shape
    h, w = hw
    m = ln(x, p + 'norm1').view(b, h, w, c)
    s = ws // 2 if shift else 0
    mask = None
    if s:
        m = torch.roll(m, (-s, -s), (1, 2))
        region = lambda v, size: 0 if v < size - ws else (1 if v < size - s else 2)
        ids = torch.tensor([[region(i, h) * 3 + region(j, w) for j in range(w)] for i in range(h)]).float()
        win = ids.view(h // ws, ws, w // ws, ws).permute(0, 2, 1, 3).reshape(-1, ws * ws)
        mask = torch.where(win[:, None, :] == win[:, :, None], 0.0, -100.0)
    win = m.view(b, h // ws, ws, w // ws, ws, c).permute(0, 1, 3, 2, 4, 5).reshape(-1, ws * ws, c)
    y = msa(win, p + 'attn.w_msa.', heads, ws, mask)
    y = y.view(b, h // ws, w // ws, ws, ws, c).permute(0, 1, 3, 2, 4, 5).reshape(b, h, w, c)
    if s:
        y = torch.roll(y, (s, s), (1, 2))
    x = x + y.reshape(b, l, c)
    f = F.gelu(F.linear(ln(x, p + 'norm2'), sd[p + 'ffn.layers.0.0.weight'], sd[p + 'ffn.layers.0.0.bias']))
    return x + F.linear(f, sd[p + 'ffn.layers.1.weight'], sd[p + 'ffn.layers.1.bias'])
y = F.conv2d(x, sd['patch_embed.projection.weight'], sd['patch_embed.projection.bias'], stride=4)
hw = tuple(y.shape[2:])
t = ln(y.flatten(2).transpose(1, 2), 'patch_embed.norm')
for i, heads in enumerate((1, 2)):
    for j in range(2):
        t = block(t, hw, 'stages.%d.blocks.%d.' % (i, j), heads, 4, j == 1)
    c = t.shape[-1]
    out['o%d' % i] = ln(t, 'norm%d' % i).view(-1, hw[0], hw[1], c).permute(0, 3, 1, 2)
    if i == 0:
        m = t.view(-1, hw[0], hw[1], c).permute(0, 3, 1, 2)
        m = F.unfold(m, 2, stride=2).transpose(1, 2)
        t = F.linear(ln(m, 'stages.0.downsample.norm'), sd['stages.0.downsample.reduction.weight'])
        hw = (hw[0] // 2, hw[1] // 2)
`;

test('a tiny Swin (two stages, shifted windows, patch merging) forward equals a plain PyTorch Swin', () => {
  torch.manualSeed(31);
  const swin = new SwinTransformer({ embed_dims: 16, depths: [2, 2], num_heads: [1, 2], strides: [4, 2], window_size: 4, out_indices: [0, 1], drop_path_rate: 0 });
  randomizeParameters(swin, 0.2);
  swin.eval();
  const x = torch.randn([1, 3, 32, 32]);
  const outs = swin.forward(x);
  assert.deepEqual(outs.map((o) => o.shape), [[1, 16, 8, 8], [1, 32, 4, 4]]);
  const py = runPyTorch(PY_SWIN, { x, ...stateInputs(swin) });
  assertClose(outs[0]!, py.o0!, { atol: 1e-5, rtol: 1e-5, name: 'out 0' });
  assertClose(outs[1]!, py.o1!, { atol: 1e-5, rtol: 1e-5, name: 'out 1' });
  swin.dispose();
});

test('Swin pads maps that are not whole windows, trains end to end, and freezes stages', () => {
  torch.manualSeed(32);
  const swin = new SwinTransformer({ embed_dims: 8, depths: [2, 1], num_heads: [1, 2], strides: [4, 2], window_size: 3, out_indices: [1], frozen_stages: 1, use_abs_pos_embed: true, pretrain_img_size: [36, 28] });
  swin.initWeights();
  swin.train();
  const outs = swin.forward(torch.randn([2, 3, 36, 28]));
  // 9x7 tokens (padded to 9x9 for 3x3 windows), then 5x4 after corner-padded merging.
  assert.deepEqual(outs.map((o) => o.shape), [[2, 16, 5, 4]]);
  outs[0]!.square().mean().backward();
  for (const [name, p] of swin.namedParameters()) {
    const frozen = name.startsWith('patch_embed') || name.startsWith('stages.0.') || name === 'absolute_pos_embed';
    assert.equal(p.requiresGrad, !frozen, `${name} requires_grad`);
    if (!frozen) assert.ok(p.grad !== null && p.grad.abs().sum().item() > 0, `${name} has a gradient`);
  }
  assert.equal(swin.patchEmbed.training, false);
  assert.equal(swin.stages.at(0).training, false);
  assert.equal(swin.stages.at(1).training, true);
  assert.throws(() => new SwinTransformer({ with_cp: true }), /with_cp/);
  assert.throws(() => new SwinTransformer({ strides: [2, 2, 2, 2] }), /strides\.0: must equal patch_size \(4\)/);
  assert.throws(() => new SwinTransformer({ num_heads: [1, 2] }), /num_heads: expected 4 entries/);
  swin.dispose();
});

test('init_cfg Pretrained strips backbone., loads the weights and resizes bias tables of another window bicubically', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-swin-'));
  try {
    const small = { embed_dims: 8, depths: [2], num_heads: [2], strides: [4], out_indices: [0] };
    const src = new SwinTransformer({ ...small, window_size: 4 });
    randomizeParameters(src);
    const state = new Map([...src.stateDict()].map(([k, v]) => [`backbone.${k}`, v]));
    const file = join(dir, 'swin.ckpt');
    saveCheckpointFile({ state_dict: state }, file);
    const dst = new SwinTransformer({ ...small, window_size: 3, init_cfg: { type: 'Pretrained', checkpoint: file } });
    dst.initWeights();
    const key = 'stages.0.blocks.1.attn.w_msa.relative_position_bias_table';
    const table = src.getParameter(key);
    const py = runPyTorch(`
out['t'] = torch.nn.functional.interpolate(t.permute(1, 0).reshape(1, 2, 7, 7), size=(5, 5), mode='bicubic').view(2, 25).permute(1, 0)
`, { t: table });
    assert.deepEqual(dst.getParameter(key).shape, [25, 2]);
    assertClose(dst.getParameter(key), py.t!, { atol: 1e-6, name: key });
    assert.deepEqual(dst.getParameter('stages.0.blocks.0.ffn.layers.1.weight').toArray(), src.getParameter('stages.0.blocks.0.ffn.layers.1.weight').toArray());
    assert.deepEqual(dst.getParameter('norm0.bias').toArray(), src.getParameter('norm0.bias').toArray());
    src.dispose();
    dst.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
