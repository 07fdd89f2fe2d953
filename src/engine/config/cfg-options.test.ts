import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyCfgOptions, parseCfgOptions, parseCfgValue } from './cfg-options.js';
import { KeySources } from './key-sources.js';

test('values parse as DictAction reads them: int, float, bool, None, strings', () => {
  assert.equal(parseCfgValue('42'), 42);
  assert.equal(parseCfgValue('-3'), -3);
  assert.equal(parseCfgValue('1_000'), 1000);
  assert.equal(parseCfgValue('6e-5'), 6e-5);
  assert.equal(parseCfgValue('.5'), 0.5);
  assert.equal(parseCfgValue('2.'), 2);
  assert.equal(parseCfgValue('inf'), Infinity);
  assert.ok(Number.isNaN(parseCfgValue('nan')));
  assert.equal(parseCfgValue('True'), true);
  assert.equal(parseCfgValue('false'), false);
  assert.equal(parseCfgValue('None'), null);
  assert.equal(parseCfgValue('none'), 'none');
  assert.equal(parseCfgValue('0x10'), '0x10');
  assert.equal(parseCfgValue('SGD'), 'SGD');
  assert.equal(parseCfgValue(''), '');
});

test('lists, tuples (as lists), bare commas and nesting', () => {
  assert.deepEqual(parseCfgValue('[1,2,3]'), [1, 2, 3]);
  assert.deepEqual(parseCfgValue('(512, 1024)'), [512, 1024]);
  assert.deepEqual(parseCfgValue('a,b'), ['a', 'b']);
  assert.deepEqual(parseCfgValue('[(1,2),[a, b], c]'), [[1, 2], ['a', 'b'], 'c']);
  assert.deepEqual(parseCfgValue('(1,)'), [1]);
  assert.deepEqual(parseCfgValue('[]'), []);
  assert.deepEqual(parseCfgValue('[True,None,0.1]'), [true, null, 0.1]);
  assert.throws(() => parseCfgValue('[1,(2,3]'), /unbalanced brackets in '\[1,\(2,3\]'/);
});

test('a quoted value stays the string between the quotes, spaces and commas included', () => {
  assert.equal(parseCfgValue('"1"'), '1');
  assert.equal(parseCfgValue("'my run, v2'"), 'my run, v2');
  assert.deepEqual(parseCfgValue("['a b', \"None\", c d]"), ['a b', 'None', 'cd']);
});

test('parseCfgOptions splits KEY=VALUE at the first =', () => {
  assert.deepEqual(parseCfgOptions(['a.b=1', 'c=x=y', 'd=[1,2]', 'a.b=2']), { 'a.b': 2, c: 'x=y', d: [1, 2] });
  assert.throws(() => parseCfgOptions(['model.depth']), { message: "--cfg-options: expected KEY=VALUE, got 'model.depth'" });
  assert.throws(() => parseCfgOptions(['crop=(1,2']), { message: "--cfg-options: crop: unbalanced brackets in '(1,2'" });
});

const base = () => ({
  model: { backbone: { depth: 50, out_indices: [0, 1, 2, 3] }, decode_head: [{ type: 'FCNHead', num_classes: 19 }, { type: 'FCNHead', num_classes: 19 }] },
  train_cfg: { max_iters: 1000 },
  load_from: null,
});

test('list indices reach into existing lists; dicts are created on the way; the input is untouched', () => {
  const cfg = base();
  const out = applyCfgOptions(cfg, parseCfgOptions([
    'model.decode_head.1.num_classes=21',
    'model.backbone.out_indices.3=5',
    'model.backbone.init_cfg.checkpoint=open-mmlab://resnet50_v1c',
    'train_cfg.max_iters=80000',
    'load_from=ckpt.pth',
    'model.decode_head.0=None',
  ]));
  assert.deepEqual(out, {
    model: {
      backbone: { depth: 50, out_indices: [0, 1, 2, 5], init_cfg: { checkpoint: 'open-mmlab://resnet50_v1c' } },
      decode_head: [null, { type: 'FCNHead', num_classes: 21 }],
    },
    train_cfg: { max_iters: 80000 },
    load_from: 'ckpt.pth',
  });
  assert.deepEqual(cfg, base());
});

test('dict values merge into dicts (with _delete_), other values replace', () => {
  const out = applyCfgOptions(base(), {
    'model.backbone': { depth: 101 },
    'model.decode_head.0': { _delete_: true, type: 'PSPHead' },
    train_cfg: [1, 2],
  });
  assert.deepEqual(out.model, {
    backbone: { depth: 101, out_indices: [0, 1, 2, 3] },
    decode_head: [{ type: 'PSPHead' }, { type: 'FCNHead', num_classes: 19 }],
  });
  assert.deepEqual(out.train_cfg, [1, 2]);
  // Digit keys inside a dict value address list items, as in MMEngine's merge_from_dict.
  const listKeys = applyCfgOptions(base(), { model: { decode_head: { 1: { num_classes: 2 } }, backbone: { out_indices: { 0: 9 } } } });
  assert.deepEqual(listKeys.model, {
    backbone: { depth: 50, out_indices: [9, 1, 2, 3] },
    decode_head: [{ type: 'FCNHead', num_classes: 19 }, { type: 'FCNHead', num_classes: 2 }],
  });
  assert.throws(() => applyCfgOptions(base(), { model: { decode_head: { 5: { num_classes: 2 } } } }),
    { message: '--cfg-options: model.decode_head.5: index 5 is past the end of the list (length 2)' });
});

test('indexing past a list\'s end or into a non-container names the key path', () => {
  assert.throws(() => applyCfgOptions(base(), { 'model.decode_head.2.num_classes': 3 }),
    { message: '--cfg-options: model.decode_head.2: index 2 is past the end of the list (length 2)' });
  assert.throws(() => applyCfgOptions(base(), { 'model.backbone.out_indices.4': 3 }),
    { message: '--cfg-options: model.backbone.out_indices.4: index 4 is past the end of the list (length 4)' });
  assert.throws(() => applyCfgOptions(base(), { 'train_cfg.max_iters.value': 3 }),
    { message: "--cfg-options: train_cfg.max_iters: is 1000 (a number), so 'value' cannot be set inside it" });
  assert.throws(() => applyCfgOptions(base(), { 'load_from.path': 'x' }),
    { message: "--cfg-options: load_from: is null (null), so 'path' cannot be set inside it" });
  assert.throws(() => applyCfgOptions(base(), { 'model.decode_head.first.type': 'x' }),
    { message: "--cfg-options: model.decode_head: is a list of 2, so the next key must be an index 0..1, got 'first'" });
  assert.throws(() => applyCfgOptions(base(), { 'model..depth': 1 }), /'model\.\.depth' is not a key path/);
});

test('applied options are recorded as coming from --cfg-options', () => {
  const sources = new KeySources();
  sources.set(['model'], 'configs/base.ts');
  applyCfgOptions(base(), { 'model.decode_head.1.num_classes': 21 }, sources);
  assert.equal(sources.lookup(['model', 'decode_head', 1, 'num_classes']), '--cfg-options');
  assert.equal(sources.lookup(['model', 'decode_head', 0, 'num_classes']), 'configs/base.ts');
});
