// Image and label stay aligned through RandomResize + RandomCrop + RandomFlip + RandomRotate + Pad: a synthetic image whose label is a function of its pixels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Compose, seedDataRandom, type Results } from '../../../engine/dataset/index.js';
import './index.js';
import { flip, type Image } from './ndarray-ops.js';

const H = 60, W = 80;
/** Class colours (BGR); no blend of two of them equals a third. */
const CODES = [[20, 230, 10], [60, 195, 200], [100, 160, 60], [140, 125, 150], [180, 90, 30]];
const PAD = 3;
const classOf = (b: number, g: number, r: number): number => CODES.findIndex((c) => c[0] === b && c[1] === g && c[2] === r);

/** Blocks of 7x5 plus a diagonal band of class 4; the image paints each class in its colour. */
function sample(): Results {
  const label = new Uint8Array(H * W), img = new Uint8Array(H * W * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const c = Math.abs(x - y - 10) < 3 ? 4 : (Math.floor(x / 7) + 2 * Math.floor(y / 5)) % 4;
      label[y * W + x] = c;
      img.set(CODES[c]!, (y * W + x) * 3);
    }
  }
  return { img: { data: img, shape: [H, W, 3] }, gt_seg_map: { data: label, shape: [H, W] }, seg_fields: ['gt_seg_map'], img_shape: [H, W], ori_shape: [H, W] };
}

interface Check { pure: number; exact: number; offByOne: number; wrong: number; padOk: boolean; ignored: number }

/** Compares every pixel whose colour is exactly a class colour with the label there (and around it). */
function check(img: Image, seg: Image): Check {
  assert.deepEqual(seg.shape, img.shape.slice(0, 2), 'image and label have the same size');
  const [h, w] = seg.shape as [number, number];
  const out: Check = { pure: 0, exact: 0, offByOne: 0, wrong: 0, padOk: true, ignored: 0 };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = (y * w + x) * 3;
      const [b, g, r] = [img.data[p]!, img.data[p + 1]!, img.data[p + 2]!];
      const label = seg.data[y * w + x]!;
      if (label === 255) out.ignored++;
      if (b === PAD && g === PAD && r === PAD && label !== 255) out.padOk = false;
      const c = classOf(b, g, r);
      if (c < 0) continue;
      out.pure++;
      if (label === c) { out.exact++; continue; }
      let near = false;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const yy = y + dy, xx = x + dx;
        if (yy >= 0 && yy < h && xx >= 0 && xx < w && seg.data[yy * w + xx] === c) near = true;
      }
      if (near) out.offByOne++;
      else out.wrong++;
    }
  }
  return out;
}

test('exact alignment: nearest resize, crop, flips, quarter turns and padding keep label == f(pixel) at every pixel', async () => {
  const pipeline = new Compose([
    { type: 'RandomResize', scale: [80, 60], ratio_range: [0.8, 2.0], keep_ratio: true, interpolation: 'nearest' },
    { type: 'RandomCrop', crop_size: [48, 64], cat_max_ratio: 0.75 },
    { type: 'RandomFlip', prob: 0.9, direction: ['horizontal', 'vertical', 'diagonal'] },
    { type: 'RandomRotate', prob: 0.5, degree: [90, 90], pad_val: PAD },
    { type: 'RandomRotate', prob: 0.5, degree: [180, 180], pad_val: PAD },
    { type: 'Pad', size_divisor: 32, pad_val: { img: PAD, seg: 255 } },
  ]);
  let rotatedOrFlipped = 0;
  for (let seed = 0; seed < 24; seed++) {
    seedDataRandom(seed);
    const out = (await pipeline.transform(sample()))!;
    const img = out.img as Image, seg = out.gt_seg_map as Image;
    assert.deepEqual(img.shape, [64, 64, 3], `seed ${seed}`);
    const r = check(img, seg);
    assert.equal(r.pure + r.ignored, 64 * 64, `seed ${seed}: every pixel is a class colour or ignored`);
    assert.equal(r.exact, r.pure, `seed ${seed}: ${r.pure - r.exact} pixels whose label is not their colour's class`);
    assert.ok(r.padOk, `seed ${seed}: padding colour under a non-ignored label`);
    if (out.flip || r.ignored > 64 * 16) rotatedOrFlipped++;
  }
  assert.ok(rotatedOrFlipped > 12, 'most samples were flipped or rotated');
});

test('realistic pipeline (bilinear resize, any angle): pure-colour pixels carry their own class, at most one pixel away', async () => {
  const pipeline = new Compose([
    { type: 'RandomResize', scale: [80, 60], ratio_range: [0.5, 2.0], keep_ratio: true },
    { type: 'RandomCrop', crop_size: [40, 40], cat_max_ratio: 0.75 },
    { type: 'RandomFlip', prob: 0.5 },
    { type: 'RandomRotate', prob: 1, degree: 30, pad_val: PAD },
    { type: 'Pad', size: [48, 48], pad_val: PAD },
  ]);
  let pure = 0, exact = 0;
  for (let seed = 0; seed < 30; seed++) {
    seedDataRandom(100 + seed);
    const out = (await pipeline.transform(sample()))!;
    const r = check(out.img as Image, out.gt_seg_map as Image);
    assert.equal(r.wrong, 0, `seed ${seed}: ${r.wrong} pure pixels with no matching label within one pixel`);
    assert.ok(r.padOk, `seed ${seed}: padding colour under a non-ignored label`);
    pure += r.pure;
    exact += r.exact;
  }
  // cv2's bilinear and nearest grids differ by up to half a source pixel when shrinking, so a few border pixels may differ.
  assert.ok(exact / pure > 0.97, `only ${((100 * exact) / pure).toFixed(1)}% of pure pixels match exactly`);
});

test('the check catches a misaligned label (flipped alone)', () => {
  const s = sample();
  const r = check(s.img as Image, flip(s.gt_seg_map as Image, 'horizontal'));
  assert.ok(r.exact / r.pure < 0.6, `a flipped label still matched ${r.exact}/${r.pure}`);
  assert.ok(r.wrong > 0);
});
