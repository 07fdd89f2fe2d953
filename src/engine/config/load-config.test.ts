import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from './errors.js';
import { loadConfig } from './load-config.js';
import { registerConfigReader } from './read-config-file.js';

const INDEX_URL = new URL('./index.js', import.meta.url).href;

/** Writes `files` (relative path -> text) into a fresh temp dir and returns it. */
function configDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-cfg-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

async function loadError(path: string): Promise<string> {
  try {
    await loadConfig(path);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.message;
  }
  assert.fail(`${path} loaded without error`);
}

test('loads TypeScript, JavaScript, CommonJS and JSON configs', async () => {
  const dir = configDir({
    'a.ts': `import { defineConfig } from 'segkit/config';\nconst iters: number = 40;\n` +
      `export default defineConfig({ train_cfg: { type: 'IterBasedTrainLoop', max_iters: iters, val_interval: iters / 4 }, crop_size: [512, 512] });\n`,
    'b.mts': `export default { work_dir: 'runs/' + ['b', 'mts'].join('.') };\n`,
    'c.js': `import { defineConfig } from '${INDEX_URL}';\nexport default defineConfig({ default_scope: 'mmseg', n: await Promise.resolve(3) });\n`,
    'd.cjs': `module.exports = { log_level: 'INFO' };\n`,
    'e.json': `{ "optim_wrapper": { "type": "OptimWrapper", "optimizer": { "type": "SGD", "lr": 0.01 } } }`,
  });
  assert.deepEqual((await loadConfig(join(dir, 'a.ts'))).dict,
    { train_cfg: { type: 'IterBasedTrainLoop', max_iters: 40, val_interval: 10 }, crop_size: [512, 512] });
  assert.deepEqual((await loadConfig(join(dir, 'b.mts'))).dict, { work_dir: 'runs/b.mts' });
  assert.deepEqual((await loadConfig(join(dir, 'c.js'))).dict, { default_scope: 'mmseg', n: 3 });
  assert.deepEqual((await loadConfig(join(dir, 'd.cjs'))).dict, { log_level: 'INFO' });
  const e = await loadConfig(join(dir, 'e.json'));
  assert.equal(e.get('optim_wrapper.optimizer.lr'), 0.01);
  assert.equal(e.filename, join(dir, 'e.json'));
});

test('a config edited between two loads is read again', async () => {
  const dir = configDir({ 'a.ts': 'export default { x: 1 };\n', 'b.js': 'export default { y: 1 };\n' });
  assert.equal((await loadConfig(join(dir, 'a.ts'))).get('x'), 1);
  assert.equal((await loadConfig(join(dir, 'b.js'))).get('y'), 1);
  writeFileSync(join(dir, 'a.ts'), 'export default { x: 2 };\n');
  writeFileSync(join(dir, 'b.js'), 'export default { y: 2 };\n');
  assert.equal((await loadConfig(join(dir, 'a.ts'))).get('x'), 2);
  assert.equal((await loadConfig(join(dir, 'b.js'))).get('y'), 2);
});

test('a three-level _base_ chain across JSON, JS and TS merges dicts and replaces lists', async () => {
  const dir = configDir({
    '_base_/models/fcn.json': JSON.stringify({
      norm_cfg: { type: 'SyncBN', requires_grad: true },
      model: { type: 'EncoderDecoder', backbone: { type: 'ResNetV1c', depth: 50, strides: [1, 2, 1, 1] },
        decode_head: { type: 'FCNHead', num_classes: 19, loss_decode: { type: 'CrossEntropyLoss', loss_weight: 1.0 } } },
    }),
    'fcn_r50.js': `export default { _base_: './_base_/models/fcn.json',\n` +
      `  model: { backbone: { depth: 101, strides: [1, 2, 2, 1] }, decode_head: { num_classes: 21 } }, crop_size: [512, 512] };\n`,
    'configs/fcn_r50_voc.ts': `export default { _base_: ['../fcn_r50.js'],\n` +
      `  model: { decode_head: { loss_decode: { loss_weight: 0.4 } } }, crop_size: [769, 769] };\n`,
  });
  const cfg = await loadConfig(join(dir, 'configs/fcn_r50_voc.ts'));
  assert.deepEqual(cfg.dict, {
    norm_cfg: { type: 'SyncBN', requires_grad: true },
    model: { type: 'EncoderDecoder', backbone: { type: 'ResNetV1c', depth: 101, strides: [1, 2, 2, 1] },
      decode_head: { type: 'FCNHead', num_classes: 21, loss_decode: { type: 'CrossEntropyLoss', loss_weight: 0.4 } } },
    crop_size: [769, 769],
  });
  // Each value names the file that set it.
  assert.equal(cfg.sourceOf('model.backbone.type'), join(dir, '_base_/models/fcn.json'));
  assert.equal(cfg.sourceOf('model.backbone.depth'), join(dir, 'fcn_r50.js'));
  assert.equal(cfg.sourceOf('model.decode_head.loss_decode.loss_weight'), join(dir, 'configs/fcn_r50_voc.ts'));
});

