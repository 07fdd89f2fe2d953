// Tests for DefaultOptimWrapperConstructor: MMEngine's paramwise_cfg rules, against MMSeg's reference groups and by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { empty } from '../../../torch/index.js';
import { BatchNorm2d, Conv2d, GroupNorm, LayerNorm, Linear, Module } from '../../../torch/nn/index.js';
import { ConfigError } from '../../config/errors.js';
import { OptimWrapper } from '../optim-wrapper/index.js';
import { DefaultOptimWrapperConstructor } from './index.js';
import { Holder, buildReferenceModel, readReference, type ReferenceRow } from './testing/reference-model.js';

const META = { device: 'meta' } as const;

interface VitReference {
  meta: { optim_wrapper: { optimizer: Record<string, unknown>; paramwise_cfg: Record<string, unknown> }; n_param_groups: number };
  params: (ReferenceRow & { group_index: number; lr: number; weight_decay: number })[];
}

function capture(): { logger: { info(m: string): void; warning(m: string): void }; infos: string[]; warnings: string[] } {
  const infos: string[] = [];
  const warnings: string[] = [];
  return { logger: { info: (m) => void infos.push(m), warning: (m) => void warnings.push(m) }, infos, warnings };
}

function build(model: Module, optimizer: Record<string, unknown>, paramwise: Record<string, unknown> | null, logger = capture().logger): OptimWrapper {
  const ctor = new DefaultOptimWrapperConstructor({ optim_wrapper_cfg: { type: 'OptimWrapper', optimizer }, paramwise_cfg: paramwise }, { logger });
  return ctor.build(model) as OptimWrapper;
}

/** name -> { index, group } for every parameter the optimizer holds. */
function groupsByName(model: Module, wrapper: OptimWrapper): Map<string, { index: number; group: Record<string, unknown> }> {
  const byTensor = new Map(model.namedParameters().map(([n, p]) => [p, n]));
  const out = new Map<string, { index: number; group: Record<string, unknown> }>();
  wrapper.optimizer.paramGroups.forEach((group, index) => {
    for (const p of group.params) out.set(byTensor.get(p)!, { index, group });
  });
  return out;
}

const relClose = (a: number, b: number, rel = 1e-9): boolean => a === b || Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b));

const vitRef = readReference<VitReference>('2b_vit_default_constructor_A.json');

test('ViT + UPerHead with the seed custom_keys: every parameter gets MMEngine\'s group, lr and weight_decay', { skip: vitRef === null && 'no ../shared/reference' }, () => {
  const ref = vitRef!;
  const model = buildReferenceModel(ref.params);
  assert.equal(model.getSubmodule('backbone.layers.0.ln1').constructor, LayerNorm);
  assert.equal(model.getSubmodule('decode_head.bottleneck.bn').constructor, BatchNorm2d);
  const { type: _type, ...optimizer } = ref.meta.optim_wrapper.optimizer;
  const wrapper = build(model, { type: 'AdamW', ...optimizer }, ref.meta.optim_wrapper.paramwise_cfg);
  assert.equal(wrapper.optimizer.name, 'AdamW');
  assert.equal(wrapper.optimizer.paramGroups.length, ref.meta.n_param_groups);
  const got = groupsByName(model, wrapper);
  assert.equal(got.size, ref.params.length);
  for (const row of ref.params) {
    const g = got.get(row.name);
    assert.ok(g, `${row.name} is in no group`);
    assert.equal(g.index, row.group_index, `${row.name}: group index`);
    assert.ok(relClose(g.group.lr as number, row.lr), `${row.name}: lr ${String(g.group.lr)} vs ${row.lr}`);
    assert.ok(relClose(g.group.weight_decay as number, row.weight_decay), `${row.name}: weight_decay ${String(g.group.weight_decay)} vs ${row.weight_decay}`);
  }
  // The quirk the reference shows: 'norm' is not a substring of ln1/ln2, so those keep their decay.
  assert.equal(got.get('backbone.layers.0.ln1.weight')!.group.weight_decay, 0.01);
  assert.equal(got.get('backbone.pos_embed')!.group.weight_decay, 0);
});

