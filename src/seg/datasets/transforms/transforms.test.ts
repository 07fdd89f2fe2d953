// The geometric and formatting transforms: mmcv's size rules and bookkeeping, random choices, padding, normalisation, packing and test-time augmentation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Compose, seedDataRandom, type Results } from '../../../engine/dataset/index.js';
import { TRANSFORMS } from '../../../engine/registry/index.js';
import type { SegDataSample } from '../../structures/index.js';
import {
  MultiScaleFlipAug, Normalize, PackSegInputs, Pad, RandomCrop, RandomFlip, RandomResize, RandomRotate, Resize, TestTimeAug, rescaleSize,
  type PixelImage as Image,
} from './index.js';

/** img[y, x] = (x, y, 7) as BGR; gt_seg_map[y, x] = (x + y) % 3. */
function sample(h: number, w: number): Results {
  const img = new Uint8Array(h * w * 3), seg = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    img.set([x, y, 7], (y * w + x) * 3);
    seg[y * w + x] = (x + y) % 3;
  }
  return { img: { data: img, shape: [h, w, 3] }, gt_seg_map: { data: seg, shape: [h, w] }, seg_fields: ['gt_seg_map'], img_shape: [h, w], ori_shape: [h, w], img_path: 'x.png' };
}
const shapeOf = (r: Results, key = 'img'): number[] => (r[key] as Image).shape;

test('Resize with keep_ratio fits inside (long, short) and records scale_factor as (w, h) ratios', () => {
  const out = new Resize({ scale: [2048, 512], keep_ratio: true }).transform(sample(180, 240));
  assert.deepEqual(shapeOf(out), [512, 683, 3]);
  assert.deepEqual(shapeOf(out, 'gt_seg_map'), [512, 683]);
  assert.deepEqual(out.img_shape, [512, 683]);
  assert.deepEqual(out.scale, [2048, 512]);
  assert.deepEqual(out.scale_factor, [683 / 240, 512 / 180]);
  assert.equal(out.keep_ratio, true);
  const labels = new Set((out.gt_seg_map as Image).data);
  assert.deepEqual([...labels].sort(), [0, 1, 2], 'nearest keeps label values');
});

test('Resize without keep_ratio goes to (w, h) exactly; scale_factor alone scales each side', () => {
  const a = new Resize({ scale: [30, 10] }).transform(sample(20, 40));
  assert.deepEqual(shapeOf(a), [10, 30, 3]);
  assert.deepEqual(a.scale_factor, [30 / 40, 10 / 20]);
  const b = new Resize({ scale_factor: 0.5, keep_ratio: true }).transform(sample(21, 41));
  // mmcv: scale = (int(41 * 0.5 + 0.5), int(21 * 0.5 + 0.5)) = (21, 11), then rescaled to fit it.
  assert.deepEqual(b.scale, [21, 11]);
  assert.deepEqual(shapeOf(b), [11, 21, 3]); // factor min(21/41, 11/21): (21, int(21 * 21/41 + 0.5))
  assert.throws(() => new Resize({}), /scale.*scale_factor/);
  assert.throws(() => TRANSFORMS.build({ type: 'Resize', scale: [10, 10], backend: 'pillow' }), /backend: expected "cv2"/);
});

test('RandomResize draws ratio * scale (truncated) or each edge from a range', async () => {
  const rr = new RandomResize({ scale: [240, 180], ratio_range: [0.5, 2.0], keep_ratio: true });
  const seen = new Set<number>();
  for (let seed = 0; seed < 40; seed++) {
    seedDataRandom(seed);
    const [w, h] = rr.randomScale();
    assert.ok(w >= 120 && w <= 480 && h >= 90 && h <= 360, `${w}x${h}`);
    assert.ok(Math.abs(w / 240 - h / 180) < 0.01, 'one ratio for both sides');
    seen.add(w);
    seedDataRandom(seed);
    const out = (await rr.transform(sample(18, 24)))!;
    assert.deepEqual(out.scale, [w, h]);
    const [ew, eh] = rescaleSize([24, 18], [w, h]).size;
    assert.deepEqual(shapeOf(out), [eh, ew, 3]);
  }
  assert.ok(seen.size > 20);
  const range = new RandomResize({ scale: [[100, 50], [120, 60]] });
  for (let seed = 0; seed < 20; seed++) {
    seedDataRandom(seed);
    const [w, h] = range.randomScale();
    assert.ok(w >= 100 && w <= 120 && h >= 50 && h <= 60);
  }
  assert.throws(() => new RandomResize({ scale: [10, 10] }), /ratio_range: is required/);
});

