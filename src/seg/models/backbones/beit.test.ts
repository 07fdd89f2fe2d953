import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { MODELS } from '../../../engine/registry/index.js';
import { saveCheckpointFile } from '../../../engine/runner/checkpoint-file.js';
import { BEiT } from './beit.js';
import { BEiTAttention, relativePositionIndex } from './beit-layers.js';
import { MAE } from './mae.js';
import { SD_PRELUDE, randomizeParameters, stateInputs } from './test-utils.js';

const SMALL = { img_size: 32, patch_size: 16, embed_dims: 32, num_layers: 2, num_heads: 2, out_indices: [0, 1], norm_cfg: { type: 'LN', eps: 1e-6 } };

/** Per-layer parameter names, derived from MMSeg's beit.py (own parameters first, then children in registration order). */
const layerNames = (i: number, attn: string[]): string[] => [
  `layers.${i}.gamma_1 [32]`, `layers.${i}.gamma_2 [32]`, `layers.${i}.ln1.weight [32]`, `layers.${i}.ln1.bias [32]`,
  ...attn.map((a) => `layers.${i}.attn.${a}`),
  `layers.${i}.attn.proj.weight [32, 32]`, `layers.${i}.attn.proj.bias [32]`, `layers.${i}.ln2.weight [32]`, `layers.${i}.ln2.bias [32]`,
  `layers.${i}.ffn.layers.0.0.weight [128, 32]`, `layers.${i}.ffn.layers.0.0.bias [128]`, `layers.${i}.ffn.layers.1.weight [32, 128]`, `layers.${i}.ffn.layers.1.bias [32]`,
];
const shapes = (m: BEiT): string[] => m.namedParameters().map(([n, p]) => `${n} [${p.shape.join(', ')}]`);

test('BEiT: relative position bias table of (2Wh-1)(2Ww-1)+3 rows per head, names and order as MMSeg', () => {
  const beit = MODELS.build<BEiT>({ type: 'BEiT', ...SMALL });
  const qv = ['q_bias [32]', 'v_bias [32]', 'relative_position_bias_table [12, 2]', 'qkv.weight [96, 32]'];
  assert.deepEqual(shapes(beit), ['cls_token [1, 1, 32]', 'patch_embed.projection.weight [32, 3, 16, 16]', 'patch_embed.projection.bias [32]', ...layerNames(0, qv), ...layerNames(1, qv)]);
  assert.deepEqual(beit.getBuffer('layers.1.attn.relative_position_index').shape, [5, 5]);
  assert.ok(beit.stateDict().has('layers.0.attn.relative_position_index'), 'the index is a persistent buffer, as in MMSeg');
  // The table for BEiT-base at 640x640 (40 x 40 patches, 12 heads): 79 * 79 + 3 rows.
  const attn = new BEiTAttention({ embedDims: 768, numHeads: 12, windowSize: [40, 40] });
  assert.deepEqual(attn.relativePositionBiasTable.shape, [6244, 12]);
  attn.dispose();
  beit.dispose();
});

test('relative_position_index equals the index MMSeg builds with meshgrid (non-square window)', () => {
  const py = runPyTorch(`
Wh, Ww = 2, 3
n = (2 * Wh - 1) * (2 * Ww - 1) + 3
coords = torch.stack(torch.meshgrid([torch.arange(Wh), torch.arange(Ww)], indexing='ij'))
flat = torch.flatten(coords, 1)
rel = (flat[:, :, None] - flat[:, None, :]).permute(1, 2, 0).contiguous()
rel[:, :, 0] += Wh - 1
rel[:, :, 1] += Ww - 1
rel[:, :, 0] *= 2 * Ww - 1
idx = torch.zeros(size=(Wh * Ww + 1,) * 2, dtype=rel.dtype)
idx[1:, 1:] = rel.sum(-1)
idx[0, 0:] = n - 3
idx[0:, 0] = n - 2
idx[0, 0] = n - 1
out['idx'] = idx
`);
  assert.deepEqual(relativePositionIndex(2, 3).flat(), py.idx!.toArray());
});

