import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { MODELS } from '../../../engine/registry/index.js';
import { MixVisionTransformer } from './mit.js';
import { SD_PRELUDE, nameShapes, randomizeParameters, stateInputs } from './test-utils.js';

/** MMSeg's configs/_base_/models/segformer_mit-b0.py backbone. */
const MIT_B0 = {
  type: 'MixVisionTransformer',
  in_channels: 3,
  embed_dims: 32,
  num_stages: 4,
  num_layers: [2, 2, 2, 2],
  num_heads: [1, 2, 5, 8],
  patch_sizes: [7, 3, 3, 3],
  sr_ratios: [8, 4, 2, 1],
  out_indices: [0, 1, 2, 3],
  mlp_ratio: 4,
  qkv_bias: true,
  drop_rate: 0.0,
  attn_drop_rate: 0.0,
  drop_path_rate: 0.1,
};

/**
 * MiT-b0's parameters as MMSeg's mit.py builds them: per stage a PatchEmbed (projection + norm),
 * the layers (norm1, attn.attn = nn.MultiheadAttention, attn.sr + attn.norm when sr_ratio > 1,
 * norm2, ffn.layers = [fc1, pe_conv, act, drop, fc2, drop]) and the stage norm.
 */
function mitB0Names(): string[] {
  const dims = [32, 64, 160, 256];
  const kernels = [7, 3, 3, 3];
  const sr = [8, 4, 2, 1];
  const rows: string[] = [];
  let inC = 3;
  dims.forEach((c, i) => {
    const p = `backbone.layers.${i}`;
    rows.push(`${p}.0.projection.weight [${c}, ${inC}, ${kernels[i]}, ${kernels[i]}]`, `${p}.0.projection.bias [${c}]`, `${p}.0.norm.weight [${c}]`, `${p}.0.norm.bias [${c}]`);
    for (let j = 0; j < 2; j++) {
      const l = `${p}.1.${j}`;
      rows.push(`${l}.norm1.weight [${c}]`, `${l}.norm1.bias [${c}]`,
        `${l}.attn.attn.in_proj_weight [${3 * c}, ${c}]`, `${l}.attn.attn.in_proj_bias [${3 * c}]`,
        `${l}.attn.attn.out_proj.weight [${c}, ${c}]`, `${l}.attn.attn.out_proj.bias [${c}]`);
      if (sr[i]! > 1) rows.push(`${l}.attn.sr.weight [${c}, ${c}, ${sr[i]}, ${sr[i]}]`, `${l}.attn.sr.bias [${c}]`, `${l}.attn.norm.weight [${c}]`, `${l}.attn.norm.bias [${c}]`);
      rows.push(`${l}.norm2.weight [${c}]`, `${l}.norm2.bias [${c}]`,
        `${l}.ffn.layers.0.weight [${4 * c}, ${c}, 1, 1]`, `${l}.ffn.layers.0.bias [${4 * c}]`,
        `${l}.ffn.layers.1.weight [${4 * c}, 1, 3, 3]`, `${l}.ffn.layers.1.bias [${4 * c}]`,
        `${l}.ffn.layers.4.weight [${c}, ${4 * c}, 1, 1]`, `${l}.ffn.layers.4.bias [${c}]`);
    }
    rows.push(`${p}.2.weight [${c}]`, `${p}.2.bias [${c}]`);
    inC = c;
  });
  return rows.sort();
}

test('MiT-b0 has MMSeg\'s parameter names and shapes (3,319,392 parameters)', () => {
  const mit = MODELS.build<MixVisionTransformer>(MIT_B0);
  assert.deepEqual(nameShapes(mit, 'backbone.'), mitB0Names());
  assert.equal(mit.parameters().reduce((n, p) => n + p.numel, 0), 3319392);
  mit.dispose();
});

test('MiT-b0 forward + backward at 64x64: four maps at strides 4..32, every parameter gets a gradient', () => {
  torch.manualSeed(21);
  const mit = MODELS.build<MixVisionTransformer>(MIT_B0);
  mit.initWeights();
  mit.train();
  const x = torch.randn([2, 3, 64, 64]);
  const outs = mit.forward(x);
  assert.deepEqual(outs.map((o) => o.shape), [[2, 32, 16, 16], [2, 64, 8, 8], [2, 160, 4, 4], [2, 256, 2, 2]]);
  const loss = outs.map((o) => o.square().mean()).reduce((a, b) => a.add(b));
  loss.backward();
  for (const [name, p] of mit.namedParameters()) {
    assert.ok(p.grad !== null, `${name} has no gradient`);
    assert.ok(Number.isFinite(p.grad.abs().sum().item()), `${name} gradient is not finite`);
  }
  assert.ok(mit.getParameter('layers.0.1.0.attn.sr.weight').grad!.abs().max().item() > 0);
  mit.dispose();
});

