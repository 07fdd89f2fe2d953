import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { MODELS } from '../../../engine/registry/index.js';
import { ConfigError } from '../../../engine/config/errors.js';
import { ConvNeXt } from './convnext.js';
import { ConvNeXtBlock } from './convnext-block.js';
import { nn } from '../../../torch/index.js';
import { SD_PRELUDE, nameShapes, randomizeParameters, stateInputs } from './test-utils.js';

const REFERENCE = '/work/shared/reference/2c_i_convnext_stage_wise.json';

test('ConvNeXt-base (MMSeg UPerNet config) has exactly the reference backbone parameter names and shapes', () => {
  const ref = JSON.parse(readFileSync(REFERENCE, 'utf8')) as { params: { name: string; shape: number[] }[] };
  const expected = ref.params.filter((p) => p.name.startsWith('backbone.')).map((p) => `${p.name} [${p.shape.join(', ')}]`).sort();
  assert.equal(expected.length, 348);
  const model = MODELS.build<ConvNeXt>({
    type: 'mmpretrain.ConvNeXt',
    arch: 'base',
    out_indices: [0, 1, 2, 3],
    drop_path_rate: 0.4,
    layer_scale_init_value: 1.0,
    gap_before_final_norm: false,
    init_cfg: null,
  });
  try {
    assert.deepEqual(nameShapes(model, 'backbone.'), expected);
    // layer_scale_init_value 1.0 fills every gamma with ones; drop path grows linearly to 0.4 over the 36 blocks.
    assert.deepEqual([...new Set(model.getParameter('stages.2.5.gamma').toArray())], [1]);
    const last = model.stages.at(3).at(2) as ConvNeXtBlock;
    assert.ok(last.dropPath instanceof nn.DropPath);
    assert.ok(Math.abs((last.dropPath as nn.DropPath).dropProb - 0.4) < 1e-6);
    assert.ok((model.stages.at(0).at(0) as ConvNeXtBlock).dropPath instanceof nn.Identity);
  } finally {
    model.dispose();
  }
});

const PY_CONVNEXT = `
import torch.nn.functional as F
${SD_PRELUDE}
def ln_cf(x, pre, eps=1e-6):
    return F.layer_norm(x.permute(0, 2, 3, 1), (x.shape[1],), sd[pre + 'weight'], sd[pre + 'bias'], eps).permute(0, 3, 1, 2)
def block(x, pre):
    y = F.conv2d(x, sd[pre + 'depthwise_conv.weight'], sd[pre + 'depthwise_conv.bias'], padding=3, groups=x.shape[1])
    y = y.permute(0, 2, 3, 1)
    y = F.layer_norm(y, (y.shape[-1],), sd[pre + 'norm.weight'], sd[pre + 'norm.bias'], 1e-6)
    y = F.gelu(F.linear(y, sd[pre + 'pointwise_conv1.weight'], sd[pre + 'pointwise_conv1.bias']))
    y = F.linear(y, sd[pre + 'pointwise_conv2.weight'], sd[pre + 'pointwise_conv2.bias']).permute(0, 3, 1, 2)
    return x + y * sd[pre + 'gamma'].view(1, -1, 1, 1)
`;

test('ConvNeXt block and a tiny ConvNeXt forward equal the same computation in PyTorch', () => {
  torch.manualSeed(3);
  const model = new ConvNeXt({ arch: { depths: [1, 2], channels: [8, 16] }, out_indices: [0, 1], gap_before_final_norm: false, init_cfg: null });
  randomizeParameters(model, 0.3);
  model.eval();
  const x = torch.randn([2, 3, 16, 16]);
  const block = model.stages.at(1).at(1) as ConvNeXtBlock;
  const bx = torch.randn([2, 16, 4, 4]);
  const outs = model.forward(x);
  const blockOut = block.forward(bx);
  const py = runPyTorch(`${PY_CONVNEXT}
out['block'] = block(bx, 'stages.1.1.')
y = F.conv2d(x, sd['downsample_layers.0.0.weight'], sd['downsample_layers.0.0.bias'], stride=4)
y = ln_cf(y, 'downsample_layers.0.1.')
y = block(y, 'stages.0.0.')
out['o0'] = ln_cf(y, 'norm0.')
y = ln_cf(y, 'downsample_layers.1.0.')
y = F.conv2d(y, sd['downsample_layers.1.1.weight'], sd['downsample_layers.1.1.bias'], stride=2)
y = block(block(y, 'stages.1.0.'), 'stages.1.1.')
out['o1'] = ln_cf(y, 'norm1.')
`, { x, bx, ...stateInputs(model) });
  assert.deepEqual(outs.map((o) => o.shape), [[2, 8, 4, 4], [2, 16, 2, 2]]);
  assertClose(blockOut, py.block!, { atol: 1e-4, rtol: 1e-4, name: 'block' });
  assertClose(outs[0]!, py.o0!, { atol: 1e-4, rtol: 1e-4, name: 'out 0' });
  assertClose(outs[1]!, py.o1!, { atol: 1e-4, rtol: 1e-4, name: 'out 1' });
  model.dispose();
});