test('a list of bases merges left to right, then the child; two bases may not share a key', async () => {
  const dir = configDir({
    'runtime.json': JSON.stringify({ default_scope: 'mmseg', log_level: 'INFO', env_cfg: { cudnn_benchmark: true } }),
    'schedule.ts': `export default { train_cfg: { type: 'IterBasedTrainLoop', max_iters: 20000, val_interval: 2000 } };\n`,
    'dataset.js': `export default { train_dataloader: { batch_size: 4, num_workers: 4 } };\n`,
    'child.ts': `export default { _base_: ['./runtime.json', './schedule.ts', './dataset.js'], log_level: 'WARNING',\n` +
      `  train_cfg: { max_iters: 80000 } };\n`,
    'clash.json': JSON.stringify({ log_level: 'DEBUG', env_cfg: {} }),
    'bad.ts': `export default { _base_: ['./runtime.json', './schedule.ts', './clash.json'] };\n`,
  });
  const cfg = await loadConfig(join(dir, 'child.ts'));
  assert.deepEqual(cfg.dict, {
    default_scope: 'mmseg', log_level: 'WARNING', env_cfg: { cudnn_benchmark: true },
    train_cfg: { type: 'IterBasedTrainLoop', max_iters: 80000, val_interval: 2000 },
    train_dataloader: { batch_size: 4, num_workers: 4 },
  });
  assert.equal(await loadError(join(dir, 'bad.ts')),
    `${join(dir, 'bad.ts')}: _base_.2: duplicate keys 'log_level', 'env_cfg' in ${join(dir, 'clash.json')}, ` +
    `already set by ${join(dir, 'runtime.json')}; a key may come from one base only`);
});

const SGD_BASE = `export default { optim_wrapper: { type: 'OptimWrapper',
  optimizer: { type: 'SGD', lr: 0.01, momentum: 0.9, weight_decay: 0.0005 }, clip_grad: null } };\n`;

test('_delete_ replaces the base optim_wrapper instead of merging into it (the seed\'s AdamW case)', async () => {
  const dir = configDir({
    'schedule.ts': SGD_BASE,
    'vit.ts': `export default { _base_: './schedule.ts', optim_wrapper: { _delete_: true, type: 'OptimWrapper',
      optimizer: { type: 'AdamW', lr: 6e-5, betas: [0.9, 0.999], weight_decay: 0.01 },
      paramwise_cfg: { custom_keys: { pos_embed: { decay_mult: 0 }, cls_token: { decay_mult: 0 }, norm: { decay_mult: 0 } } } } };\n`,
    'merged.ts': `export default { _base_: './schedule.ts', optim_wrapper: { optimizer: { type: 'AdamW', lr: 6e-5, _delete_: false } } };\n`,
    'new.ts': `export default { _base_: './schedule.ts', extra: { _delete_: true, a: { _delete_: true, b: 1 } } };\n`,
  });
  const vit = await loadConfig(join(dir, 'vit.ts'));
  assert.deepEqual(vit.dict.optim_wrapper, {
    type: 'OptimWrapper',
    optimizer: { type: 'AdamW', lr: 6e-5, betas: [0.9, 0.999], weight_decay: 0.01 },
    paramwise_cfg: { custom_keys: { pos_embed: { decay_mult: 0 }, cls_token: { decay_mult: 0 }, norm: { decay_mult: 0 } } },
  });
  // Without _delete_ the SGD momentum and clip_grad would leak into the AdamW wrapper.
  const merged = await loadConfig(join(dir, 'merged.ts'));
  assert.deepEqual(merged.dict.optim_wrapper, {
    type: 'OptimWrapper', optimizer: { type: 'AdamW', lr: 6e-5, momentum: 0.9, weight_decay: 0.0005 }, clip_grad: null,
  });
  // _delete_ never survives into the merged config.
  assert.deepEqual((await loadConfig(join(dir, 'new.ts'))).get('extra'), { a: { b: 1 } });
});

