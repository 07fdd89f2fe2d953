// loadConfig on .py files: _base_ chains (mixed with other formats), _delete_, {{_base_.x}},
// _base_.x, predefined variables, custom_imports and the errors of a bad file.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../index.js';

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-pycfg-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const BASE_MODEL = `norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    type='EncoderDecoder',
    backbone=dict(type='ResNetV1c', depth=50, norm_cfg=norm_cfg),
    decode_head=dict(type='FCNHead', num_classes=19, norm_cfg=norm_cfg))
`;

test('a .py config merges its _base_ chain (py and json) with MMEngine rules', async () => {
  const dir = tree({
    '_base_/model.py': BASE_MODEL,
    '_base_/schedule.json': JSON.stringify({ optim_wrapper: { type: 'OptimWrapper', optimizer: { type: 'SGD', lr: 0.01 } } }),
    'leaf.py': `_base_ = ['./_base_/model.py', './_base_/schedule.json']
model = dict(decode_head=dict(num_classes=11))
optim_wrapper = dict(_delete_=True, type='OptimWrapper', optimizer=dict(type='AdamW', lr=6e-5))
`,
  });
  const cfg = (await loadConfig(join(dir, 'leaf.py'), { validate: false })).dict as Record<string, any>;
  assert.deepEqual(cfg.model.decode_head, { type: 'FCNHead', num_classes: 11, norm_cfg: { type: 'SyncBN', requires_grad: true } });
  assert.equal(cfg.model.backbone.depth, 50);
  assert.deepEqual(cfg.optim_wrapper, { type: 'OptimWrapper', optimizer: { type: 'AdamW', lr: 6e-5 } });
  assert.equal('_base_' in cfg, false);
});

test('_base_ may be a single string; a TypeScript config may inherit from a .py base', async () => {
  const dir = tree({
    'model.py': BASE_MODEL,
    'child.py': "_base_ = './model.py'\nmodel = dict(backbone=dict(depth=18))\n",
    'leaf.json': JSON.stringify({ _base_: './child.py', model: { decode_head: { num_classes: 2 } } }),
  });
  const cfg = (await loadConfig(join(dir, 'leaf.json'), { validate: false })).dict as Record<string, any>;
  assert.equal(cfg.model.backbone.depth, 18);
  assert.equal(cfg.model.decode_head.num_classes, 2);
});

test('{{_base_.x}} takes the base value with its type; _base_.x can be computed with', async () => {
  const dir = tree({
    'base.py': "num_classes = 150\ncrop_size = (512, 512)\noptimizer = dict(type='SGD', lr=0.01)\nname = 'fcn'\n",
    'leaf.py': `_base_ = './base.py'
model = dict(num_classes={{_base_.num_classes}}, crop={{_base_.crop_size}}, first='{{_base_.crop_size.0}}')
lr = _base_.optimizer.lr * 2
iters = _base_['crop_size'][0] // 2
work_dir = './work_dirs/' + _base_.name
`,
  });
  const cfg = (await loadConfig(join(dir, 'leaf.py'), { validate: false })).dict as Record<string, any>;
  assert.deepEqual(cfg.model, { num_classes: 150, crop: [512, 512], first: 512 });
  assert.equal(cfg.lr, 0.02);
  assert.equal(cfg.iters, 256);
  assert.equal(cfg.work_dir, './work_dirs/fcn');
});

test("MMEngine's predefined variables are replaced inside strings", async () => {
  const dir = tree({ 'sub/my_cfg.py': "work_dir = './work_dirs/{{ fileBasenameNoExtension }}'\nwhere = '{{fileDirname}}/{{fileBasename}}{{fileExtname}}'\n" });
  const cfg = (await loadConfig(join(dir, 'sub/my_cfg.py'), { validate: false })).dict as Record<string, any>;
  assert.equal(cfg.work_dir, './work_dirs/my_cfg');
  assert.equal(cfg.where, `${join(dir, 'sub')}/my_cfg.py.py`);
});

test('custom_imports and _deprecation_ are dropped with a warning; dunder names are dropped', async (t) => {
  const warnings = t.mock.method(process, 'emitWarning', () => undefined);
  const dir = tree({
    'a.py': "custom_imports = dict(imports=['mmpretrain.models'], allow_failed_imports=False)\n" +
      "_deprecation_ = dict(expected='b.py', reference='https://x')\n__version__ = '1'\nx = 1\n",
  });
  const cfg = (await loadConfig(join(dir, 'a.py'), { validate: false })).dict as Record<string, any>;
  assert.deepEqual(cfg, { x: 1 });
  const messages = warnings.mock.calls.map((c) => String(c.arguments[0]));
  assert.ok(messages.some((m) => /a\.py:1:1: custom_imports is ignored/.test(m)), messages.join('\n'));
  assert.ok(messages.some((m) => /will be deprecated in the future\. Please use b\.py instead\. More information can be found at https:\/\/x/.test(m)), messages.join('\n'));
  mock.restoreAll();
});

test('errors name the file, line and column; base errors name the _base_ entry', async () => {
  const dir = tree({
    'bad.py': "model = dict(\n    type='X',\n    n=[i for i in sorted(3)])\n",
    'pkg.py': "_base_ = ['mmseg::_base_/models/fcn_r50-d8.py']\n",
    'missing.py': "_base_ = ['./nope.py']\nx = _base_.y\n",
    'reserved.py': "filename = 'x'\n",
    'cycle_a.py': "_base_ = './cycle_b.py'\nx = _base_.y\n",
    'cycle_b.py': "_base_ = './cycle_a.py'\ny = 1\n",
  });
  await assert.rejects(loadConfig(join(dir, 'bad.py')), (err: Error) => {
    assert.match(err.message, /bad\.py:3:19: the builtin 'sorted' is not supported in a config read without Python/);
    return true;
  });
  await assert.rejects(loadConfig(join(dir, 'pkg.py')), /pkg\.py:1:1: _base_: 'mmseg::_base_\/models\/fcn_r50-d8\.py' names a base inside an installed Python package/);
  await assert.rejects(loadConfig(join(dir, 'missing.py')), /missing\.py: _base_\.0: base file '\.\/nope\.py' not found/);
  await assert.rejects(loadConfig(join(dir, 'reserved.py')), /reserved\.py:1:1: 'filename' is reserved/);
  await assert.rejects(loadConfig(join(dir, 'cycle_a.py')), /cycle/);
});
