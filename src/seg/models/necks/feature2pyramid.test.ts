import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { Feature2Pyramid } from './feature2pyramid.js';
import { SD_PRELUDE, randomizeParameters, stateInputs } from '../backbones/test-utils.js';

test('Feature2Pyramid names as MMSeg and forward equals PyTorch (4x: deconv, BN, GELU, deconv; 2x; 1x; max-pool 0.5x)', () => {
  torch.manualSeed(8);
  const neck = new Feature2Pyramid({ embed_dim: 6, rescales: [4, 2, 1, 0.5], norm_cfg: { type: 'BN', requires_grad: true } });
  assert.deepEqual(neck.namedParameters().map(([n, p]) => `${n} [${p.shape.join(', ')}]`), [
    'upsample_4x.0.weight [6, 6, 2, 2]', 'upsample_4x.0.bias [6]', 'upsample_4x.1.weight [6]', 'upsample_4x.1.bias [6]',
    'upsample_4x.3.weight [6, 6, 2, 2]', 'upsample_4x.3.bias [6]', 'upsample_2x.0.weight [6, 6, 2, 2]', 'upsample_2x.0.bias [6]',
  ]);
  randomizeParameters(neck, 0.3);
  torch.noGrad(() => {
    neck.getBuffer('upsample_4x.1.running_mean').normal_(0, 0.1);
    neck.getBuffer('upsample_4x.1.running_var').uniform_(0.5, 1.5);
  });
  neck.eval();
  const inputs = [0, 1, 2, 3].map(() => torch.randn([2, 6, 4, 4]));
  const outs = neck.forward(inputs);
  const py = runPyTorch(`
import torch.nn.functional as F
${SD_PRELUDE}
up = lambda x, p: F.conv_transpose2d(x, sd[p + '.weight'], sd[p + '.bias'], stride=2)
y = up(x0, 'upsample_4x.0')
y = F.batch_norm(y, sd['upsample_4x.1.running_mean'], sd['upsample_4x.1.running_var'], sd['upsample_4x.1.weight'], sd['upsample_4x.1.bias'], False, 0.1, 1e-5)
out['o0'] = up(F.gelu(y), 'upsample_4x.3')
out['o1'] = up(x1, 'upsample_2x.0')
out['o2'] = x2
out['o3'] = F.max_pool2d(x3, 2, 2)
`, { x0: inputs[0]!, x1: inputs[1]!, x2: inputs[2]!, x3: inputs[3]!, ...stateInputs(neck) });
  assert.deepEqual(outs.map((o) => o.shape), [[2, 6, 16, 16], [2, 6, 8, 8], [2, 6, 4, 4], [2, 6, 2, 2]]);
  outs.forEach((o, i) => assertClose(o, py[`o${i}`]!, { atol: 1e-4, rtol: 1e-4, name: `out ${i}` }));
  neck.dispose();
});

test('Feature2Pyramid without 4x uses [2x, 1x, 0.5x, 0.25x]; unknown rescales are config errors', () => {
  const neck = new Feature2Pyramid({ embed_dim: 2, rescales: [2, 1, 0.5, 0.25], norm_cfg: { type: 'BN' } });
  const outs = neck.forward([0, 1, 2, 3].map(() => torch.randn([1, 2, 8, 8])));
  assert.deepEqual(outs.map((o) => o.shape), [[1, 2, 16, 16], [1, 2, 8, 8], [1, 2, 4, 4], [1, 2, 2, 2]]);
  assert.throws(() => new Feature2Pyramid({ embed_dim: 2, rescales: [3] }), /rescales\.0: invalid 3 for feature2pyramid/);
  const partial = new Feature2Pyramid({ embed_dim: 2, rescales: [4, 1], norm_cfg: { type: 'BN' } });
  assert.throws(() => partial.forward([torch.randn([1, 2, 4, 4]), torch.randn([1, 2, 4, 4])]), /input 1 needs 'upsample_2x'/);
  neck.dispose();
  partial.dispose();
});
