import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import { nn } from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { MultiLevelNeck } from './multilevel-neck.js';
import { SD_PRELUDE, randomizeParameters, stateInputs } from '../backbones/test-utils.js';

test('MultiLevelNeck forward equals PyTorch: 1x1 lateral conv, bilinear rescale, 3x3 conv', () => {
  torch.manualSeed(5);
  const neck = new MultiLevelNeck({ in_channels: [6, 6, 6, 6], out_channels: 4, scales: [4, 2, 1, 0.5] });
  randomizeParameters(neck, 0.3);
  const inputs = [0, 1, 2, 3].map(() => torch.randn([2, 6, 4, 6]));
  const outs = neck.forward(inputs);
  const py = runPyTorch(`
import torch.nn.functional as F
${SD_PRELUDE}
for i, s in enumerate([4, 2, 1, 0.5]):
    y = F.conv2d(inputs['x%d' % i], sd['lateral_convs.%d.conv.weight' % i], sd['lateral_convs.%d.conv.bias' % i])
    y = F.interpolate(y, scale_factor=s, mode='bilinear', align_corners=False)
    out['o%d' % i] = F.conv2d(y, sd['convs.%d.conv.weight' % i], sd['convs.%d.conv.bias' % i], padding=1)
`, { x0: inputs[0]!, x1: inputs[1]!, x2: inputs[2]!, x3: inputs[3]!, ...stateInputs(neck) });
  assert.deepEqual(outs.map((o) => o.shape), [[2, 4, 16, 24], [2, 4, 8, 12], [2, 4, 4, 6], [2, 4, 2, 3]]);
  outs.forEach((o, i) => assertClose(o, py[`o${i}`]!, { atol: 1e-4, rtol: 1e-4, name: `out ${i}` }));
  neck.dispose();
});

test('MultiLevelNeck with one input feeds it to every scale; norm/act configs add ConvModule layers', () => {
  const neck = new MultiLevelNeck({ in_channels: [3], out_channels: 4, scales: [1, 2], norm_cfg: { type: 'BN' }, act_cfg: { type: 'ReLU' } });
  const outs = neck.forward([torch.randn([1, 3, 5, 5])]);
  assert.deepEqual(outs.map((o) => o.shape), [[1, 4, 5, 5], [1, 4, 10, 10]]);
  assert.deepEqual(neck.namedParameters().map(([n]) => n), [
    'lateral_convs.0.conv.weight', 'lateral_convs.0.bn.weight', 'lateral_convs.0.bn.bias',
    'convs.0.conv.weight', 'convs.0.bn.weight', 'convs.0.bn.bias', 'convs.1.conv.weight', 'convs.1.bn.weight', 'convs.1.bn.bias',
  ]);
  assert.throws(() => new MultiLevelNeck({ in_channels: [3, 3], out_channels: 4, scales: [1, 2, 4] }), /in_channels: expected 1 entry or at least one per scale \(3\), got 2/);
  assert.throws(() => neck.forward([torch.randn([1, 3, 5, 5]), torch.randn([1, 3, 5, 5])]), /expected 1 inputs, got 2/);
  neck.dispose();
});

test('MultiLevelNeck.initWeights: Xavier-uniform conv weights, zero biases', () => {
  torch.manualSeed(6);
  const neck = new MultiLevelNeck({ in_channels: [64], out_channels: 64, scales: [1] });
  neck.initWeights();
  const w = neck.getParameter('convs.0.conv.weight');
  const bound = Math.sqrt(6 / (64 * 9 + 64 * 9));
  assert.ok(w.abs().max().item() <= bound + 1e-7);
  assert.ok(Math.abs(w.std().item() - bound / Math.sqrt(3)) < 0.002);
  assert.equal(neck.getParameter('convs.0.conv.bias').abs().max().item(), 0);
  assert.ok(neck.lateralConvs.at(0).conv instanceof nn.Conv2d);
  neck.dispose();
});
