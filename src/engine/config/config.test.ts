import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Config } from './config.js';
import { ConfigError } from './errors.js';
import { KeySources } from './key-sources.js';
import { loadConfig } from './load-config.js';

class AdamW {}

test('get and has read dotted paths through dicts and lists; set replaces and records its source', () => {
  const cfg = new Config({ model: { decode_head: [{ num_classes: 19 }], 'a.b': 1 }, n: 0 });
  assert.equal(cfg.get('model.decode_head.0.num_classes'), 19);
  assert.equal(cfg.get(['model', 'a.b']), 1);
  assert.equal(cfg.get('n'), 0);
  assert.equal(cfg.get('model.missing', 'fallback'), 'fallback');
  assert.equal(cfg.get('n.x'), undefined);
  assert.equal(cfg.has('model.decode_head.1'), false);
  cfg.set('model.decode_head.0', { num_classes: 21 }, 'segkit train --num-classes');
  cfg.set('work_dir', 'runs/a');
  assert.deepEqual(cfg.dict, { model: { decode_head: [{ num_classes: 21 }], 'a.b': 1 }, n: 0, work_dir: 'runs/a' });
  assert.equal(cfg.sourceOf('model.decode_head.0.num_classes'), 'segkit train --num-classes');
  assert.deepEqual(cfg.keys(), ['model', 'n', 'work_dir']);
});

test('locate adds the file that set a key path to a ConfigError from a builder', () => {
  const sources = new KeySources();
  sources.set(['optim_wrapper'], 'configs/_base_/schedule.ts');
  sources.set(['optim_wrapper', 'paramwise_cfg'], 'configs/my.ts');
  const cfg = new Config({}, { filename: '/abs/configs/my.ts', sources });
  const located = cfg.locate(new ConfigError(['optim_wrapper', 'paramwise_cfg', 'decay_type'], "expected 'layer_wise' | 'stage_wise', got 'layerwise'"));
  assert.equal((located as Error).message, "configs/my.ts: optim_wrapper.paramwise_cfg.decay_type: expected 'layer_wise' | 'stage_wise', got 'layerwise'");
  assert.equal((cfg.locate(new ConfigError(['optim_wrapper', 'type'], 'x')) as Error).message, 'configs/_base_/schedule.ts: optim_wrapper.type: x');
  const other = new Error('not a config error');
  assert.equal(cfg.locate(other), other);
});

test('toJSON shows classes by name and toDict keeps them', () => {
  const cfg = new Config({ optim_wrapper: { optimizer: { type: AdamW, lr: 1e-4 } }, skip: undefined });
  assert.deepEqual(cfg.toJSON(), { optim_wrapper: { optimizer: { type: 'AdamW', lr: 1e-4 } } });
  assert.equal(JSON.stringify(cfg), '{"optim_wrapper":{"optimizer":{"type":"AdamW","lr":0.0001}}}');
  const copy = cfg.toDict() as { optim_wrapper: { optimizer: { type: unknown; lr: number } } };
  assert.equal(copy.optim_wrapper.optimizer.type, AdamW);
  copy.optim_wrapper.optimizer.lr = 1;
  assert.equal(cfg.get('optim_wrapper.optimizer.lr'), 1e-4);
});

test('prettyText prints a TypeScript object literal with snake_case keys, quoted odd keys and short containers inline', () => {
  const cfg = new Config({
    optim_wrapper: {
      type: 'OptimWrapper',
      optimizer: { type: AdamW, lr: 6e-5, betas: [0.9, 0.999], weight_decay: 0.01 },
      paramwise_cfg: { custom_keys: { pos_embed: { decay_mult: 0 }, 'decode_head.conv_seg': { lr_mult: 10 } } },
    },
    work_dir: "it's a\ndir",
    load_from: null,
  });
  assert.equal(cfg.prettyText(), `export default {
  optim_wrapper: {
    type: 'OptimWrapper',
    optimizer: { type: 'AdamW', lr: 0.00006, betas: [0.9, 0.999], weight_decay: 0.01 },
    paramwise_cfg: {
      custom_keys: { pos_embed: { decay_mult: 0 }, 'decode_head.conv_seg': { lr_mult: 10 } },
    },
  },
  work_dir: "it's a\\ndir",
  load_from: null,
};
`);
});

