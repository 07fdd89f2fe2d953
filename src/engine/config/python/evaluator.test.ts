// The Python-literal subset: every construct a classic config uses gives Python's value, and
// every other construct is an error naming it and its file:line:column.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Evaluator } from './evaluator.js';
import { parseModule } from './parser.js';
import { PySource } from './source.js';
import { fails, run } from './test-utils.js';

test('dict() calls, dict literals with ** spreads, lists and tuples', () => {
  const v = run(`
norm = dict(type='BN', requires_grad=True)
extra = {'a': 1, "b": [1, 2,]}
ints = {3: None, 'k': 0}
merged = dict(norm, eps=1e-5, **extra)
spread = {**norm, 'type': 'GN'}
t = (1,)
empty = ()
pair = (1, 2)
bare = 1, 2
starred = [*pair, 3]
conv = list((4, 5)) + list()
tup = tuple([6])
`);
  assert.deepEqual(v.norm, { type: 'BN', requires_grad: true });
  assert.deepEqual(v.extra, { a: 1, b: [1, 2] });
  assert.deepEqual(v.ints, { 3: null, k: 0 });
  assert.deepEqual(v.merged, { type: 'BN', requires_grad: true, eps: 1e-5, a: 1, b: [1, 2] });
  assert.deepEqual(v.spread, { type: 'GN', requires_grad: true });
  assert.deepEqual([v.t, v.empty, v.pair, v.bare, v.starred, v.conv, v.tup], [[1], [], [1, 2], [1, 2], [1, 2, 3], [4, 5], [6]]);
});

test('numbers follow Python: / is float division, // and % floor, ** and int/float', () => {
  const v = run(`
a = 7 / 2
b = 7 // 2
c = -7 // 2
d = -7 % 3
e = 7.5 % -2
f = 2 ** -1
g = -2 ** 2
h = 1_000 + 0x10 + 0o10 + 0b10
i = 1e-4
j = .5 + 1.
k = 80000 // 10
l = (1 + 2) * 3 - -4
m = 10 % 3 * 2 ** 3 ** 2
`);
  assert.deepEqual(v, { a: 3.5, b: 3, c: -4, d: 2, e: -0.5, f: 0.5, g: -4, h: 1026, i: 1e-4, j: 1.5, k: 8000, l: 13, m: 512 });
});

test('strings: quotes, triple quotes, implicit concatenation, escapes, raw, + and *', () => {
  const v = run(String.raw`
a = 'it\'s' "x" '\x41\u00e9\n\t\101'
b = r'\d+\.png'
c = """two
lines"""
d = 'ab' + 'c' * 2
e = 'a\
b'
f = u'\q'
`);
  assert.deepEqual(v, { a: "it'sxAé\n\tA", b: '\\d+\\.png', c: 'two\nlines', d: 'abcc', e: 'ab', f: '\\q' });
});

test('names, subscripts, slices, comments, semicolons and line continuations', () => {
  const v = run(`# a comment
"""A docstring is evaluated and dropped."""
crop = (512, 512)  # trailing comment
cfg = dict(scale=crop, x=[1, 2, 3][-1]); first = crop[0]
size = cfg['scale'][1] + \\
    1
s = [0, 1, 2, 3, 4][1:4:2]
r = 'abcdef'[::-2]
__private = 1
_kept = 2
`);
  assert.deepEqual(v, { crop: [512, 512], cfg: { scale: [512, 512], x: 3 }, first: 512, size: 513, s: [1, 3], r: 'fdb', _kept: 2 });
});

test('a later assignment replaces the value but keeps the first position, as a Python dict does', () => {
  assert.deepEqual(Object.keys(run('a = 1\nb = 2\na = 3\n')), ['a', 'b']);
  assert.equal(run('a = 1\na = a + 1\n').a, 2);
});

test('import lines are skipped with a warning; using an imported name is an error', () => {
  const warnings: string[] = [];
  const v = run('import os.path as osp\nfrom math import pi\nx = 1\n', warnings);
  assert.deepEqual(v, { x: 1 });
  assert.equal(warnings.length, 2);
  assert.match(warnings[0]!, /^cfg\.py:1:1: 'import os\.path as osp' is ignored/);
  fails('from math import pi\nx = pi * 2\n', /^cfg\.py:2:5: 'pi' comes from 'from math import pi' \(cfg\.py:1:1\), which cannot be evaluated without Python/);
});