test('RandomCrop takes crop_size (h, w) at a random offset, retrying while one class exceeds cat_max_ratio', () => {
  const s = sample(30, 40);
  seedDataRandom(3);
  const out = new RandomCrop({ crop_size: [10, 20] }).transform(s);
  assert.deepEqual(shapeOf(out), [10, 20, 3]);
  assert.deepEqual(out.img_shape, [10, 20]);
  const img = out.img as Image, seg = out.gt_seg_map as Image;
  const [x0, y0] = [img.data[0]!, img.data[1]!];
  for (let y = 0; y < 10; y++) for (let x = 0; x < 20; x++) {
    assert.equal(img.data[(y * 20 + x) * 3], x0 + x);
    assert.equal(seg.data[y * 20 + x], (x0 + x + y0 + y) % 3);
  }
  // A label that is all class 1 except a 4x4 patch of class 2: crops must contain some of the patch.
  const mostlyOne = sample(40, 40);
  const l = (mostlyOne.gt_seg_map as Image).data;
  l.fill(1);
  for (let y = 18; y < 22; y++) for (let x = 18; x < 22; x++) l[y * 40 + x] = 2;
  const crop = new RandomCrop({ crop_size: 12, cat_max_ratio: 0.99 });
  let withPatch = 0;
  for (let seed = 0; seed < 30; seed++) {
    seedDataRandom(seed);
    const c = crop.transform(structuredClone(mostlyOne));
    if ((c.gt_seg_map as Image).data.includes(2)) withPatch++;
  }
  // One random crop holds the patch about 17% of the time; 11 tries make it ~87%.
  assert.ok(withPatch >= 20, `${withPatch}/30 crops saw the minority class`);
  const small = new RandomCrop({ crop_size: [64, 64] }).transform(sample(30, 40));
  assert.deepEqual(shapeOf(small), [30, 40, 3], 'no padding when the image is smaller');
});

test('RandomFlip follows prob per direction and flips image and labels together', () => {
  const counts: Record<string, number> = {};
  const rf = new RandomFlip({ prob: [0.3, 0.5], direction: ['horizontal', 'vertical'] });
  for (let seed = 0; seed < 1000; seed++) {
    seedDataRandom(seed);
    const d = String(rf.chooseDirection());
    counts[d] = (counts[d] ?? 0) + 1;
  }
  assert.ok(Math.abs(counts.horizontal! - 300) < 60 && Math.abs(counts.vertical! - 500) < 60 && Math.abs(counts.null! - 200) < 60, JSON.stringify(counts));
  const out = new RandomFlip({ prob: 1.0, direction: 'diagonal' }).transform(sample(3, 4));
  assert.equal(out.flip, true);
  assert.equal(out.flip_direction, 'diagonal');
  assert.deepEqual(Array.from((out.img as Image).data.subarray(0, 3)), [3, 2, 7]);
  assert.equal((out.gt_seg_map as Image).data[0], (3 + 2) % 3);
  const none = new RandomFlip({ prob: 0 }).transform(sample(3, 4));
  assert.equal(none.flip, false);
  assert.equal(none.flip_direction, null);
  const swapped = new RandomFlip({ prob: 1, swap_seg_labels: [[0, 2]] }).transform(sample(1, 3));
  // labels (0, 1, 2) flipped to (2, 1, 0), then 0 <-> 2.
  assert.deepEqual(Array.from((swapped.gt_seg_map as Image).data), [0, 1, 2]);
  assert.throws(() => new RandomFlip({ prob: [0.5], direction: ['horizontal', 'vertical'] }), /prob: has 1 entries for 2 directions/);
});

