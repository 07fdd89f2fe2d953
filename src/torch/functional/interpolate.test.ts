// interpolate against PyTorch (bilinear with and without alignCorners, nearest, sizes and scale factors) and its argument checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, randn, zeros } from '../index.js';
import * as F from './index.js';
import { type GradCase, runGradCases, assertCase } from './test-cases.js';

manualSeed(3);
const x = randn([2, 3, 7, 9]);
const one = (name: string, opts: F.InterpolateOptions, py: string, input = x): GradCase => ({
  name, grad: { x: input }, js: ({ x }) => F.interpolate(x!, opts), py: `F.interpolate(x, ${py})`,
});
const cases: GradCase[] = [
  one('bilinear alignCorners true, size [13, 17]', { size: [13, 17], mode: 'bilinear', alignCorners: true }, "size=(13, 17), mode='bilinear', align_corners=True"),
  one('bilinear alignCorners false, size [13, 17]', { size: [13, 17], mode: 'bilinear', alignCorners: false }, "size=(13, 17), mode='bilinear', align_corners=False"),
  one('bilinear default alignCorners, size 5 (downsampling)', { size: 5, mode: 'bilinear' }, "size=5, mode='bilinear'"),
  one('bilinear scaleFactor 2', { scaleFactor: 2, mode: 'bilinear' }, "scale_factor=2, mode='bilinear'"),
  one('bilinear scaleFactor 2 alignCorners true', { scaleFactor: 2, mode: 'bilinear', alignCorners: true }, "scale_factor=2, mode='bilinear', align_corners=True"),
  one('bilinear scaleFactor [1.7, 0.6]', { scaleFactor: [1.7, 0.6], mode: 'bilinear' }, "scale_factor=(1.7, 0.6), mode='bilinear'"),
  one('bilinear scaleFactor 1.7 recomputeScaleFactor', { scaleFactor: 1.7, mode: 'bilinear', recomputeScaleFactor: true }, "scale_factor=1.7, mode='bilinear', recompute_scale_factor=True"),
  one('bilinear scaleFactor 0.5', { scaleFactor: 0.5, mode: 'bilinear' }, "scale_factor=0.5, mode='bilinear'"),
  one('bilinear antialias downsampling', { size: [4, 5], mode: 'bilinear', antialias: true }, "size=(4, 5), mode='bilinear', antialias=True"),
  one('nearest (default mode), size [11, 5]', { size: [11, 5] }, 'size=(11, 5)'),
  one('nearest scaleFactor 2', { scaleFactor: 2, mode: 'nearest' }, "scale_factor=2, mode='nearest'"),
  one('nearest scaleFactor 1.5', { scaleFactor: 1.5, mode: 'nearest' }, "scale_factor=1.5, mode='nearest'"),
  one('nearest-exact size [10, 4]', { size: [10, 4], mode: 'nearest-exact' }, "size=(10, 4), mode='nearest-exact'"),
  one('bicubic alignCorners false, scaleFactor 1.5', { scaleFactor: 1.5, mode: 'bicubic' }, "scale_factor=1.5, mode='bicubic'"),
  one('bicubic alignCorners true, size [9, 10]', { size: [9, 10], mode: 'bicubic', alignCorners: true }, "size=(9, 10), mode='bicubic', align_corners=True"),
  one('area size [3, 4]', { size: [3, 4], mode: 'area' }, "size=(3, 4), mode='area'"),
  one('area scaleFactor 0.5', { scaleFactor: 0.5, mode: 'area' }, "scale_factor=0.5, mode='area'"),
  one('linear on 3-D input', { size: 12, mode: 'linear' }, "size=12, mode='linear'", randn([2, 3, 7])),
  one('trilinear on 5-D input', { scaleFactor: 2, mode: 'trilinear', alignCorners: true }, "scale_factor=2, mode='trilinear', align_corners=True", randn([1, 2, 3, 4, 5])),
];
const results = runGradCases(cases);

for (const r of results) {
  test(`${r.name} matches PyTorch (output and input gradient)`, () => assertCase(r));
}

test('output sizes follow floor(input * scaleFactor)', () => {
  assert.deepEqual(results[5]!.actual.out!.shape, [2, 3, 11, 5]);
  assert.deepEqual(results[7]!.actual.out!.shape, [2, 3, 3, 4]);
});

test('interpolate rejects bad modes and options with clear errors', () => {
  const t = zeros([1, 1, 4, 4]);
  assert.throws(() => F.interpolate(t, { size: 8, mode: 'bilinaer' as F.InterpolateMode }), /interpolate: mode: expected one of nearest \| nearest-exact \| area \| linear \| bilinear \| bicubic \| trilinear, got 'bilinaer'/);
  assert.throws(() => F.interpolate(t, { size: 8, mode: 'nearest', alignCorners: true }), /interpolate: alignCorners can only be set with the interpolating modes .*mode 'nearest'/);
  assert.throws(() => F.interpolate(t, { size: 8, alignCorners: false }), /alignCorners can only be set/);
  assert.throws(() => F.interpolate(t, { size: 8, scaleFactor: 2 }), /only one of size and scaleFactor/);
  assert.throws(() => F.interpolate(t, {}), /either size or scaleFactor/);
  assert.throws(() => F.interpolate(t, { size: [8, 8, 8] }), /size has 3 entries but input of shape \[1, 1, 4, 4\] has 2 spatial dimensions/);
  assert.throws(() => F.interpolate(t, { size: 8, mode: 'trilinear' }), /mode 'trilinear' needs 5-D input/);
  assert.throws(() => F.interpolate(t, { size: 8, recomputeScaleFactor: true }), /recomputeScaleFactor is not meaningful/);
  assert.throws(() => F.interpolate(t, { scaleFactor: -1 }), /scaleFactor must hold positive numbers/);
  assert.throws(() => F.interpolate(t, { size: 2, mode: 'nearest', antialias: true }), /antialias is only supported/);
});