test("MMEngine's new-style configs are rejected with a clear message", () => {
  fails('from mmengine.config import read_base\n', /^cfg\.py:1:1: MMEngine's new-style \(lazy import\) configs are not supported/);
  fails('with read_base():\n    from .x import *\n', /^cfg\.py:1:1: MMEngine's new-style/);
  fails('from .._base_.models.fcn import *\n', /^cfg\.py:1:1: MMEngine's new-style/);
});

test("list and dict comprehensions, as MMSeg's tta_pipeline writes them; their variables do not leak", () => {
  const v = run([
    'img_ratios = [0.5, 1.0, 1.5]',
    "tta = [dict(type='Resize', scale_factor=r, keep_ratio=True) for r in img_ratios]",
    'r = 7',
    'pairs = [(a, b) for a in [1, 2] for b in "xy"]',
    'sums = [a + b for (a, b) in [(1, 2), (3, 4)]]',
    'swapped = {v: k for k, v in [("a", 1), ("b", 2)]}',
    'nested = [[i * j for j in [1, 2]] for i in [1, 10]]',
    'shadow = [r for r in [1, 2]]',
    'empty = [x for x in []]',
  ].join('\n') + '\n');
  assert.deepEqual(v.tta, [0.5, 1, 1.5].map((scale_factor) => ({ type: 'Resize', scale_factor, keep_ratio: true })));
  assert.deepEqual(v.pairs, [[1, 'x'], [1, 'y'], [2, 'x'], [2, 'y']]);
  assert.deepEqual(v.sums, [3, 7]);
  assert.deepEqual(v.swapped, { 1: 'a', 2: 'b' });
  assert.deepEqual(v.nested, [[1, 2], [10, 20]]);
  assert.deepEqual(v.shadow, [1, 2]);
  assert.equal(v.r, 7, 'the comprehension variable r did not overwrite the module-level r');
  assert.deepEqual(v.empty, []);
  assert.ok(!('a' in v) && !('k' in v), 'comprehension variables are not module variables');
  fails('x = [a for a, b in [(1, 2, 3)]]\n', /^cfg\.py:1:8: too many values to unpack \(expected 2\)/);
  fails('x = [a for a, b in [(1,)]]\n', /^cfg\.py:1:8: not enough values to unpack \(expected 2, got 1\)/);
  fails('x = [a for a in 3]\n', /^cfg\.py:1:17: 'int' object is not iterable/);
  fails('x = [y for a in [1]]\n', /^cfg\.py:1:6: name 'y' is not defined/);
  fails('x = [a for None in [1]]\n', /^cfg\.py:1:12: 'None' cannot be a comprehension variable/);
});

test('unsupported statements and expressions name the construct and file:line:column', () => {
  const cases: [string, RegExp][] = [
    ['def f():\n    return 1\n', /^cfg\.py:1:1: a function definition \(def\) is not supported/],
    ['x = 1\nif x:\n    y = 2\n', /^cfg\.py:2:1: an if statement is not supported/],
    ['for i in [1]:\n    pass\n', /^cfg\.py:1:1: a for loop is not supported/],
    ['x = lambda: 1\n', /^cfg\.py:1:5: a lambda is not supported/],
    ['x = [i for i in (1, 2) if i]\n', /^cfg\.py:1:24: a condition in a comprehension \('if'\) is not supported/],
    ['x = (i for i in (1, 2))\n', /^cfg\.py:1:8: a comprehension is not supported/],
    ['x = 1 if True else 2\n', /^cfg\.py:1:7: a conditional expression \(x if c else y\) is not supported/],
    ['x = 1 == 1\n', /^cfg\.py:1:7: a comparison is not supported/],
    ['x = True and False\n', /^cfg\.py:1:10: the boolean operator 'and' is not supported/],
    ['x = not True\n', /^cfg\.py:1:5: the operator 'not' is not supported/],
    ['x = 1 | 2\n', /^cfg\.py:1:7: the bitwise operator '\|' is not supported/],
    ['x = {1, 2}\n', /^cfg\.py:1:7: a set literal/],
    ["x = f'{1:>3}'\n", /^cfg\.py:1:9: f-string conversions and format specs \(':\.\.\.'\) are not supported/],
    ["x = b'a'\n", /^cfg\.py:1:5: bytes literals/],
    ['x = 1j\n', /^cfg\.py:1:5: complex numbers are not supported/],
    ['x = 1\nx += 1\n', /^cfg\.py:2:3: augmented assignment \(\+=\) is not supported/],
    ['a, b = 1, 2\n', /^cfg\.py:1:1: tuple unpacking/],
    ["d = dict()\nd['k'] = 1\n", /^cfg\.py:2:2: assignment to an item/],
    ['a = b = 1\n', /^cfg\.py:1:7: chained assignment/],
    ['x: int = 1\n', /^cfg\.py:1:2: an annotated assignment/],
    ['x = sorted([3])\n', /^cfg\.py:1:5: the builtin 'sorted' is not supported .*\(only dict\(\), list\(\), tuple\(\), sum\(\), range\(\), len\(\), int\(\), enumerate\(\)\)/],
    ['x = y\n', /^cfg\.py:1:5: name 'y' is not defined/],
    ["x = dict(a=1).get('a')\n", /^cfg\.py:1:14: calling the method 'dict\.get\(\)' is not supported .*\(only dict\.update\(\)\)/],
    ["x = dict(a=1).a\n", /^cfg\.py:1:14: 'dict' object has no attribute 'a'/],
    ["x = dict(a=1)['b']\n", /^cfg\.py:1:14: KeyError: 'b' \(keys: a\)/],
    ['x = [1][3]\n', /^cfg\.py:1:8: list index 3 out of range/],
    ["x = [1] + (2,)\n", /^cfg\.py:1:9: unsupported operand type\(s\) for \+: 'list' and 'tuple'/],
    ["x = 'a' % 1\n", /^cfg\.py:1:9: string formatting with % is not supported/],
    ['x = 1 / 0\n', /^cfg\.py:1:7: division by zero/],
    ['x = dict(a=1, a=2)\n', /^cfg\.py:1:15: dict\(\) got multiple values for keyword argument 'a'/],
    ['x = dict(a=1, **dict(a=2))\n', /^cfg\.py:1:15: dict\(\) got multiple values for keyword argument 'a'/],
    ['x = dict(**{1: 2})\n', /^cfg\.py:1:10: keywords must be strings/],
    ['  x = 1\n', /^cfg\.py:1:3: unexpected indentation/],
    ["x = 'abc\n", /^cfg\.py:1:5: unterminated string literal/],
    ['x = dict(a=1\n', /^cfg\.py:1:9: '\(' was never closed/],
    ['x = (1]\n', /^cfg\.py:1:7: closing '\]' does not match the '\(' at cfg\.py:1:5/],
    ['x = 007\n', /^cfg\.py:1:5: invalid number literal '007'/],
    ['x = 1 $ 2\n', /^cfg\.py:1:7: unexpected character '\$'/],
    ['x = {{ fileDirname }}\n', /^cfg\.py:1:5: \{\{fileDirname\}\} is replaced by text, so it must be inside a string/],
    ['x = {{_base_.a}} + 1\n', /^cfg\.py:1:18: \{\{_base_\.a\}\} is replaced only after the file is evaluated, so it cannot be computed with; write _base_\.a instead/],
    ['x = dict\n', /^cfg\.py:1:1: x: the builtin 'dict' cannot be a config value/],
  ];
  for (const [text, message] of cases) fails(text, message);
});

test('{{_base_.x}} outside a string stays a reference for the loader to replace', () => {
  assert.deepEqual(run('n = {{_base_.model.decode_head.num_classes}}\nm = dict(k={{ _base_.a }})\n'), {
    n: '{{_base_.model.decode_head.num_classes}}', m: { k: '{{_base_.a}}' },
  });
});

test('_base_.x reads the bases given to the evaluator; plain dicts need [ ]', () => {
  const src = new PySource("lr = _base_.optimizer.lr * 2\nd = _base_['model'].backbone\nsteps = _base_.steps + [3]\n", 'cfg.py');
  const bases = { optimizer: { lr: 0.01 }, model: { backbone: { depth: 50 } }, steps: [1, 2] };
  assert.deepEqual(new Evaluator(src, { bases }).run(parseModule(src)).vars, { lr: 0.02, d: { depth: 50 }, steps: [1, 2, 3] });
  const missing = new PySource('x = _base_.model.neck\n', 'cfg.py');
  assert.throws(() => new Evaluator(missing, { bases }).run(parseModule(missing)),
    /^PyConfigError|cfg\.py:1:17: 'ConfigDict' object has no attribute 'neck' \(keys: backbone\)/);
});

test('the first _base_ assignment is evaluated alone and returned apart from the variables', () => {
  const src = new PySource("_base_ = ['a.py', 'b.py']\nx = 1\n_base_ = 'ignored.py'\n", 'cfg.py');
  const out = new Evaluator(src).run(parseModule(src));
  assert.deepEqual(out.base?.value, ['a.py', 'b.py']);
  assert.deepEqual(out.vars, { x: 1 });
});
