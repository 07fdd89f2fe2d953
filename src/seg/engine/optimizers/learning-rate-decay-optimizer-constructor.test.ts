// Tests for the layer-decay constructors against MMSeg's ConvNeXt reference groups, BEiT/MAE rules, the pos_embed fix and errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Module } from '../../../torch/nn/index.js';
import { ConfigError } from '../../../engine/config/errors.js';
import { AmpOptimWrapper, type OptimWrapper } from '../../../engine/optim/optim-wrapper/index.js';
import { buildOptimWrapper } from '../../../engine/optim/optimizer/index.js';
import { buildReferenceModel, readReference, type ReferenceRow } from '../../../engine/optim/optimizer/testing/reference-model.js';
import { LayerDecayOptimizerConstructor, LearningRateDecayOptimizerConstructor } from './index.js';

interface ConvNeXtReference {
  meta: { optim_wrapper: { optimizer: Record<string, unknown>; paramwise_cfg: Record<string, unknown>; constructor: string }; n_param_groups: number };
  params: (ReferenceRow & { group_index: number; group_name: string; layer_id: number; lr_scale: number; lr: number; weight_decay: number })[];
}

const quiet = { info: () => {}, warning: () => {} };
const relClose = (a: number, b: number, rel = 1e-9): boolean => a === b || Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b));

interface Placed { index: number; group: Record<string, unknown> }

function placement(model: Module, wrapper: OptimWrapper): Map<string, Placed> {
  const names = new Map(model.namedParameters().map(([n, p]) => [p, n]));
  const out = new Map<string, Placed>();
  wrapper.optimizer.paramGroups.forEach((group, index) => group.params.forEach((p) => out.set(names.get(p)!, { index, group })));
  return out;
}

function buildWith(Ctor: typeof LearningRateDecayOptimizerConstructor, model: Module, optimizer: Record<string, unknown>, paramwise: Record<string, unknown>): OptimWrapper {
  return new Ctor({ optim_wrapper_cfg: { type: 'OptimWrapper', optimizer }, paramwise_cfg: paramwise }, { logger: quiet }).build(model) as OptimWrapper;
}

const ref = readReference<ConvNeXtReference>('2c_i_convnext_stage_wise.json');
const skip = ref === null && 'no ../shared/reference';

function checkAgainstReference(paramwise: Record<string, unknown>): void {
  const r = ref!;
  const model = buildReferenceModel(r.params, { backbone: 'ConvNeXt' });
  const wrapper = buildWith(LearningRateDecayOptimizerConstructor, model, r.meta.optim_wrapper.optimizer, paramwise);
  assert.equal(wrapper.optimizer.name, 'AdamW');
  assert.equal(wrapper.optimizer.paramGroups.length, r.meta.n_param_groups);
  const got = placement(model, wrapper);
  assert.equal(got.size, r.params.length);
  for (const row of r.params) {
    const p = got.get(row.name);
    assert.ok(p, `${row.name} is in no group`);
    assert.equal(p.index, row.group_index, `${row.name}: group index`);
    assert.equal(p.group.group_name, row.group_name, `${row.name}: group name`);
    assert.ok(relClose(p.group.lr as number, row.lr), `${row.name}: lr ${String(p.group.lr)} vs ${row.lr}`);
    assert.ok(relClose(p.group.lr_scale as number, row.lr_scale), `${row.name}: lr_scale`);
    assert.ok(relClose(p.group.weight_decay as number, row.weight_decay), `${row.name}: weight_decay ${String(p.group.weight_decay)} vs ${row.weight_decay}`);
    assert.ok((p.group.param_names as string[]).includes(row.name));
  }
  // Within a group, parameters keep the model's order, as the reference lists them.
  const first = wrapper.optimizer.paramGroups[6]!;
  assert.deepEqual(first.param_names, r.params.filter((row) => row.group_index === 6).map((row) => row.name));
}

test('ConvNeXt-base UPerNet, stage_wise 0.9 over 12 layers: every parameter gets MMSeg\'s group, lr and weight_decay', { skip }, () => {
  assert.equal(ref!.meta.optim_wrapper.constructor, 'LearningRateDecayOptimizerConstructor');
  checkAgainstReference(ref!.meta.optim_wrapper.paramwise_cfg);
});

test('with mmseg_compat_no_decay_names the ConvNeXt numbers are MMSeg\'s exactly too (ConvNeXt has no pos_embed)', { skip }, () => {
  checkAgainstReference({ ...ref!.meta.optim_wrapper.paramwise_cfg, mmseg_compat_no_decay_names: true });
});

