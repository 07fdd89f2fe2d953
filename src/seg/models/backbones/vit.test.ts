import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../../torch/index.js';
import { nn, type Tensor } from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { MODELS } from '../../../engine/registry/index.js';
import { saveCheckpointFile } from '../../../engine/runner/checkpoint-file.js';
import { VisionTransformer, resizePosEmbed } from './vit.js';
import { TransformerEncoderLayer } from './vit-layer.js';
import { MultiLevelNeck } from '../necks/multilevel-neck.js';
import '../necks/multilevel-neck.js'; // registers MultiLevelNeck for MODELS.build
import { SD_PRELUDE, nameShapes, randomizeParameters, stateInputs } from './test-utils.js';

const REFERENCE = '/work/shared/reference/2b_vit_default_constructor_A.json';

/** MMSeg's upernet_vit-b16_ln_mln backbone with the reference's shrunken settings (its `meta.backbone_overrides`). */
const SMALL_VIT = {
  type: 'VisionTransformer',
  img_size: [64, 64],
  patch_size: 16,
  in_channels: 3,
  embed_dims: 64,
  num_layers: 4,
  num_heads: 4,
  mlp_ratio: 4,
  out_indices: [0, 1, 2, 3],
  qkv_bias: true,
  drop_rate: 0.0,
  attn_drop_rate: 0.0,
  drop_path_rate: 0.0,
  with_cls_token: true,
  norm_cfg: { type: 'LN', eps: 1e-6 },
  act_cfg: { type: 'GELU' },
  norm_eval: false,
  interpolate_mode: 'bicubic',
  pretrained: null,
};

test('small ViT + MultiLevelNeck have exactly the reference backbone.* and neck.* names and shapes', () => {
  const ref = JSON.parse(readFileSync(REFERENCE, 'utf8')) as { params: { name: string; shape: number[]; group_index: number }[] };
  const rows = (prefix: string): string[] => ref.params.filter((p) => p.name.startsWith(prefix)).map((p) => `${p.name} [${p.shape.join(', ')}]`).sort();
  const vit = MODELS.build<VisionTransformer>(SMALL_VIT);
  const neck = MODELS.build<MultiLevelNeck>({ type: 'MultiLevelNeck', in_channels: [64, 64, 64, 64], out_channels: 64, scales: [4, 2, 1, 0.5] });
  assert.deepEqual(nameShapes(vit, 'backbone.'), rows('backbone.'));
  assert.deepEqual(nameShapes(neck, 'neck.'), rows('neck.'));
  assert.equal(rows('backbone.').length + rows('neck.').length, 67);
  // DefaultOptimWrapperConstructor makes one group per parameter in named_parameters order: the order matters too.
  const refOrder = ref.params.slice().sort((a, b) => a.group_index - b.group_index)
    .map((p) => p.name).filter((n) => n.startsWith('backbone.') || n.startsWith('neck.'));
  assert.deepEqual([...vit.namedParameters('backbone'), ...neck.namedParameters('neck')].map(([n]) => n), refOrder);
  const outs = neck.forward(vit.forward(torch.randn([1, 3, 64, 64])) as Tensor[]);
  assert.deepEqual(outs.map((o) => o.shape), [[1, 64, 16, 16], [1, 64, 8, 8], [1, 64, 4, 4], [1, 64, 2, 2]]);
  vit.dispose();
  neck.dispose();
});

const PY_VIT_LAYER = `
import torch.nn as nn
import torch.nn.functional as F
${SD_PRELUDE}
def layer(x, pre, heads=4):
    c = x.shape[-1]
    h = F.layer_norm(x, (c,), sd[pre + 'ln1.weight'], sd[pre + 'ln1.bias'], 1e-6)
    mha = nn.MultiheadAttention(c, heads, batch_first=True)
    mha.load_state_dict({'in_proj_weight': sd[pre + 'attn.attn.in_proj_weight'], 'in_proj_bias': sd[pre + 'attn.attn.in_proj_bias'],
                         'out_proj.weight': sd[pre + 'attn.attn.out_proj.weight'], 'out_proj.bias': sd[pre + 'attn.attn.out_proj.bias']})
    mha.eval()
    x = x + mha(h, h, h, need_weights=False)[0]
    h = F.layer_norm(x, (c,), sd[pre + 'ln2.weight'], sd[pre + 'ln2.bias'], 1e-6)
    h = F.gelu(F.linear(h, sd[pre + 'ffn.layers.0.0.weight'], sd[pre + 'ffn.layers.0.0.bias']))
    return x + F.linear(h, sd[pre + 'ffn.layers.1.weight'], sd[pre + 'ffn.layers.1.bias'])
`;