/** conv (+bias) -> bn -> depthwise conv -> layer norm -> group norm -> linear, plus a bare 1-d parameter. */
class Net extends Holder {
  constructor() {
    super();
    this.registerParameter('scale', empty([4], META));
    this.registerModule('conv', new Conv2d(3, 4, 3, META));
    this.registerModule('bn', new BatchNorm2d(4, META));
    this.registerModule('dw', new Conv2d(4, 4, 3, { groups: 4, ...META }));
    this.registerModule('ln', new LayerNorm(4, META));
    this.registerModule('gn', new GroupNorm(2, 4, META));
    this.registerModule('fc', new Linear(4, 2, META));
  }
}

test('without paramwise_cfg all parameters, frozen ones too, share one group', () => {
  const model = new Net();
  model.getParameter('fc.bias').requiresGrad_(false);
  const w = build(model, { type: 'SGD', lr: 0.1, weight_decay: 1e-4 }, null);
  assert.equal(w.optimizer.paramGroups.length, 1);
  assert.equal(w.optimizer.paramGroups[0]!.params.length, model.parameters().length);
  assert.equal(w.baseParamSettings, null);
});

test('bias_lr_mult, then the decay chain norm > bias > dwconv > flat, one group per parameter', () => {
  const model = new Net();
  const w = build(model, { type: 'SGD', lr: 0.1, weight_decay: 1e-2 }, {
    bias_lr_mult: 2, bias_decay_mult: 0.5, norm_decay_mult: 0, dwconv_decay_mult: 0.25, flat_decay_mult: 0.125,
  });
  const g = groupsByName(model, w);
  assert.equal(w.optimizer.paramGroups.length, model.parameters().length);
  const expect: Record<string, [number, number]> = {
    scale: [0.1, 1e-2 * 0.125], // 1-d, not in a special layer: flat
    'conv.weight': [0.1, 1e-2],
    'conv.bias': [0.2, 1e-2 * 0.5], // bias: lr and decay mults
    'bn.weight': [0.1, 0], // norm
    'bn.bias': [0.1, 0], // a norm layer's bias: norm_decay_mult, and no bias_lr_mult
    'dw.weight': [0.1, 1e-2 * 0.25],
    'dw.bias': [0.2, 1e-2 * 0.5], // bias beats dwconv
    'ln.weight': [0.1, 0],
    'ln.bias': [0.1, 0],
    'gn.weight': [0.1, 0],
    'gn.bias': [0.1, 0],
    'fc.weight': [0.1, 1e-2],
    'fc.bias': [0.2, 1e-2 * 0.5],
  };
  for (const [name, [lr, wd]] of Object.entries(expect)) {
    const group = g.get(name)!.group;
    assert.ok(relClose(group.lr as number, lr), `${name} lr ${String(group.lr)}`);
    assert.ok(relClose(group.weight_decay as number, wd), `${name} weight_decay ${String(group.weight_decay)}`);
  }
  // Parameters come in named-parameter order, one per group.
  assert.deepEqual([...g.entries()].sort((a, b) => a[1].index - b[1].index).map(([n]) => n), model.namedParameters().map(([n]) => n));
});

test('without the rules a group carries only params (the optimizer fills in its defaults)', () => {
  const model = new Net();
  const w = build(model, { type: 'SGD', lr: 0.1, weight_decay: 1e-2 }, { bias_lr_mult: 2 });
  const conv = groupsByName(model, w).get('conv.weight')!.group;
  assert.equal(conv.lr, 0.1);
  assert.equal(conv.weight_decay, 1e-2);
});