const merged = {
  _base_chain: 'not a base key, just a name',
  norm_cfg: { type: 'SyncBN', requires_grad: true },
  crop_size: [512, 1024],
  model: {
    type: 'EncoderDecoder',
    pretrained: null,
    backbone: { type: 'ResNetV1c', depth: 50, num_stages: 4, out_indices: [0, 1, 2, 3], dilations: [1, 1, 2, 4], strides: [1, 2, 1, 1],
      norm_eval: false, style: 'pytorch', contract_dilation: true },
    decode_head: { type: 'FCNHead', in_channels: 2048, channels: 512, num_classes: 19, dropout_ratio: 0.1, align_corners: false,
      loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 1.0 } },
  },
  train_pipeline: [
    { type: 'LoadImageFromFile' },
    { type: 'RandomResize', scale: [2048, 1024], ratio_range: [0.5, 2.0], keep_ratio: true },
    { type: 'PackSegInputs' },
  ],
  optim_wrapper: { type: 'OptimWrapper', optimizer: { type: 'SGD', lr: 0.01, momentum: 0.9, weight_decay: 0.0005 }, clip_grad: null },
  param_scheduler: [{ type: 'PolyLR', eta_min: 1e-4, power: 0.9, begin: 0, end: 40000, by_epoch: false }],
  paramwise: { custom_keys: { 'backbone.layer1': { lr_mult: 0.1 }, "quote'd key": { decay_mult: -0.5 } } },
  text: 'line1\nline2\t"quoted" \\ back \u2028',
  empty: { list: [], dict: {} },
  nested: [[1, [2, [3]]], { a: [{ b: null }] }],
  big: 12345678901234,
  small: 1e-12,
};

test('prettyText of a merged config re-loads to the same object, through .ts and .json dumps', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-dump-'));
  writeFileSync(join(dir, 'base.json'), JSON.stringify({ norm_cfg: merged.norm_cfg, model: merged.model, crop_size: [1, 1] }));
  const rest = Object.fromEntries(Object.entries(merged).filter(([k]) => k !== 'norm_cfg' && k !== 'model'));
  writeFileSync(join(dir, 'child.ts'), `export default ${JSON.stringify({ _base_: './base.json', ...rest })};\n`);
  const cfg = await loadConfig(join(dir, 'child.ts'));
  assert.deepEqual(cfg.dict, { norm_cfg: merged.norm_cfg, crop_size: merged.crop_size, model: merged.model, ...rest });

  const tsText = cfg.dump(join(dir, 'dumped.ts'));
  assert.equal(readFileSync(join(dir, 'dumped.ts'), 'utf8'), tsText);
  assert.equal(tsText, cfg.prettyText());
  assert.ok(tsText.startsWith(`// merged config of ${join(dir, 'child.ts')}\nexport default {\n`));
  assert.deepEqual((await loadConfig(join(dir, 'dumped.ts'))).dict, cfg.dict);

  cfg.dump(join(dir, 'dumped.json'));
  assert.deepEqual((await loadConfig(join(dir, 'dumped.json'))).dict, cfg.dict);
});

test('values JSON cannot hold still round-trip through .ts; a .json dump names the key path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-dump-'));
  const cfg = new Config({ log_processor: { window_size: 10 }, clip: { max_norm: Infinity, min: -Infinity, zero: -0, gone: undefined } });
  cfg.dump(join(dir, 'x.mts'));
  const back = await loadConfig(join(dir, 'x.mts'));
  assert.deepEqual(back.dict, cfg.dict);
  assert.ok(Object.is(back.get('clip.zero'), -0));
  assert.throws(() => cfg.dump(join(dir, 'x.json')), { message: `${join(dir, 'x.json')}: clip.max_norm: Infinity cannot be written as JSON; dump to .ts instead` });
  assert.throws(() => cfg.dump(join(dir, 'x.yaml')), /x\.yaml: cannot dump a config as '\.yaml'; use \.json, \.ts/);
});