const PY_BEIT = `
import torch.nn.functional as F
${SD_PRELUDE}
def beit_layer(x, pre, heads, qv):
    b, n, c = x.shape
    h = F.layer_norm(x, (c,), sd[pre + 'ln1.weight'], sd[pre + 'ln1.bias'], 1e-6)
    if qv:
        bias = torch.cat([sd[pre + 'attn.q_bias'], torch.zeros(c), sd[pre + 'attn.v_bias']])
    else:
        bias = sd[pre + 'attn.qkv.bias']
    qkv = F.linear(h, sd[pre + 'attn.qkv.weight'], bias).reshape(b, n, 3, heads, -1).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0] * (c // heads) ** -0.5, qkv[1], qkv[2]
    rpb = sd[pre + 'attn.relative_position_bias_table'][sd[pre + 'attn.relative_position_index'].view(-1)].view(n, n, -1).permute(2, 0, 1)
    a = ((q @ k.transpose(-2, -1)) + rpb.unsqueeze(0)).softmax(-1)
    a = F.linear((a @ v).transpose(1, 2).reshape(b, n, c), sd[pre + 'attn.proj.weight'], sd[pre + 'attn.proj.bias'])
    x = x + sd[pre + 'gamma_1'] * a
    h = F.layer_norm(x, (c,), sd[pre + 'ln2.weight'], sd[pre + 'ln2.bias'], 1e-6)
    h = F.linear(F.gelu(F.linear(h, sd[pre + 'ffn.layers.0.0.weight'], sd[pre + 'ffn.layers.0.0.bias'])), sd[pre + 'ffn.layers.1.weight'], sd[pre + 'ffn.layers.1.bias'])
    return x + sd[pre + 'gamma_2'] * h
def backbone(x, qv, pos):
    y = F.conv2d(x, sd['patch_embed.projection.weight'], sd['patch_embed.projection.bias'], stride=16)
    b, c, gh, gw = y.shape
    y = torch.cat([sd['cls_token'].expand(b, -1, -1), y.flatten(2).transpose(1, 2)], 1)
    if pos:
        y = y + sd['pos_embed']
    outs = []
    for i in range(2):
        y = beit_layer(y, 'layers.%d.' % i, 2, qv)
        outs.append(y[:, 1:].reshape(b, gh, gw, c).permute(0, 3, 1, 2))
    return outs
`;

test('BEiT and MAE forward equal the same computation in PyTorch (relative position bias, layer scale, qv / qkv biases)', () => {
  torch.manualSeed(11);
  const x = torch.randn([2, 3, 32, 32]);
  for (const [Cls, qv, pos] of [[BEiT, 'True', 'False'], [MAE, 'False', 'True']] as const) {
    const model = new Cls(SMALL);
    randomizeParameters(model, 0.2);
    model.eval();
    const outs = model.forward(x);
    const py = runPyTorch(`${PY_BEIT}\no0, o1 = backbone(x, ${qv}, ${pos})\nout['o0'] = o0\nout['o1'] = o1\n`, { x, ...stateInputs(model) });
    assert.deepEqual(outs.map((o) => o.shape), [[2, 32, 2, 2], [2, 32, 2, 2]]);
    assertClose(outs[0]!, py.o0!, { atol: 1e-4, rtol: 1e-4, name: `${Cls.name} out 0` });
    assertClose(outs[1]!, py.o1!, { atol: 1e-4, rtol: 1e-4, name: `${Cls.name} out 1` });
    model.dispose();
  }
});

test('MAE: pos_embed after cls_token, one qkv bias, no q/v biases', () => {
  const mae = MODELS.build<MAE>({ type: 'MAE', ...SMALL, num_layers: 1, out_indices: [0] });
  assert.deepEqual(shapes(mae), ['cls_token [1, 1, 32]', 'pos_embed [1, 5, 32]', 'patch_embed.projection.weight [32, 3, 16, 16]', 'patch_embed.projection.bias [32]',
    ...layerNames(0, ['relative_position_bias_table [12, 2]', 'qkv.weight [96, 32]', 'qkv.bias [96]'])]);
  assert.throws(() => MODELS.build({ type: 'MAE', qv_bias: true }), /unknown key 'qv_bias'/);
  mae.dispose();
});