test('custom_keys: the longest key wins, ties go alphabetical, other rules are skipped, options are copied', () => {
  const model = new Net();
  const { logger, infos } = capture();
  const w = build(model, { type: 'SGD', lr: 1, weight_decay: 1 }, {
    norm_decay_mult: 0,
    bias_lr_mult: 10,
    custom_keys: {
      n: { lr_mult: 0.5 }, // 'ln', 'bn', 'gn' all contain it, but longer keys come first
      bn: { lr_mult: 0.25, decay_mult: 0.5, my_option: 'x' },
      'ln.b': { decay_mult: 3 },
      'ln.w': { lr_mult: 4 },
      'fc.bias': { lr_mult: 0.1 },
      'fc.b': { lr_mult: 0.2 }, // shorter than 'fc.bias', so 'fc.bias' wins
      'c.': { lr_mult: 0.3 }, // in 'fc.weight' (not in 'conv.weight')
    },
  }, logger);
  const g = groupsByName(model, w);
  const bnWeight = g.get('bn.weight')!.group;
  assert.deepEqual({ ...bnWeight, params: undefined }, { params: undefined, lr: 0.25, weight_decay: 0.5, lr_mult: 0.25, decay_mult: 0.5, my_option: 'x', momentum: 0, dampening: 0, nesterov: false, maximize: false, foreach: null, differentiable: false });
  assert.equal(g.get('ln.bias')!.group.weight_decay, 3); // custom key: norm_decay_mult not applied
  assert.equal(g.get('ln.bias')!.group.lr, 1);
  assert.equal(g.get('ln.weight')!.group.lr, 4);
  assert.equal(g.get('ln.weight')!.group.weight_decay, 1);
  assert.equal(g.get('gn.weight')!.group.lr, 0.5); // only 'n' matches 'gn.weight'
  assert.equal(g.get('fc.bias')!.group.lr, 0.1); // custom key: bias_lr_mult not applied
  assert.equal(g.get('fc.weight')!.group.lr, 0.3);
  assert.equal(g.get('conv.bias')!.group.lr, 0.5); // 'n' only: a custom key, so no bias_lr_mult
  assert.equal(g.get('scale')!.group.lr, 1);
  assert.equal(g.get('dw.bias')!.group.lr, 10); // no key: bias_lr_mult
  assert.ok(infos.includes("paramwise_options -- bn.weight:my_option='x'"));
});

test('equal-length keys: the alphabetically first wins', () => {
  const model = new Net();
  const w = build(model, { type: 'SGD', lr: 1 }, { custom_keys: { 'v.weight': { lr_mult: 2 }, 'conv.': { lr_mult: 3 }, 'onv.w': { lr_mult: 5 } } });
  // 'conv.' and 'onv.w' both match conv.weight and have 5 characters: 'conv.' sorts first.
  assert.equal(groupsByName(model, w).get('conv.weight')!.group.lr, 2); // 'v.weight' (8) is longer still
  const w2 = build(model, { type: 'SGD', lr: 1 }, { custom_keys: { 'onv.w': { lr_mult: 5 }, 'conv.': { lr_mult: 3 } } });
  assert.equal(groupsByName(model, w2).get('conv.weight')!.group.lr, 3);
});

test('a top-level parameter is matched as ".name", as MMEngine does', () => {
  const model = new Net();
  const w = build(model, { type: 'SGD', lr: 1 }, { custom_keys: { '.scale': { lr_mult: 7 } } });
  assert.equal(groupsByName(model, w).get('scale')!.group.lr, 7);
});

test('custom keys that matched nothing are warned about, shadowed ones with the reason', () => {
  const model = new Net();
  const { logger, warnings } = capture();
  const ctor = new DefaultOptimWrapperConstructor({
    optim_wrapper_cfg: { optimizer: { type: 'SGD', lr: 1 } },
    paramwise_cfg: { custom_keys: { backbone: { lr_mult: 0.1 }, conv: { lr_mult: 2 }, 'onv': { lr_mult: 3 } } },
  }, { logger });
  ctor.build(model);
  assert.deepEqual(ctor.unmatchedCustomKeys, ['backbone', 'onv']);
  assert.deepEqual(warnings, [
    "paramwise_cfg.custom_keys['backbone'] matched no trainable parameter name",
    "paramwise_cfg.custom_keys['onv'] matched no trainable parameter name (it occurs in 2, but longer keys matched them first)",
  ]);
  assert.deepEqual(ctor.customKeyMatches.get('conv'), ['conv.weight', 'conv.bias']);
});

test('frozen parameters are skipped with a warning when paramwise_cfg is set', () => {
  const model = new Net();
  model.getSubmodule('bn').requiresGrad_(false);
  const { logger, warnings } = capture();
  const w = build(model, { type: 'SGD', lr: 1 }, { bias_lr_mult: 2 }, logger);
  const names = [...groupsByName(model, w).keys()];
  assert.equal(names.includes('bn.weight') || names.includes('bn.bias'), false);
  assert.equal(names.length, model.parameters().length - 2);
  assert.deepEqual(warnings, ['bn.weight is skipped since its requires_grad=False', 'bn.bias is skipped since its requires_grad=False']);
});