test('Pad pads bottom/right to a size (w, h) or a multiple, with 255 in label maps', () => {
  const out = new Pad({ size: [6, 5], pad_val: 9 }).transform(sample(3, 4));
  assert.deepEqual(shapeOf(out), [5, 6, 3]);
  assert.deepEqual(out.pad_shape, [5, 6, 3]);
  assert.deepEqual(out.img_shape, [5, 6]);
  const img = out.img as Image, seg = out.gt_seg_map as Image;
  assert.deepEqual(Array.from(img.data.subarray((0 * 6 + 4) * 3, (0 * 6 + 5) * 3)), [9, 9, 9]);
  assert.deepEqual(Array.from(img.data.subarray((2 * 6 + 3) * 3, (2 * 6 + 4) * 3)), [3, 2, 7]);
  assert.equal(seg.data[4 * 6 + 0], 255);
  assert.equal(seg.data[2 * 6 + 3], (3 + 2) % 3);
  const div = new Pad({ size_divisor: 32, pad_val: { img: 0, seg: 7 } }).transform(sample(33, 64));
  assert.deepEqual(shapeOf(div), [64, 64, 3]);
  assert.equal((div.gt_seg_map as Image).data[63 * 64], 7);
  assert.equal((new Pad({ size_divisor: 8, seg_pad_val: 100 }).transform(sample(3, 3)).gt_seg_map as Image).data[63], 100);
  const reflect = new Pad({ size: [6, 3], padding_mode: 'reflect' }).transform(sample(3, 4));
  // columns 4, 5 mirror 2, 1 (cv2 BORDER_REFLECT_101).
  assert.deepEqual([4, 5].map((x) => (reflect.img as Image).data[x * 3]), [2, 1]);
  assert.throws(() => new Pad({ size: [4, 4], size_divisor: 4 }), /exactly one of size and size_divisor/);
});

test('RandomRotate rotates with probability prob, padding the image with pad_val and labels with seg_pad_val', () => {
  seedDataRandom(0);
  const never = new RandomRotate({ prob: 0, degree: 30 }).transform(sample(9, 9));
  assert.deepEqual(never, sample(9, 9));
  const out = new RandomRotate({ prob: 1, degree: [45, 45], pad_val: 5, seg_pad_val: 254 }).transform(sample(9, 9));
  // mmcv passes pad_val to cv2.warpAffine as a number, which cv2 makes Scalar(5, 0, 0, 0).
  assert.deepEqual(Array.from((out.img as Image).data.subarray(0, 3)), [5, 0, 0], 'corner is padding');
  assert.equal((out.gt_seg_map as Image).data[0], 254);
  const center = 4 * 9 + 4;
  assert.equal((out.gt_seg_map as Image).data[center], (4 + 4) % 3, 'the centre stays');
  const bound = new RandomRotate({ prob: 1, degree: [90, 90], auto_bound: true }).transform(sample(4, 8));
  assert.deepEqual(shapeOf(bound), [8, 4, 3]);
  assert.deepEqual(bound.img_shape, [8, 4]);
  assert.throws(() => new RandomRotate({ prob: 1, degree: 10, center: [1, 1], auto_bound: true }), /auto_bound: conflicts with center/);
});

test('Normalize converts BGR -> RGB, subtracts mean and divides by std in float32', () => {
  const out = new Normalize({ mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] }).transform({ img: { data: Uint8Array.from([10, 20, 30]), shape: [1, 1, 3] } });
  const f = Math.fround;
  const expect = [[30, 123.675, 58.395], [20, 116.28, 57.12], [10, 103.53, 57.375]].map(([x, m, s]) => f(f(x! - f(m!)) * f(1 / f(s!))));
  assert.deepEqual(Array.from((out.img as Image).data), expect);
  assert.ok((out.img as Image).data instanceof Float32Array);
  assert.deepEqual(out.img_norm_cfg, { mean: [f(123.675), f(116.28), f(103.53)], std: [f(58.395), f(57.12), f(57.375)], to_rgb: true });
});