test('a child dict over a base non-dict needs _delete_, and the error says so', async () => {
  const dir = configDir({
    'base.json': JSON.stringify({ model: { backbone: { init_cfg: null } } }),
    'child.ts': `export default { _base_: './base.json', model: { backbone: { init_cfg: { type: 'Pretrained' } } } };\n`,
  });
  assert.equal(await loadError(join(dir, 'child.ts')),
    `${join(dir, 'child.ts')}: model.backbone.init_cfg: is a dict here but null in the base (${join(dir, 'base.json')}), ` +
    `so it cannot be merged; add _delete_: true to replace the base value`);
});

test('{{_base_.x}} keeps the base value\'s type, interpolates inside strings, and base() is its typed form', async () => {
  const dir = configDir({
    'base.json': JSON.stringify({
      num_classes: 150, crop_size: [512, 512], name: 'ade', dataset_type: 'ADE20KDataset',
      norm_cfg: { type: 'SyncBN', requires_grad: true }, train_pipeline: [{ type: 'LoadImageFromFile' }, { type: 'RandomFlip', prob: 0.5 }],
    }),
    'child.ts': `import { base, defineConfig } from 'segkit/config';
import raw from './raw.ts';
export default defineConfig({
  _base_: './base.json',
  model: {
    type: 'EncoderDecoder',
    decode_head: { num_classes: '{{_base_.num_classes}}', norm_cfg: '{{ _base_.norm_cfg }}' },
    auxiliary_head: { num_classes: base<number>('num_classes') },
    crop: base<[number, number]>('crop_size'),
  },
  flip_prob: '{{_base_.train_pipeline.1.prob}}',
  work_dir: 'work_dirs/{{_base_.name}}_{{_base_.num_classes}}/{{fileBasenameNoExtension}}',
  lr: raw.lr * 2,
});\n`,
    'raw.ts': `export default { lr: 0.01 };\n`,
  });
  const cfg = await loadConfig(join(dir, 'child.ts'));
  assert.deepEqual(cfg.get('model'), {
    type: 'EncoderDecoder',
    decode_head: { num_classes: 150, norm_cfg: { type: 'SyncBN', requires_grad: true } },
    auxiliary_head: { num_classes: 150 },
    crop: [512, 512],
  });
  assert.equal(cfg.get('flip_prob'), 0.5);
  assert.equal(cfg.get('work_dir'), 'work_dirs/ade_150/child');
  assert.equal(cfg.get('lr'), 0.02);
  // The copied dict is the child's own: changing it leaves the base value alone.
  (cfg.get('model.decode_head.norm_cfg') as { requires_grad: boolean }).requires_grad = false;
  assert.equal(cfg.get('norm_cfg.requires_grad'), true);
});

test('a reference to a missing base key names the file, the key path and the missing key', async () => {
  const dir = configDir({
    'base.json': JSON.stringify({ model: { decode_head: { num_classes: 19 } }, crop_size: [512, 512] }),
    'a.ts': `export default { _base_: './base.json', model: { auxiliary_head: { num_classes: '{{_base_.model.aux.num_classes}}' } } };\n`,
    'b.ts': `import { base } from 'segkit/config';\nexport default { _base_: './base.json', pipeline: [{ size: base('crop_size.2') }] };\n`,
    'c.ts': `export default { name: 'x_{{_base_.crop_size}}' };\n`,
    'd.ts': `export default { _base_: './base.json', name: 'x_{{_base_.crop_size}}' };\n`,
  });
  assert.equal(await loadError(join(dir, 'a.ts')),
    `${join(dir, 'a.ts')}: model.auxiliary_head.num_classes: '{{_base_.model.aux.num_classes}}' refers to a missing key: _base_.model has no 'aux'`);
  assert.equal(await loadError(join(dir, 'b.ts')),
    `${join(dir, 'b.ts')}: pipeline.0.size: base('crop_size.2') refers to a missing key: _base_.crop_size has no '2'`);
  assert.equal(await loadError(join(dir, 'c.ts')),
    `${join(dir, 'c.ts')}: name: '{{_base_.crop_size}}' refers to a base value, but this file has no _base_`);
  assert.match(await loadError(join(dir, 'd.ts')), /: name: '\{\{_base_\.crop_size\}\}' inside a longer string must refer to a string, number or boolean, got a list of 2$/);
});

