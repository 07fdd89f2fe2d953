// FPN: MMSeg's parameter names, output levels (max-pool and extra-conv levels), a forward equal to
// plain PyTorch, Xavier init and config errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { ConfigError } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { FPN } from './fpn.js';

torch.manualSeed(4);
const inChannels = [2, 3, 5, 7];
const feats = (): torch.Tensor[] => [[17, 17], [9, 9], [5, 5], [3, 3]].map(([h, w], i) => torch.randn([1, inChannels[i]!, h!, w!]));

test('FPN parameter names follow MMSeg (lateral_convs.i / fpn_convs.i ConvModules with a conv bias)', () => {
  const m = new FPN({ in_channels: inChannels, out_channels: 11, num_outs: 4 });
  assert.deepEqual(m.namedParameters().map(([n, p]) => [n, p.shape]), [
    ['lateral_convs.0.conv.weight', [11, 2, 1, 1]], ['lateral_convs.0.conv.bias', [11]],
    ['lateral_convs.1.conv.weight', [11, 3, 1, 1]], ['lateral_convs.1.conv.bias', [11]],
    ['lateral_convs.2.conv.weight', [11, 5, 1, 1]], ['lateral_convs.2.conv.bias', [11]],
    ['lateral_convs.3.conv.weight', [11, 7, 1, 1]], ['lateral_convs.3.conv.bias', [11]],
    ['fpn_convs.0.conv.weight', [11, 11, 3, 3]], ['fpn_convs.0.conv.bias', [11]],
    ['fpn_convs.1.conv.weight', [11, 11, 3, 3]], ['fpn_convs.1.conv.bias', [11]],
    ['fpn_convs.2.conv.weight', [11, 11, 3, 3]], ['fpn_convs.2.conv.bias', [11]],
    ['fpn_convs.3.conv.weight', [11, 11, 3, 3]], ['fpn_convs.3.conv.bias', [11]],
  ]);
  const bn = new FPN({ in_channels: [4, 8], out_channels: 8, num_outs: 2, norm_cfg: { type: 'BN' }, no_norm_on_lateral: true });
  assert.deepEqual([...bn.stateDict().keys()].slice(0, 6), [
    'lateral_convs.0.conv.weight', 'lateral_convs.0.conv.bias', 'lateral_convs.1.conv.weight', 'lateral_convs.1.conv.bias', 'fpn_convs.0.conv.weight', 'fpn_convs.0.bn.weight',
  ]);
});

const PY_FPN = `
import torch.nn.functional as F
sd = {k[3:]: v for k, v in inputs.items() if k.startswith('sd_')}
xs = [x0, x1, x2, x3]
lat = [F.conv2d(xs[i], sd[f'lateral_convs.{i}.conv.weight'], sd[f'lateral_convs.{i}.conv.bias']) for i in range(4)]
for i in range(3, 0, -1):
    lat[i - 1] = lat[i - 1] + F.interpolate(lat[i], size=lat[i - 1].shape[2:], mode='nearest')
outs = [F.conv2d(lat[i], sd[f'fpn_convs.{i}.conv.weight'], sd[f'fpn_convs.{i}.conv.bias'], padding=1) for i in range(4)]
outs.append(F.max_pool2d(outs[-1], 1, stride=2))
for i, o in enumerate(outs): out[f'o{i}'] = o
`;

test('FPN forward (nearest top-down, 3x3 outputs, a max-pooled 5th level) equals plain PyTorch', () => {
  const m = new FPN({ in_channels: inChannels, out_channels: 6, num_outs: 5 });
  const xs = feats();
  const inputs: Record<string, torch.Tensor> = { x0: xs[0]!, x1: xs[1]!, x2: xs[2]!, x3: xs[3]! };
  for (const [k, v] of m.stateDict()) inputs[`sd_${k}`] = v;
  const ref = runPyTorch(PY_FPN, inputs);
  const outs = torch.noGrad(() => m.forward(xs));
  assert.deepEqual(outs.map((o) => o.shape), [[1, 6, 17, 17], [1, 6, 9, 9], [1, 6, 5, 5], [1, 6, 3, 3], [1, 6, 2, 2]]);
  outs.forEach((o, i) => assertClose(o, ref[`o${i}`]!, { atol: 1e-5, rtol: 1e-4, name: `level ${i}` }));
});