test('PackSegInputs gives CHW inputs, gt_sem_seg [1, H, W] and the meta keys present', () => {
  const s = { ...sample(2, 3), seg_map_path: 'y.png', scale_factor: [1, 1], flip: false, flip_direction: null, reduce_zero_label: false, extra: 1 };
  const packed = new PackSegInputs().transform(s);
  assert.deepEqual(packed.inputs!.shape, [3, 2, 3]);
  // channel 0 (B) of pixel (y, x) is x.
  assert.deepEqual(Array.from(packed.inputs!.data as Uint8Array).slice(0, 6), [0, 1, 2, 0, 1, 2]);
  assert.deepEqual(Array.from(packed.inputs!.data as Uint8Array).slice(6, 12), [0, 0, 0, 1, 1, 1]);
  const ds = packed.data_samples;
  assert.deepEqual((ds.gt_sem_seg!.data as Image).shape, [1, 2, 3]);
  assert.deepEqual(ds.metainfo, { img_path: 'x.png', seg_map_path: 'y.png', ori_shape: [2, 3], img_shape: [2, 3], scale_factor: [1, 1], flip: false, flip_direction: null, reduce_zero_label: false });
  const gray = new PackSegInputs({ meta_keys: ['img_path'] }).transform({ img: { data: new Uint8Array(6), shape: [2, 3] }, img_path: 'g.png' });
  assert.deepEqual(gray.inputs!.shape, [1, 2, 3]);
  assert.deepEqual(gray.data_samples.metainfo, { img_path: 'g.png' });
});

test('TestTimeAug runs every combination and lists each output key', async () => {
  const tta = new TestTimeAug({ transforms: [
    [{ type: 'Resize', scale_factor: 0.5, keep_ratio: true }, { type: 'Resize', scale_factor: 1.0, keep_ratio: true }],
    [{ type: 'RandomFlip', prob: 0.0, direction: 'horizontal' }, { type: 'RandomFlip', prob: 1.0, direction: 'horizontal' }],
    [{ type: 'PackSegInputs' }],
  ] });
  const input = sample(8, 12);
  const out = (await tta.transform(input)) as { inputs: { shape: number[] }[]; data_samples: SegDataSample[] };
  assert.deepEqual(out.inputs.map((i) => i.shape), [[3, 4, 6], [3, 4, 6], [3, 8, 12], [3, 8, 12]]);
  assert.deepEqual(out.data_samples.map((d) => d.metainfo.flip), [false, true, false, true]);
  assert.deepEqual(out.data_samples.map((d) => d.metainfo.scale_factor), [[0.5, 0.5], [0.5, 0.5], [1, 1], [1, 1]]);
  assert.deepEqual((input.img as Image).shape, [8, 12, 3], 'the input is not modified');
});

test('MultiScaleFlipAug resizes to each scale, adds flips per direction, and packs each', async () => {
  const msfa = TRANSFORMS.build<MultiScaleFlipAug>({ type: 'MultiScaleFlipAug', scales: [[12, 8], [24, 16]], allow_flip: true, flip_direction: ['horizontal', 'vertical'],
    transforms: [{ type: 'PackSegInputs' }] });
  const out = (await msfa.transform(sample(8, 12))) as { inputs: { shape: number[] }[]; data_samples: SegDataSample[] };
  assert.equal(out.inputs.length, 6);
  assert.deepEqual(out.data_samples.map((d) => d.metainfo.flip_direction), [null, 'horizontal', 'vertical', null, 'horizontal', 'vertical']);
  assert.deepEqual(out.inputs.map((i) => i.shape[1]), [8, 8, 8, 16, 16, 16]);
  const byFactor = new MultiScaleFlipAug({ scale_factor: [0.5, 2.0], transforms: [{ type: 'PackSegInputs' }] });
  const f = (await byFactor.transform(sample(8, 12))) as { inputs: { shape: number[] }[] };
  assert.deepEqual(f.inputs.map((i) => i.shape), [[3, 4, 6], [3, 16, 24]]);
  const pipeline = new Compose([{ type: 'MultiScaleFlipAug', transforms: [{ type: 'PackSegInputs' }] }]);
  assert.deepEqual(((await pipeline.transform(sample(2, 2)))!.inputs as { shape: number[] }[]).map((i) => i.shape), [[3, 2, 2]]);
});
