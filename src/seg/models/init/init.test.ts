// init_cfg handling as MMEngine: layer matching (incl. '_BatchNorm'), override, BaseModule order (children, then Pretrained), Pretrained + prefix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import { saveCheckpointFile } from '../../../engine/runner/checkpoint-file.js';
import { BaseModule, initialize, loadPretrained, Sequential } from './index.js';

torch.manualSeed(4);
const allEqual = (t: Tensor, v: number): boolean => t.toArray().every((x) => x === v);

class Net extends BaseModule {
  readonly conv = this.registerModule('conv', new nn.Conv2d(3, 8, 3));
  readonly bn = this.registerModule('bn', new nn.BatchNorm2d(8));
  readonly cls = this.registerModule('cls', new nn.Conv2d(8, 2, 1));
  forward(x: Tensor): Tensor {
    return this.cls.forward(this.bn.forward(this.conv.forward(x)));
  }
}

test("initialize: 'layer' matches class names and PyTorch base names ('_BatchNorm'); override re-inits a named child", () => {
  const net = new Net();
  initialize(net, [
    { type: 'Constant', layer: 'Conv2d', val: 2, bias: 3 },
    { type: 'Constant', layer: '_BatchNorm', val: 5, override: { name: 'cls', type: 'Constant', val: 7, bias: 0 } },
  ]);
  assert.ok(allEqual(net.conv.weight, 2) && allEqual(net.conv.bias!, 3));
  assert.ok(allEqual(net.bn.weight!, 5) && allEqual(net.bn.bias!, 0));
  assert.ok(allEqual(net.cls.weight, 7) && allEqual(net.cls.bias!, 0));
});

test('initialize: an override with only a name reuses the outer initialiser; Kaiming / Xavier / TruncNormal statistics', () => {
  const net = new Net();
  initialize(net, { type: 'Constant', val: 4, bias: 1, override: { name: 'cls' } });
  assert.ok(allEqual(net.cls.weight, 4) && allEqual(net.cls.bias!, 1));
  assert.ok(!allEqual(net.conv.weight, 4));
  const big = new nn.Linear(400, 300);
  initialize(big, { type: 'Kaiming', layer: 'Linear', mode: 'fan_in' });
  assert.ok(Math.abs(big.weight.std().item() - Math.sqrt(2 / 400)) < 0.003);
  initialize(big, { type: 'Xavier', layer: 'Linear', distribution: 'uniform' });
  const bound = Math.sqrt(6 / 700);
  assert.ok(big.weight.abs().max().item() <= bound && big.weight.abs().max().item() > bound * 0.99);
  initialize(big, { type: 'TruncNormal', layer: 'Linear', std: 0.02 });
  assert.ok(big.weight.abs().max().item() <= 2 && Math.abs(big.weight.std().item() - 0.02) < 0.001);
  assert.ok(allEqual(big.bias!, 0));
});

test('initialize errors name the key path', () => {
  assert.throws(() => initialize(new Net(), { type: 'Const', val: 1 }), /init_cfg\.type: expected/);
  assert.throws(() => initialize(new Net(), [{ type: 'Normal', sd: 1 }]), /init_cfg\.0: unknown key 'sd'/);
  assert.throws(() => initialize(new Net(), { type: 'Normal', override: { name: 'head' } }), /init_cfg\.override\.name: Net has no child 'head'/);
});

class Parent extends BaseModule {
  readonly child: Net;
  readonly plain: nn.Sequential;
  readonly seq: Sequential;
  constructor(initCfg: BaseModule['initCfg']) {
    super(initCfg);
    this.child = this.registerModule('child', new Net());
    this.child.initCfg = { type: 'Constant', layer: 'Conv2d', val: 9 };
    const inner = new Net();
    inner.initCfg = { type: 'Constant', layer: 'Conv2d', val: 8 };
    this.plain = this.registerModule('plain', new nn.Sequential(inner));
    const reached = new Net();
    reached.initCfg = { type: 'Constant', layer: 'Conv2d', val: 6 };
    this.seq = this.registerModule('seq', new Sequential(reached));
  }
  forward(): never {
    throw new Error('unused');
  }
}

test('BaseModule.initWeights: own init_cfg, then children (their init wins), plain containers not entered, second call warns', () => {
  const p = new Parent({ type: 'Constant', layer: 'Conv2d', val: 1 });
  p.initWeights();
  assert.ok(allEqual(p.child.conv.weight, 9));
  // A BaseModule inside a plain nn.Sequential keeps the parent's value (MMEngine does not enter torch containers)...
  assert.ok(allEqual((p.plain.at(0) as Net).conv.weight, 1));
  // ...while MMEngine's Sequential passes initWeights on.
  assert.ok(allEqual((p.seq.at(0) as Net).conv.weight, 6));
  assert.ok(p.isInit && p.child.isInit);
  const before = p.child.conv.weight.clone();
  p.initWeights();
  assertSame(p.child.conv.weight, before);
});

function assertSame(a: Tensor, b: Tensor): void {
  assert.deepEqual(a.toArray(), b.toArray());
}

test('Pretrained with prefix loads the keys under it (after the other initialisers); shape mismatches are skipped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-init-'));
  const file = join(dir, 'model.ckpt');
  const source = new Net();
  const stateDict = new Map<string, Tensor>();
  for (const [k, v] of source.stateDict()) stateDict.set(`backbone.${k}`, v);
  stateDict.set('decode_head.conv_seg.weight', torch.zeros([2, 2]));
  stateDict.set('backbone.cls.weight', torch.zeros([5, 8, 1, 1]));
  saveCheckpointFile({ meta: { iter: 1 }, state_dict: stateDict }, file);

  const target = new Net();
  target.initCfg = [{ type: 'Pretrained', checkpoint: file, prefix: 'backbone' }, { type: 'Constant', layer: 'Conv2d', val: 0.5 }];
  target.initWeights();
  assertSame(target.conv.weight, source.conv.weight);
  assertSame(target.bn.weight!, source.bn.weight!);
  // cls.weight has another shape in the file: skipped, so the Constant init stays.
  assert.ok(allEqual(target.cls.weight, 0.5));

  const report = loadPretrained(new Net(), { checkpoint: file, prefix: 'backbone.' });
  assert.deepEqual(report.mismatchedKeys, ['cls.weight']);
  assert.deepEqual(report.missingKeys, []);
  assert.throws(() => loadPretrained(new Net(), { checkpoint: file, prefix: 'neck' }), /no key starts with 'neck\.'/);
  assert.throws(() => loadPretrained(new Net(), { checkpoint: join(dir, 'missing.ckpt') }), /checkpoint file not found/);
});