test('a missing config or base file and a _base_ cycle name the files', async () => {
  const dir = configDir({
    'child.ts': `export default { _base_: ['./runtime.json', './nope/schedule.ts'] };\n`,
    'runtime.json': '{}',
    'a.ts': `export default { _base_: './b.json' };\n`,
    'b.json': JSON.stringify({ _base_: ['./c.js'] }),
    'c.js': `export default { _base_: './a.ts' };\n`,
    'self.json': JSON.stringify({ _base_: './self.json' }),
    'badbase.json': JSON.stringify({ _base_: 5 }),
  });
  assert.equal(await loadError(join(dir, 'missing.ts')), `${join(dir, 'missing.ts')}: config file not found`);
  assert.equal(await loadError(join(dir, 'child.ts')),
    `${join(dir, 'child.ts')}: _base_.1: base file './nope/schedule.ts' not found (looked for ${join(dir, 'nope/schedule.ts')})`);
  assert.equal(await loadError(join(dir, 'a.ts')),
    `${join(dir, 'c.js')}: _base_: './a.ts' makes an inheritance cycle: ${['a.ts', 'b.json', 'c.js', 'a.ts'].map((f) => join(dir, f)).join(' -> ')}`);
  assert.match(await loadError(join(dir, 'self.json')), /self\.json: _base_: '\.\/self\.json' makes an inheritance cycle: .*self\.json -> .*self\.json$/);
  assert.equal(await loadError(join(dir, 'badbase.json')), `${join(dir, 'badbase.json')}: _base_: expected a relative path or a list of them, got 5`);
});

test('syntax errors name the file, the message and the line', async () => {
  const dir = configDir({
    'base.ts': `const lr: number = 0.01;\nexport default { lr,, };\n`,
    'child.json': JSON.stringify({ _base_: './base.ts' }),
    'bad.json': '{\n  "a": 1,\n}\n',
    'bad.js': 'export default { a: 1 ;\n',
    'throws.ts': `const x = 1;\nexport default { a: undefinedName };\n`,
    'noexport.ts': `export const a = 1;\n`,
    'list.json': '[1, 2]',
    'imports.ts': `import helper from './helper.ts';\nexport default { helper };\n`,
    'helper.ts': `export default {\n  a: 1 2\n};\n`,
  });
  assert.equal(await loadError(join(dir, 'child.json')), `${join(dir, 'base.ts')}: syntax error: Unexpected token (line 2, column 21)`);
  assert.equal(await loadError(join(dir, 'bad.json')),
    `${join(dir, 'bad.json')}: syntax error: Expected double-quoted property name (line 3, column 1)`);
  assert.match(await loadError(join(dir, 'bad.js')), /bad\.js: syntax error: Unexpected token, expected "," \(line 1, column 23\)$/);
  assert.equal(await loadError(join(dir, 'throws.ts')),
    `${join(dir, 'throws.ts')}: error while loading: ReferenceError: undefinedName is not defined (line 2)`);
  assert.equal(await loadError(join(dir, 'noexport.ts')), `${join(dir, 'noexport.ts')}: has no default export; write \`export default defineConfig({...})\``);
  assert.equal(await loadError(join(dir, 'imports.ts')),
    `${join(dir, 'imports.ts')}: syntax error in imported ${join(dir, 'helper.ts')}: Unexpected token, expected "," (line 2, column 8)`);
  assert.equal(await loadError(join(dir, 'list.json')), `${join(dir, 'list.json')}: expected the config to be a dict (an object literal), got a list of 2`);
});

