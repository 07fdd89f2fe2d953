// The constructs real MMSegmentation configs use beyond literals: sum/range/len/int/enumerate,
// f-strings and dict.update(), with Python's values, and their errors with file:line:column.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../index.js';
import { floatRepr } from './py-format.js';
import { fails, run } from './test-utils.js';

test('sum, range, len, int and enumerate give Python values', () => {
  const v = run(`
widths = [16, 32, 64]
total = sum(widths)
ftotal = sum([0.5, 1], 2)
idx = list(range(3))
stepped = [i for i in range(10, 1, -3)]
sizes = [int(300 * s * 0.1) for s in range(5, 8)]
n = len(widths) - 1 + len('ab') + len({'a': 1})
neg = int(-2.7) + int(' 12 ')
pairs = [(i, w) for i, w in enumerate(widths, 1)]
stages = [dict(idx=i) for i in range(len(widths) - 1)]
`);
  assert.equal(v.total, 112);
  assert.equal(v.ftotal, 3.5);
  assert.deepEqual(v.idx, [0, 1, 2]);
  assert.deepEqual(v.stepped, [10, 7, 4]);
  assert.deepEqual(v.sizes, [150, 180, 210]);
  assert.equal(v.n, 5);
  assert.equal(v.neg, 10);
  assert.deepEqual(v.pairs, [[1, 16], [2, 32], [3, 64]]);
  assert.deepEqual(v.stages, [{ idx: 0 }, { idx: 1 }]);
});

test('f-strings format their fields as str() does, joined with adjacent strings', () => {
  const v = run(`
depths = [1, 2]
keys = {f'stages.{s}.blocks.{b}.norm': 0 for s, n in enumerate(depths) for b in range(n)}
mixed = 'a' f"{1 + 1}-{'x'}" 'b'
braces = f'{{lit}} {None} {True} {0.1} {2.0} {1e-5} {[1, (2,), "q"]} {dict(k=1.5)}'
`);
  assert.deepEqual(Object.keys(v.keys as object), ['stages.0.blocks.0.norm', 'stages.1.blocks.0.norm', 'stages.1.blocks.1.norm']);
  assert.equal(v.mixed, 'a2-xb');
  assert.equal(v.braces, "{lit} None True 0.1 2.0 1e-05 [1, (2,), 'q'] {'k': 1.5}");
  assert.deepEqual(['1e+16', '123.0', '0.0001', '-1.5e-07', 'inf'], [1e16, 123, 1e-4, -1.5e-7, Infinity].map(floatRepr));
});

test('dict.update() changes the dict in place, seen through every name bound to it', () => {
  const v = run(`
norm = dict(decay_mult=0.0)
keys = {'backbone': dict(lr_mult=0.1)}
paramwise = dict(custom_keys=keys)
keys.update({f'stage.{i}': norm for i in range(2)})
keys.update(head=norm, **{'neck': 1})
`);
  const expected = { backbone: { lr_mult: 0.1 }, 'stage.0': { decay_mult: 0 }, 'stage.1': { decay_mult: 0 }, head: { decay_mult: 0 }, neck: 1 };
  assert.deepEqual(v.keys, expected);
  assert.deepEqual(v.paramwise, { custom_keys: expected });
});

test('errors of the builtins, f-strings and methods name file:line:column', () => {
  const cases: [string, RegExp][] = [
    ['x = sum()\n', /^cfg\.py:1:5: sum\(\) takes at least 1 argument \(0 given\)/],
    ["x = sum(['a'], '')\n", /^cfg\.py:1:5: sum\(\) can't sum strings/],
    ['x = range(1.5)\n', /^cfg\.py:1:5: 'float' object cannot be interpreted as an integer \(in range\(\)\)/],
    ['x = range(0, 3, 0)\n', /^cfg\.py:1:5: range\(\) arg 3 must not be zero/],
    ["x = int('1.5')\n", /^cfg\.py:1:5: invalid literal for int\(\) with base 10: '1\.5'/],
    ['x = len(3)\n', /^cfg\.py:1:5: object of type 'int' has no len\(\)/],
    ['x = enumerate([1], step=2)\n', /^cfg\.py:1:5: enumerate\(\) got an unexpected keyword argument 'step'/],
    ["x = f'{y}'\n", /^cfg\.py:1:8: name 'y' is not defined/],
    ["x = f'a{'\n", /^cfg\.py:1:8: f-string: expecting '\}'/],
    ["x = f'{}'\n", /^cfg\.py:1:7: f-string: empty expression not allowed/],
    ["x = f'{a!r}'\n", /^cfg\.py:1:9: f-string conversions and format specs \('!\.\.\.'\) are not supported/],
    ["x = f'{1 2}'\n", /^cfg\.py:1:10: expected '\}' to end the f-string field, got a number/],
    ["x = f'{{_base_.a}}'\ny = f'{ {{_base_.a}} }'\n", /^cfg\.py:2:9: \{\{_base_\.a\}\} is replaced only after the file is evaluated, so it cannot be formatted/],
    ['x = [1]\nx.append(2)\n', /^cfg\.py:2:2: calling the method 'list\.append\(\)' is not supported/],
    ['x = {}\nx.update([1])\n', /^cfg\.py:2:10: update\(\) needs a dict here, got 'list'/],
  ];
  for (const [text, message] of cases) fails(text, message);
});

test('a swin-style config reads its base and extends custom_keys with an f-string comprehension', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-pyreal-'));
  writeFileSync(join(dir, 'base.py'), 'model = dict(backbone=dict(depths=[2, 2]), decode_head=dict(in_channels=[8, 16], channels=0))\n');
  writeFileSync(join(dir, 'leaf.py'), [
    "_base_ = './base.py'",
    'depths = _base_.model.backbone.depths',
    'model = dict(decode_head=dict(channels=sum(_base_.model.decode_head.in_channels)))',
    "custom_keys = {'backbone': dict(lr_mult=0.1)}",
    "custom_keys.update({f'backbone.stages.{i}.downsample.norm': dict(decay_mult=0.0) for i in range(len(depths) - 1)})",
    'optim_wrapper = dict(paramwise_cfg=dict(custom_keys=custom_keys))',
    '',
  ].join('\n'));
  const cfg = await loadConfig(join(dir, 'leaf.py'), { validate: false });
  assert.equal(cfg.get('model.decode_head.channels'), 24);
  assert.deepEqual(cfg.get('optim_wrapper.paramwise_cfg.custom_keys'), {
    backbone: { lr_mult: 0.1 }, 'backbone.stages.0.downsample.norm': { decay_mult: 0 },
  });
});