test('ConvNeXt layer_wise: blocks of stage 2 in threes, stage 3 and its downsampling at num_layers, heads above', { skip }, () => {
  const model = buildReferenceModel(ref!.params, { backbone: 'ConvNeXt' });
  const w = buildWith(LearningRateDecayOptimizerConstructor, model, { type: 'AdamW', lr: 1e-4, weight_decay: 0.05 }, { decay_rate: 0.9, decay_type: 'layer_wise', num_layers: 12 });
  const got = placement(model, w);
  const expectId: Record<string, number> = {
    'backbone.downsample_layers.0.0.weight': 0,
    'backbone.stages.0.2.gamma': 1,
    'backbone.downsample_layers.1.1.weight': 2,
    'backbone.stages.1.0.pointwise_conv1.weight': 2,
    'backbone.downsample_layers.2.1.weight': 3,
    'backbone.stages.2.2.norm.weight': 3,
    'backbone.stages.2.3.gamma': 4,
    'backbone.stages.2.26.pointwise_conv2.weight': 11,
    'backbone.downsample_layers.3.1.weight': 12,
    'backbone.stages.3.1.depthwise_conv.weight': 12,
    'backbone.norm3.weight': 13,
    'decode_head.conv_seg.weight': 13,
  };
  for (const [name, id] of Object.entries(expectId)) {
    const g = got.get(name)!.group;
    assert.match(g.group_name as string, new RegExp(`^layer_${id}_`), name);
    assert.ok(relClose(g.lr as number, 1e-4 * 0.9 ** (14 - id - 1)), `${name} lr`);
  }
});

/** A small BEiT-like segmentor: embeddings, two blocks, a head. */
const beitRows: ReferenceRow[] = [
  { name: 'backbone.cls_token', shape: [1, 1, 8] },
  { name: 'backbone.pos_embed', shape: [1, 5, 8] },
  { name: 'backbone.patch_embed.projection.weight', shape: [8, 3, 4, 4] },
  { name: 'backbone.patch_embed.projection.bias', shape: [8] },
  ...[0, 1].flatMap((i) => [
    { name: `backbone.layers.${i}.gamma_1`, shape: [8] },
    { name: `backbone.layers.${i}.ln1.weight`, shape: [8] },
    { name: `backbone.layers.${i}.ln1.bias`, shape: [8] },
    { name: `backbone.layers.${i}.attn.qkv.weight`, shape: [24, 8] },
    { name: `backbone.layers.${i}.ffn.layers.0.0.weight`, shape: [16, 8] },
    { name: `backbone.layers.${i}.ffn.layers.0.0.bias`, shape: [16] },
  ]),
  { name: 'decode_head.conv_seg.weight', shape: [4, 8, 1, 1] },
  { name: 'decode_head.conv_seg.bias', shape: [4] },
];

function beitGroups(Ctor: typeof LearningRateDecayOptimizerConstructor, paramwise: Record<string, unknown>, backbone = 'BEiT'): Map<string, Placed> {
  const model = buildReferenceModel(beitRows, { backbone });
  return placement(model, buildWith(Ctor, model, { type: 'AdamW', lr: 1, weight_decay: 0.05 }, paramwise));
}

test('BEiT layer_wise: embeddings 0, block i -> i + 1, head num_layers + 1; pos_embed and cls_token get no decay (the fix)', () => {
  const got = beitGroups(LearningRateDecayOptimizerConstructor, { decay_rate: 0.5, num_layers: 2 });
  const expect: Record<string, [string, number, number]> = {
    'backbone.cls_token': ['layer_0_no_decay', 0.5 ** 3, 0],
    'backbone.pos_embed': ['layer_0_no_decay', 0.5 ** 3, 0],
    'backbone.patch_embed.projection.weight': ['layer_0_decay', 0.5 ** 3, 0.05],
    'backbone.patch_embed.projection.bias': ['layer_0_no_decay', 0.5 ** 3, 0],
    'backbone.layers.0.gamma_1': ['layer_1_no_decay', 0.5 ** 2, 0],
    'backbone.layers.0.attn.qkv.weight': ['layer_1_decay', 0.5 ** 2, 0.05],
    'backbone.layers.1.ffn.layers.0.0.weight': ['layer_2_decay', 0.5, 0.05],
    'backbone.layers.1.ln1.bias': ['layer_2_no_decay', 0.5, 0],
    'decode_head.conv_seg.weight': ['layer_3_decay', 1, 0.05],
    'decode_head.conv_seg.bias': ['layer_3_no_decay', 1, 0],
  };
  for (const [name, [group, lr, wd]] of Object.entries(expect)) {
    const g = got.get(name)!.group;
    assert.deepEqual([g.group_name, g.lr, g.weight_decay], [group, lr, wd], name);
  }
  assert.equal(got.get('backbone.pos_embed')!.index, 0, 'layer_0_no_decay is the first group (cls_token comes first)');
});

test('mmseg_compat_no_decay_names: pos_embed and cls_token keep weight decay, as MMSeg 1.2.2 does', () => {
  const got = beitGroups(LearningRateDecayOptimizerConstructor, { decay_rate: 0.5, num_layers: 2, mmseg_compat_no_decay_names: true });
  for (const name of ['backbone.cls_token', 'backbone.pos_embed']) {
    const g = got.get(name)!.group;
    assert.deepEqual([g.group_name, g.lr, g.weight_decay], ['layer_0_decay', 0.125, 0.05], name);
  }
  assert.equal(got.get('backbone.patch_embed.projection.bias')!.group.group_name, 'layer_0_no_decay');
});