test('a ViT layer and the whole ViT (padded input, resized pos_embed, final norm) equal PyTorch', () => {
  torch.manualSeed(7);
  const { type: _type, ...options } = SMALL_VIT;
  const vit = new VisionTransformer({ ...options, img_size: [64, 64], interpolate_mode: 'bicubic', out_indices: [1, 3], final_norm: true });
  randomizeParameters(vit, 0.2);
  vit.eval();
  // 40 x 72 pads (corner) to 48 x 80: a 3 x 5 patch grid where pos_embed was made for 4 x 4.
  const x = torch.randn([2, 3, 40, 72]);
  const tokens = torch.randn([2, 7, 64]);
  const outs = vit.forward(x) as Tensor[];
  const layerOut = vit.layers.at(2).forward(tokens);
  const py = runPyTorch(`${PY_VIT_LAYER}
out['layer'] = layer(tokens, 'layers.2.')
y = F.conv2d(F.pad(x, [0, 8, 0, 8]), sd['patch_embed.projection.weight'], None, stride=16)
b, c, gh, gw = y.shape
y = torch.cat([sd['cls_token'].expand(b, -1, -1), y.flatten(2).transpose(1, 2)], 1)
grid = sd['pos_embed'][:, 1:].reshape(1, 4, 4, c).permute(0, 3, 1, 2)
grid = F.interpolate(grid, size=(gh, gw), mode='bicubic', align_corners=False).flatten(2).transpose(1, 2)
y = y + torch.cat([sd['pos_embed'][:, :1], grid], 1)
for i in range(4):
    y = layer(y, 'layers.%d.' % i)
    if i == 1:
        out['o1'] = y[:, 1:].reshape(b, gh, gw, c).permute(0, 3, 1, 2)
out['o3'] = F.layer_norm(y, (c,), sd['ln1.weight'], sd['ln1.bias'], 1e-6)[:, 1:].reshape(b, gh, gw, c).permute(0, 3, 1, 2)
`, { x, tokens, ...stateInputs(vit) });
  assertClose(layerOut, py.layer!, { atol: 2e-4, rtol: 1e-4, name: 'layer' });
  assert.deepEqual(outs.map((o) => o.shape), [[2, 64, 3, 5], [2, 64, 3, 5]]);
  assertClose(outs[0]!, py.o1!, { atol: 2e-4, rtol: 1e-4, name: 'out 1' });
  assertClose(outs[1]!, py.o3!, { atol: 2e-4, rtol: 1e-4, name: 'out 3' });
  vit.dispose();
});

test('pos_embed interpolation: other input sizes give other grids, the trained size uses pos_embed as is', () => {
  const vit = new VisionTransformer({ img_size: 64, patch_size: 16, embed_dims: 32, num_layers: 1, num_heads: 2, out_indices: -1 });
  vit.initWeights();
  vit.eval();
  assert.deepEqual((vit.forward(torch.randn([1, 3, 96, 32])) as Tensor[])[0]!.shape, [1, 32, 6, 2]);
  // Resizing to the grid it was made for is the identity; to another grid it keeps the cls slot.
  const same = resizePosEmbed(vit.posEmbed, [4, 4], [4, 4], 'bicubic');
  assertClose(same, vit.posEmbed, { atol: 1e-6 });
  const other = resizePosEmbed(vit.posEmbed, [6, 2], [4, 4], 'bicubic');
  assert.deepEqual(other.shape, [1, 13, 32]);
  assert.deepEqual(other.select(1, 0).toArray(), vit.posEmbed.select(1, 0).toArray());
  vit.dispose();
});

test('drop path acts only in training: with drop rate 1 the FFN branch vanishes while training', () => {
  torch.manualSeed(2);
  const layer = new TransformerEncoderLayer({ embedDims: 16, numHeads: 2, feedforwardChannels: 32, dropPathRate: 1 });
  const x = torch.randn([2, 5, 16]);
  layer.train();
  const trained = layer.forward(x);
  const attnOnly = (layer.attn as unknown as { forward(q: Tensor, c: object): Tensor }).forward(layer.norm1.forward(x), { identity: x });
  assertClose(trained, attnOnly, { atol: 1e-6 });
  layer.eval();
  const evaluated = layer.forward(x);
  assert.ok(evaluated.sub(attnOnly).abs().max().item() > 1e-3, 'in eval mode the FFN branch must contribute');
  // The stochastic depth of a 4-layer ViT grows linearly from 0 (layer 0 has none).
  const vit = new VisionTransformer({ img_size: 32, embed_dims: 16, num_layers: 4, num_heads: 2, drop_path_rate: 0.3 });
  assert.ok(vit.layers.at(0).ffn.dropoutLayer instanceof nn.Identity);
  assert.ok(Math.abs((vit.layers.at(3).ffn.dropoutLayer as nn.DropPath).dropProb - 0.3) < 1e-6);
  layer.dispose();
  vit.dispose();
});