test('add_extra_convs on_input / true adds stride-2 convs to fpn_convs; start_level skips inputs', () => {
  const onInput = new FPN({ in_channels: inChannels, out_channels: 4, num_outs: 6, add_extra_convs: 'on_input', relu_before_extra_convs: true });
  assert.deepEqual(onInput.getParameter('fpn_convs.4.conv.weight').shape, [4, 7, 3, 3]);
  assert.deepEqual(onInput.getParameter('fpn_convs.5.conv.weight').shape, [4, 4, 3, 3]);
  const shapes = torch.tidy(() => torch.noGrad(() => onInput.forward(feats()).map((o) => o.shape.slice(2))));
  assert.deepEqual(shapes, [[17, 17], [9, 9], [5, 5], [3, 3], [2, 2], [1, 1]]);
  const onOutput = new FPN({ in_channels: inChannels, out_channels: 4, num_outs: 5, add_extra_convs: true });
  assert.equal(onOutput.extraSource, 'on_output');
  assert.deepEqual(onOutput.getParameter('fpn_convs.4.conv.weight').shape, [4, 4, 3, 3]);
  const skip = new FPN({ in_channels: inChannels, out_channels: 4, num_outs: 3, start_level: 1 });
  assert.deepEqual(skip.getParameter('lateral_convs.0.conv.weight').shape, [4, 3, 1, 1]);
  const skipShapes = torch.tidy(() => torch.noGrad(() => skip.forward(feats()).map((o) => o.shape.slice(2))));
  assert.deepEqual(skipShapes, [[9, 9], [5, 5], [3, 3]]);
});

test('initWeights: Xavier uniform convs with zero bias by default', () => {
  const m = new FPN({ in_channels: [16], out_channels: 32, num_outs: 1 });
  m.initWeights();
  const w = m.getParameter('fpn_convs.0.conv.weight');
  const bound = Math.sqrt(6 / (32 * 9 + 32 * 9));
  const values = w.toArray();
  assert.ok(values.every((v) => Math.abs(v) <= bound + 1e-7));
  assert.ok(Math.max(...values.map(Math.abs)) > bound * 0.9, 'spread over the whole Xavier range');
  assert.ok(m.getParameter('fpn_convs.0.conv.bias').toArray().every((v) => v === 0));
});

test('a backward through FPN reaches every lateral conv', () => {
  const m = new FPN({ in_channels: inChannels, out_channels: 4, num_outs: 4 });
  torch.tidy(() => m.forward(feats()).map((o) => o.sum()).reduce((a, b) => a.add(b)).backward());
  for (let i = 0; i < 4; i++) assert.ok(m.getParameter(`lateral_convs.${i}.conv.weight`).grad !== null, `lateral ${i}`);
});

test('config errors name the key', () => {
  assert.throws(() => MODELS.build({ type: 'FPN', in_channels: [2, 3], out_channels: 4, num_outs: 1 }, { keyPath: ['model', 'neck'] }),
    (e: unknown) => e instanceof ConfigError && /^model\.neck\.num_outs: must be >= 2/.test(e.message));
  assert.throws(() => new FPN({ in_channels: [2, 3], out_channels: 4, num_outs: 2, add_extra_convs: 'on_top' as never }),
    (e: unknown) => e instanceof ConfigError && /^add_extra_convs/.test(e.message));
  assert.throws(() => new FPN({ in_channels: [2, 3], out_channels: 4, num_outs: 3, end_level: 2 }), /num_outs: must equal end_level - start_level = 2/);
  assert.throws(() => torch.tidy(() => new FPN({ in_channels: [2, 3], out_channels: 4, num_outs: 2 }).forward([torch.randn([1, 2, 4, 4])])), /expected 2 input levels/);
});