test('LayerDecayOptimizerConstructor (layer_decay_rate) gives the same groups as layer_wise; MAE is treated as BEiT', () => {
  const a = beitGroups(LearningRateDecayOptimizerConstructor, { decay_rate: 0.9, decay_type: 'layer_wise', num_layers: 2 });
  const b = beitGroups(LayerDecayOptimizerConstructor, { layer_decay_rate: 0.9, num_layers: 2 });
  const c = beitGroups(LearningRateDecayOptimizerConstructor, { decay_rate: 0.9, num_layers: 2 }, 'MAE');
  const summary = (m: Map<string, Placed>): unknown => [...m].map(([n, p]) => [n, p.index, p.group.group_name, p.group.lr, p.group.weight_decay]);
  assert.deepEqual(summary(b), summary(a));
  assert.deepEqual(summary(c), summary(a));
});

test('frozen parameters are left out', () => {
  const model = buildReferenceModel(beitRows, { backbone: 'BEiT' });
  model.getSubmodule('backbone.patch_embed').requiresGrad_(false);
  const got = placement(model, buildWith(LearningRateDecayOptimizerConstructor, model, { type: 'AdamW', lr: 1, weight_decay: 0.05 }, { decay_rate: 0.9, num_layers: 2 }));
  assert.equal(got.has('backbone.patch_embed.projection.weight'), false);
  assert.equal(got.size, beitRows.length - 2);
});

test('the seed\'s AmpOptimWrapper + stage_wise snippet builds through buildOptimWrapper', { skip }, () => {
  const model = buildReferenceModel(ref!.params, { backbone: 'ConvNeXt' });
  const w = buildOptimWrapper(model, {
    type: 'AmpOptimWrapper',
    optimizer: { type: 'AdamW', lr: 0.0001, betas: [0.9, 0.999], weight_decay: 0.05 },
    paramwise_cfg: { decay_rate: 0.9, decay_type: 'stage_wise', num_layers: 12 },
    constructor: 'LearningRateDecayOptimizerConstructor',
    loss_scale: 'dynamic',
  }, { logger: quiet });
  assert.ok(w instanceof AmpOptimWrapper);
  assert.equal(w.optimizer.paramGroups.length, 12);
  assert.deepEqual(w.getLr().base_lr, [0.0001]);
});

test('errors name the backbone or the key', () => {
  const msg = (paramwise: Record<string, unknown> | null, backbone = 'BEiT', Ctor = LearningRateDecayOptimizerConstructor): string => {
    try {
      const model = buildReferenceModel(beitRows, { backbone });
      new Ctor({ optim_wrapper_cfg: { optimizer: { type: 'AdamW', lr: 1, weight_decay: 0.05 } }, paramwise_cfg: paramwise }, { logger: quiet }).build(model);
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      return e.message;
    }
    return 'no error';
  };
  assert.equal(msg({ decay_rate: 0.9, num_layers: 2 }, 'ResNetV1c'), "paramwise_cfg.decay_type: 'layer_wise' decay is defined for ConvNeXt, BEiT and MAE backbones, not 'ResNetV1c'");
  assert.equal(msg({ decay_rate: 0.9, decay_type: 'stage_wise', num_layers: 2 }), "paramwise_cfg.decay_type: 'stage_wise' decay is defined for ConvNeXt backbones only, not 'BEiT'");
  assert.equal(msg({ decay_rate: 0.9, decay_type: 'layerwise', num_layers: 2 }), 'paramwise_cfg.decay_type: expected "layer_wise" | "stage_wise" | "layer_wise_vit", got "layerwise"');
  assert.equal(msg({ decay_rate: 0.9 }), 'paramwise_cfg.num_layers: expected number, got nothing');
  assert.equal(msg({ decay_rate: 0.9, num_layers: 2, custom_keys: {} }), "paramwise_cfg: unknown key 'custom_keys'");
  assert.equal(msg(null), 'paramwise_cfg: expected {decay_rate, decay_type, num_layers} for LearningRateDecayOptimizerConstructor, got nothing');
  assert.equal(msg({ decay_rate: 0.9, num_layers: 2 }, 'BEiT', LayerDecayOptimizerConstructor), 'paramwise_cfg.layer_decay_rate: expected number, got nothing');
  const noBackbone = buildReferenceModel([{ name: 'conv.weight', shape: [2, 2, 1, 1] }]);
  assert.throws(() => new LearningRateDecayOptimizerConstructor({ optim_wrapper_cfg: { optimizer: { type: 'SGD', lr: 1 } }, paramwise_cfg: { decay_rate: 1, num_layers: 1 } }).build(noBackbone),
    { message: "constructor: LearningRateDecayOptimizerConstructor needs a model with a 'backbone' child (a segmentor); got a Holder without one" });
});