class Shared extends Holder {
  constructor() {
    super();
    const fc = new Linear(2, 2, META);
    this.registerModule('a', fc);
    const wrapper = new Holder();
    wrapper.registerModule('inner', fc);
    this.registerModule('b', wrapper);
  }
}

test('a parameter shared by two modules: bypass_duplicate adds it once, otherwise a ConfigError says so', () => {
  const model = new Shared();
  const { logger, warnings } = capture();
  const w = build(model, { type: 'SGD', lr: 1 }, { bypass_duplicate: true }, logger);
  assert.equal(w.optimizer.paramGroups.length, 2);
  assert.deepEqual(warnings, ['b.inner is duplicate. It is skipped since bypass_duplicate=True', 'b.inner is duplicate. It is skipped since bypass_duplicate=True']);
  assert.throws(() => build(model, { type: 'SGD', lr: 1 }, { bias_lr_mult: 1 }), (err: Error) => err instanceof ConfigError
    && err.message === "paramwise_cfg.bypass_duplicate: parameter 'b.inner.weight' is the same tensor as an earlier parameter (shared between modules); set bypass_duplicate: true to add it once");
});

class DeformConv2d extends Holder {}
class DeformConv2dPack extends DeformConv2d {
  constructor() {
    super();
    this.registerParameter('weight', empty([4, 4, 3, 3], META));
    this.registerParameter('bias', empty([4], META));
    this.registerModule('conv_offset', new Conv2d(4, 18, 3, META));
  }
}

test('dcn_offset_lr_mult scales the offset conv inside a deformable conv and bias_lr_mult skips its bias', () => {
  const model = new Holder();
  model.registerModule('dcn', new DeformConv2dPack());
  const w = build(model, { type: 'SGD', lr: 1, weight_decay: 1 }, { dcn_offset_lr_mult: 0.1, bias_lr_mult: 2, bias_decay_mult: 0 });
  const g = groupsByName(model, w);
  assert.equal(g.get('dcn.conv_offset.weight')!.group.lr, 0.1);
  assert.equal(g.get('dcn.conv_offset.bias')!.group.lr, 0.1);
  assert.equal(g.get('dcn.conv_offset.bias')!.group.weight_decay, 1); // no bias_decay_mult inside a DCN
  assert.equal(g.get('dcn.bias')!.group.lr, 2); // the DCN's own bias is an ordinary bias
  assert.equal(g.get('dcn.bias')!.group.weight_decay, 0);
});

test('config errors name the key path', () => {
  const model = new Net();
  const err = (paramwise: Record<string, unknown>, optimizer: Record<string, unknown> = { type: 'SGD', lr: 0.1 }): string => {
    try {
      build(model, optimizer, paramwise);
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      return e.message;
    }
    assert.fail('expected a ConfigError');
  };
  assert.equal(err({ norm_decay_mult: 0 }), 'paramwise_cfg.norm_decay_mult: needs optimizer.weight_decay, which it multiplies');
  assert.equal(err({ flat_decay_mult: 0 }), 'paramwise_cfg.flat_decay_mult: needs optimizer.weight_decay, which it multiplies');
  assert.equal(err({ custom_keys: { norm: { decay_mult: 0 } } }), 'paramwise_cfg.custom_keys.norm.decay_mult: needs optimizer.weight_decay, which it multiplies');
  assert.equal(err({ custom_keys: { norm: { lr_mult: '2' } } }), 'paramwise_cfg.custom_keys.norm.lr_mult: expected number, got "2"');
  assert.equal(err({ norm_decay_mul: 0 }), "paramwise_cfg: unknown key 'norm_decay_mul'");
  assert.equal(err({ bias_lr_mult: 2 }, { type: 'Adam' }), 'optimizer.lr: expected a number: paramwise_cfg.bias_lr_mult multiplies it');
  assert.equal(err({}, { type: 'SGD', lr: '0.1' }), 'optimizer.lr: expected number, got "0.1"');
  assert.throws(() => new DefaultOptimWrapperConstructor({ optim_wrapper_cfg: { type: 'OptimWrapper' } }), { message: 'optimizer: expected the optimizer config, e.g. {type: \'SGD\', lr: 0.01}, got nothing' });
});