test('drop path acts only in training: a block with drop rate 1 is the identity while training', () => {
  torch.manualSeed(0);
  const block = new ConvNeXtBlock({ inChannels: 4, act: () => new nn.GELU(), dropPathRate: 1, layerScaleInitValue: 0.5 });
  const x = torch.randn([2, 4, 5, 5]);
  block.train();
  assert.deepEqual(block.forward(x).toArray(), x.toArray());
  block.eval();
  const evalOut = block.forward(x);
  assert.ok(evalOut.sub(x).abs().max().item() > 1e-3, 'in eval mode the residual branch must contribute');
  assert.deepEqual(block.forward(x).toArray(), evalOut.toArray());
  block.dispose();
});

test('gap_before_final_norm pools each output to an (N, C) vector; negative out_indices count from 4', () => {
  const model = new ConvNeXt({ arch: { depths: [1, 1, 1, 1], channels: [4, 8, 8, 8] }, out_indices: [-1], init_cfg: null });
  const outs = model.forward(torch.randn([2, 3, 32, 32]));
  assert.deepEqual(outs.map((o) => o.shape), [[2, 8]]);
  assert.deepEqual(model.outIndices, [3]);
  assert.deepEqual(model.namedParameters().filter(([n]) => n.startsWith('norm')).map(([n]) => n), ['norm3.weight', 'norm3.bias']);
  model.dispose();
});

test('frozen_stages freezes the stem and first stage and keeps them in eval mode after train()', () => {
  const model = new ConvNeXt({ arch: { depths: [1, 1], channels: [4, 8] }, out_indices: [0, 1], frozen_stages: 1, init_cfg: null });
  model.train();
  for (const [name, p] of model.namedParameters()) {
    const frozen = name.startsWith('downsample_layers.0.') || name.startsWith('stages.0.');
    assert.equal(p.requiresGrad, !frozen, name);
  }
  assert.equal(model.stages.at(0).training, false);
  assert.equal(model.stages.at(1).training, true);
  model.dispose();
});

test('default init_cfg: trunc-normal (std 0.02) Conv2d/Linear weights with zero biases, unit LayerNorms', () => {
  torch.manualSeed(1);
  const model = new ConvNeXt({ arch: { depths: [2, 2], channels: [32, 64] }, out_indices: [0, 1] });
  model.initWeights();
  const w = model.getParameter('stages.1.0.pointwise_conv1.weight');
  const std = w.std().item();
  // PyTorch's own Linear init would give std 1 / sqrt(3 * 64) = 0.072 here.
  assert.ok(std > 0.019 && std < 0.021, `std ${std}`);
  assert.equal(model.getParameter('stages.1.0.pointwise_conv1.bias').abs().max().item(), 0);
  assert.equal(model.getParameter('downsample_layers.0.0.bias').abs().max().item(), 0);
  // LN2d extends LayerNorm, so the Constant rule for 'LayerNorm' reaches it (mmpretrain's base-class match).
  for (const name of ['norm1.weight', 'downsample_layers.1.0.weight', 'stages.0.1.norm.weight']) {
    assert.deepEqual([...new Set(model.getParameter(name).toArray())], [1], name);
  }
  model.dispose();
});

test('config errors name the key', () => {
  assert.throws(() => new ConvNeXt({ arch: 'medium' as 'tiny' }), (e: Error) => e instanceof ConfigError && /^arch: /.test(e.message));
  assert.throws(() => new ConvNeXt({ out_indices: [5] }), /out_indices\.0: index 5 is outside the 4 stages/);
  assert.throws(() => new ConvNeXt({ norm_cfg: { type: 'BN' as 'LN2d' } }), /norm_cfg\.type/);
  assert.throws(() => MODELS.build({ type: 'ConvNeXt', arch: 'tiny', depth: 3 }, { keyPath: ['model', 'backbone'] }), /model\.backbone: unknown key 'depth'/);
});
