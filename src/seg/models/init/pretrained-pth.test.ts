// init_cfg Pretrained from a PyTorch .pth (as MMSeg/mmpretrain/timm publish): prefix, 'module.', bare dicts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import { runPyTorch } from '../../../torch/testing/pytorch.js';
import { BaseModule, loadPretrained } from './index.js';

class Net extends BaseModule {
  readonly conv = this.registerModule('conv', new nn.Conv2d(3, 8, 3));
  readonly bn = this.registerModule('bn', new nn.BatchNorm2d(8));
  forward(x: Tensor): Tensor {
    return this.bn.forward(this.conv.forward(x));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'segkit-pretrained-pth-'));
const mmseg = join(dir, 'mmseg.pth');
const timm = join(dir, 'timm.pth');
const ref = runPyTorch(`
import collections
torch.manual_seed(0)
conv, bn = torch.nn.Conv2d(3, 8, 3), torch.nn.BatchNorm2d(8)
bn.running_mean.uniform_()
sd = collections.OrderedDict()
for k, v in conv.state_dict().items(): sd['module.backbone.conv.' + k] = v
for k, v in bn.state_dict().items(): sd['module.backbone.bn.' + k] = v
sd['module.decode_head.conv_seg.weight'] = torch.zeros(2, 8, 1, 1)
torch.save({'meta': {'iter': 160000}, 'state_dict': sd, 'optimizer': {'state': {}, 'param_groups': []}}, ${JSON.stringify(mmseg)})
bare = {'conv.weight': conv.weight.detach(), 'conv.bias': torch.zeros(5), 'head.fc.weight': torch.ones(3)}
torch.save(bare, ${JSON.stringify(timm)})
out['w'] = conv.weight; out['rm'] = bn.running_mean
`);

test("Pretrained with prefix from an MMSeg .pth: 'module.' stripped, keys under the prefix loaded", () => {
  const net = new Net();
  net.initCfg = { type: 'Pretrained', checkpoint: mmseg, prefix: 'backbone' };
  net.initWeights();
  assert.deepEqual(net.conv.weight.toArray().map(Math.fround), ref.w!.toArray().map(Math.fround));
  assert.deepEqual(net.bn.runningMean!.toArray().map(Math.fround), ref.rm!.toArray().map(Math.fround));
});

test('Pretrained from a bare timm-style dict reports mis-shaped, missing and unexpected keys', () => {
  const report = loadPretrained(new Net(), { checkpoint: timm });
  assert.deepEqual(report.mismatchedKeys, ['conv.bias']);
  assert.deepEqual(report.unexpectedKeys, ['head.fc.weight']);
  assert.ok(report.missingKeys.includes('bn.weight'));
  assert.ok(!report.missingKeys.includes('conv.bias'));
  assert.deepEqual(report.loaded, ['conv.weight']);
  assert.throws(() => loadPretrained(new Net(), { checkpoint: mmseg, prefix: 'neck' }), /mmseg\.pth: no key starts with 'neck\.'/);
  torch.dispose([]);
});