test('options: out_indices -1, no cls token in the outputs, output_cls_token pairs, frozen_exclude', () => {
  const base = { img_size: 32, embed_dims: 16, num_layers: 2, num_heads: 2 };
  const x = torch.randn([2, 3, 32, 32]);
  const last = new VisionTransformer(base);
  assert.deepEqual(last.outIndices, [1]);
  const noCls = new VisionTransformer({ ...base, with_cls_token: false });
  assert.deepEqual((noCls.forward(x) as Tensor[])[0]!.shape, [2, 16, 2, 2]);
  const pairs = new VisionTransformer({ ...base, output_cls_token: true, out_origin: true });
  const outs = pairs.forward(x) as [Tensor, Tensor][];
  assert.equal(outs.length, 2);
  assert.deepEqual(outs.map(([m, c]) => [m.shape, c.shape]), [[[2, 16, 2, 2], [2, 16]], [[2, 16, 2, 2], [2, 16]]]);
  const frozen = new VisionTransformer({ ...base, frozen_exclude: ['ln'] });
  assert.deepEqual(frozen.namedParameters().filter(([, p]) => p.requiresGrad).map(([n]) => n),
    ['layers.0.ln1.weight', 'layers.0.ln1.bias', 'layers.0.ln2.weight', 'layers.0.ln2.bias', 'layers.1.ln1.weight', 'layers.1.ln1.bias', 'layers.1.ln2.weight', 'layers.1.ln2.bias']);
  assert.throws(() => new VisionTransformer({ ...base, output_cls_token: true, with_cls_token: false }), /output_cls_token: with_cls_token must be true/);
  assert.throws(() => new VisionTransformer({ ...base, out_indices: [2] }), /out_indices\.0: layer 2 is outside 0\.\.1/);
  for (const m of [last, noCls, pairs, frozen]) m.dispose();
});

test('default init: trunc-normal tokens and Linear weights, 1e-6 FFN biases, zero attention biases, unit norms', () => {
  torch.manualSeed(4);
  const vit = new VisionTransformer({ img_size: 128, embed_dims: 64, num_layers: 1, num_heads: 2 });
  vit.initWeights();
  const std = (name: string): number => vit.getParameter(name).std().item();
  assert.ok(Math.abs(std('pos_embed') - 0.02) < 0.002, `pos_embed std ${std('pos_embed')}`);
  assert.ok(Math.abs(std('layers.0.ffn.layers.0.0.weight') - 0.02) < 0.001);
  assert.ok(Math.abs(std('layers.0.attn.attn.out_proj.weight') - 0.02) < 0.002);
  const ffnBias = std('layers.0.ffn.layers.0.0.bias');
  assert.ok(ffnBias > 5e-7 && ffnBias < 2e-6, `ffn bias std ${ffnBias}`);
  assert.equal(vit.getParameter('layers.0.attn.attn.out_proj.bias').abs().max().item(), 0);
  assert.deepEqual([...new Set(vit.getParameter('layers.0.ln2.weight').toArray())], [1]);
  vit.dispose();
});

test('init_cfg Pretrained with prefix loads a checkpoint and resizes a pos_embed made for another grid', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-vit-'));
  try {
    const small = { embed_dims: 16, num_layers: 1, num_heads: 2, patch_size: 16 };
    const src = new VisionTransformer({ ...small, img_size: 32 });
    randomizeParameters(src);
    const state = new Map([...src.stateDict()].map(([k, v]) => [`backbone.${k}`, v]));
    state.set('decode_head.conv_seg.weight', torch.zeros([2, 2]));
    const file = join(dir, 'ckpt.segkit');
    saveCheckpointFile({ state_dict: state }, file);
    const dst = new VisionTransformer({ ...small, img_size: 64, init_cfg: { type: 'Pretrained', checkpoint: file, prefix: 'backbone.' } });
    dst.initWeights();
    assert.deepEqual(dst.posEmbed.shape, [1, 17, 16]);
    assertClose(dst.posEmbed, resizePosEmbed(src.posEmbed, [4, 4], [2, 2], 'bicubic'), { atol: 1e-6 });
    assert.deepEqual(dst.getParameter('layers.0.ffn.layers.1.weight').toArray(), src.getParameter('layers.0.ffn.layers.1.weight').toArray());
    src.dispose();
    dst.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