test('drop path acts only in training: BEiT with drop rate 1 leaves the last layer input unchanged while training', () => {
  torch.manualSeed(12);
  const beit = new BEiT({ ...SMALL, drop_path_rate: 1, out_indices: [0, 1] });
  randomizeParameters(beit);
  const x = torch.randn([1, 3, 32, 32]);
  beit.train();
  const [t0, t1] = beit.forward(x);
  assert.deepEqual(t1!.toArray(), t0!.toArray(), 'layer 1 (drop prob 1) adds nothing while training');
  beit.eval();
  const [e0, e1] = beit.forward(x);
  assert.ok(e1!.sub(e0!).abs().max().item() > 1e-3);
  beit.dispose();
});

test('BEiT init: default leaves the relative position tables at zero; another init_cfg runs their own trunc-normal init', () => {
  torch.manualSeed(13);
  const plain = new BEiT({ ...SMALL, img_size: 128 });
  plain.initWeights();
  assert.equal(plain.getParameter('layers.0.attn.relative_position_bias_table').abs().max().item(), 0);
  const cls = plain.clsToken.std().item();
  assert.ok(cls > 0.01 && cls < 0.03, `cls_token std ${cls}`);
  const withCfg = new BEiT({ ...SMALL, img_size: 128, init_cfg: { type: 'Constant', layer: 'LayerNorm', val: 1 } });
  withCfg.initWeights();
  const std = withCfg.getParameter('layers.1.attn.relative_position_bias_table').std().item();
  assert.ok(std > 0.015 && std < 0.025, `table std ${std}`);
  plain.dispose();
  withCfg.dispose();
});

test('MAE Pretrained: pos_embed resized bicubically, fix_init_weight kept where the checkpoint has no value', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-mae-'));
  try {
    torch.manualSeed(14);
    const src = new MAE({ ...SMALL, embed_dims: 64, num_layers: 4 });
    randomizeParameters(src);
    const file = join(dir, 'mae.segkit');
    saveCheckpointFile({ state_dict: new Map([['cls_token', src.clsToken], ['pos_embed', src.posEmbed]]) }, file);
    const dst = new MAE({ ...SMALL, embed_dims: 64, num_layers: 4, img_size: 64, init_cfg: { type: 'Pretrained', checkpoint: file } });
    dst.initWeights();
    assert.deepEqual(dst.clsToken.toArray(), src.clsToken.toArray());
    const py = runPyTorch(`
import torch.nn.functional as F
grid = pe[:, 1:].reshape(-1, 2, 2, 64).permute(0, 3, 1, 2)
grid = F.interpolate(grid, size=(4, 4), mode='bicubic', align_corners=False).permute(0, 2, 3, 1).flatten(1, 2)
out['pe'] = torch.cat([pe[:, :1], grid], 1)
`, { pe: src.posEmbed });
    assertClose(dst.posEmbed, py.pe!, { atol: 1e-5, name: 'pos_embed' });
    // Layer 3's projections keep trunc_normal(0.02) / sqrt(2 * 4).
    const std = dst.getParameter('layers.3.attn.proj.weight').std().item();
    assert.ok(Math.abs(std - 0.02 / Math.sqrt(8)) < 0.0006, `proj std ${std}`);
    src.dispose();
    dst.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('BEiT Pretrained refuses a relative position table made for another patch grid', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-beit-'));
  try {
    const src = new BEiT({ ...SMALL, num_layers: 1, out_indices: [0] });
    const file = join(dir, 'beit.segkit');
    saveCheckpointFile({ state_dict: src.stateDict() }, file);
    const dst = new BEiT({ ...SMALL, num_layers: 1, out_indices: [0], img_size: 64, pretrained: file });
    assert.throws(() => dst.initWeights(), /layers\.0\.attn\.relative_position_bias_table has 12 relative positions, this BEiT needs 52/);
    const same = new BEiT({ ...SMALL, num_layers: 1, out_indices: [0], pretrained: file });
    same.initWeights();
    assert.deepEqual(same.getParameter('layers.0.attn.qkv.weight').toArray(), src.getParameter('layers.0.attn.qkv.weight').toArray());
    for (const m of [src, dst, same]) m.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