test('cfgOptions apply after merging and before the top-level check', async () => {
  const dir = configDir({
    'base.json': JSON.stringify({ train_dataloader: { batch_size: 2, dataset: { pipeline: [{ type: 'LoadImageFromFile' }, { type: 'Resize', scale: [2048, 512] }] } } }),
    'child.ts': `export default { _base_: './base.json', train_cfg: { max_iters: 100 } };\n`,
  });
  const cfg = await loadConfig(join(dir, 'child.ts'), {
    cfgOptions: ['train_dataloader.dataset.pipeline.1.scale=(1024,256)', 'train_cfg.max_iters=200', 'work_dir=runs/x'],
  });
  assert.deepEqual(cfg.get('train_dataloader.dataset.pipeline.1'), { type: 'Resize', scale: [1024, 256] });
  assert.equal(cfg.get('train_cfg.max_iters'), 200);
  assert.equal(cfg.get('work_dir'), 'runs/x');
  const fromDict = await loadConfig(join(dir, 'child.ts'), { cfgOptions: { 'train_dataloader.batch_size': 8 } });
  assert.equal(fromDict.get('train_dataloader.batch_size'), 8);
  await assert.rejects(loadConfig(join(dir, 'child.ts'), { cfgOptions: ['train_dataloader.dataset.pipeline.2.scale=1'] }),
    { message: '--cfg-options: train_dataloader.dataset.pipeline.2: index 2 is past the end of the list (length 2)' });
  // A bad value given on the command line is reported as coming from there.
  await assert.rejects(loadConfig(join(dir, 'child.ts'), { cfgOptions: ['train_cfg.max_iters="10"'] }),
    { message: '--cfg-options: train_cfg.max_iters: expected number, got "10"' });
});

test('a wrongly typed runner field names the file that set it, relative to the working directory', async () => {
  const dir = configDir({
    'configs/_base_/schedule.json': JSON.stringify({ train_cfg: { type: 'IterBasedTrainLoop', max_iters: 1000, val_interval: '100' } }),
    'configs/my.ts': `export default { train_cfg: { max_iters: '10' }, crop_size: 'free variables are not checked' };\n`,
    'configs/child.ts': `export default { _base_: './_base_/schedule.json', train_cfg: { max_iters: 10 } };\n`,
  });
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    assert.equal(await loadError('configs/my.ts'), 'configs/my.ts: train_cfg.max_iters: expected number, got "10"');
    assert.equal(await loadError('configs/child.ts'), 'configs/_base_/schedule.json: train_cfg.val_interval: expected number, got "100"');
    assert.equal((await loadConfig('configs/my.ts', { validate: false })).get('train_cfg.max_iters'), '10');
  } finally {
    process.chdir(cwd);
  }
});

test('a class imported by a TypeScript config is the same class the program imports', async () => {
  const dir = configDir({
    'lib.mjs': 'export class MyHead {}\n',
    'cfg.ts': `import { MyHead } from './lib.mjs';\nexport default { model: { type: 'EncoderDecoder', decode_head: { type: MyHead } } };\n`,
  });
  const lib = await import(pathToFileURL(join(dir, 'lib.mjs')).href) as { MyHead: unknown };
  const cfg = await loadConfig(join(dir, 'cfg.ts'));
  assert.equal(cfg.get('model.decode_head.type'), lib.MyHead);
});

test('another format can plug in a reader and take part in _base_ chains', async () => {
  registerConfigReader(['.kv'], async (absPath) =>
    Object.fromEntries(readFileSync(absPath, 'utf8').trim().split('\n').map((l) => l.split('=')).map(([k, v]) => [k, Number(v)])));
  const dir = configDir({ 'base.kv': 'num_classes=19\nseed=3\n', 'child.json': JSON.stringify({ _base_: './base.kv', seed: 4, n: '{{_base_.num_classes}}' }) });
  assert.deepEqual((await loadConfig(join(dir, 'child.json'))).dict, { num_classes: 19, seed: 4, n: 19 });
  assert.equal(await loadError(join(dir, 'base.yaml')), `${join(dir, 'base.yaml')}: config file not found`);
  writeFileSync(join(dir, 'x.yaml'), 'a: 1\n');
  assert.match(await loadError(join(dir, 'x.yaml')), /x\.yaml: unsupported config format '\.yaml'; expected one of \.ts, .*\.json, \.py, \.kv$/);
});