const PY_MIT = `
import torch.nn as nn
import torch.nn.functional as F
${SD_PRELUDE}
ln = lambda x, p: F.layer_norm(x, (x.shape[-1],), sd[p + '.weight'], sd[p + '.bias'], 1e-6)
to_map = lambda x, hw: x.transpose(1, 2).reshape(x.shape[0], x.shape[2], *hw)
def layer(x, hw, p, heads, sr):
    c = x.shape[-1]
    h = ln(x, p + 'norm1')
    kv = h
    if sr > 1:
        kv = ln(F.conv2d(to_map(h, hw), sd[p + 'attn.sr.weight'], sd[p + 'attn.sr.bias'], stride=sr).flatten(2).transpose(1, 2), p + 'attn.norm')
    mha = nn.MultiheadAttention(c, heads)
    mha.load_state_dict({k[len(p + 'attn.attn.'):]: v for k, v in sd.items() if k.startswith(p + 'attn.attn.')})
    mha.eval()
    x = x + mha(h.transpose(0, 1), kv.transpose(0, 1), kv.transpose(0, 1), need_weights=False)[0].transpose(0, 1)
    m = to_map(ln(x, p + 'norm2'), hw)
    m = F.conv2d(m, sd[p + 'ffn.layers.0.weight'], sd[p + 'ffn.layers.0.bias'])
    m = F.gelu(F.conv2d(m, sd[p + 'ffn.layers.1.weight'], sd[p + 'ffn.layers.1.bias'], padding=1, groups=m.shape[1]))
    m = F.conv2d(m, sd[p + 'ffn.layers.4.weight'], sd[p + 'ffn.layers.4.bias'])
    return x + m.flatten(2).transpose(1, 2)
y = x
for i, (k, s, heads, sr) in enumerate([(7, 4, 1, 2), (3, 2, 2, 1)]):
    y = F.conv2d(y, sd['layers.%d.0.projection.weight' % i], sd['layers.%d.0.projection.bias' % i], stride=s, padding=k // 2)
    hw = y.shape[2:]
    t = ln(y.flatten(2).transpose(1, 2), 'layers.%d.0.norm' % i)
    t = layer(t, hw, 'layers.%d.1.0.' % i, heads, sr)
    y = to_map(ln(t, 'layers.%d.2' % i), hw)
    out['o%d' % i] = y
`;

test('a tiny MiT (spatial-reduction attention, MixFFN) forward equals PyTorch', () => {
  torch.manualSeed(22);
  const mit = new MixVisionTransformer({
    embed_dims: 8, num_stages: 2, num_layers: [1, 1], num_heads: [1, 2], patch_sizes: [7, 3], strides: [4, 2], sr_ratios: [2, 1], out_indices: [0, 1],
  });
  randomizeParameters(mit, 0.2);
  mit.eval();
  const x = torch.randn([2, 3, 32, 32]);
  const outs = mit.forward(x);
  const py = runPyTorch(PY_MIT, { x, ...stateInputs(mit) });
  assert.deepEqual(outs.map((o) => o.shape), [[2, 8, 8, 8], [2, 16, 4, 4]]);
  assertClose(outs[0]!, py.o0!, { atol: 1e-4, rtol: 1e-4, name: 'out 0' });
  assertClose(outs[1]!, py.o1!, { atol: 1e-4, rtol: 1e-4, name: 'out 1' });
  mit.dispose();
});

test('MiT default init: conv weights N(0, 2 / fan_out) with fan_out = k*k*out/groups; list lengths checked against num_stages', () => {
  torch.manualSeed(23);
  const mit = new MixVisionTransformer({ embed_dims: 32, num_stages: 1, num_layers: [1], num_heads: [2], patch_sizes: [7], strides: [4], sr_ratios: [1], out_indices: [0] });
  mit.initWeights();
  const pe = mit.getParameter('layers.0.1.0.ffn.layers.1.weight');
  const expected = Math.sqrt(2 / 9);
  assert.ok(Math.abs(pe.std().item() - expected) / expected < 0.05, `depthwise std ${pe.std().item()}`);
  assert.equal(mit.getParameter('layers.0.1.0.ffn.layers.1.bias').abs().max().item(), 0);
  assert.throws(() => new MixVisionTransformer({ num_stages: 3 }), /num_layers: expected 3 entries \(num_stages\), got 4/);
  assert.throws(() => new MixVisionTransformer({ out_indices: [4] }), /out_indices\.0: stage 4 is outside 0\.\.3/);
  mit.dispose();
});

test('MiT training forward leaves only its outputs alive (intermediates freed per layer, as Python frees them), and gradients still flow', () => {
  torch.manualSeed(24);
  const mit = new MixVisionTransformer({
    embed_dims: 8, num_stages: 2, num_layers: [2, 1], num_heads: [1, 2], patch_sizes: [7, 3], strides: [4, 2], sr_ratios: [2, 1], out_indices: [0, 1], drop_path_rate: 0.1,
  });
  mit.train();
  const x = torch.keep(torch.randn([2, 3, 32, 32]));
  torch.tidy(() => {
    const before = torch.native.liveHandles();
    const outs = mit.forward(x);
    // Without the per-layer scopes every reshape, token copy and residual sum stayed alive until the step's scope ended.
    assert.equal(torch.native.liveHandles() - before, outs.length);
    outs.map((o) => o.sum()).reduce((a, b) => a.add(b)).backward();
    for (const [name, p] of mit.namedParameters()) assert.ok(p.grad !== null && p.grad.abs().sum().item() > 0, `${name} has a gradient`);
  });
  x.dispose();
  mit.dispose();
});
