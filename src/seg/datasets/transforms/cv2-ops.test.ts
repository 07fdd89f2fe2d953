// The OpenCV kernels through segkit_image.node (resize, warpAffine/imrotate, BGR<->HSV, image decoding) against cv2's outputs, bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { bgrToHsv, hsvToBgr } from './cv2-color.js';
import { rescaleSize, resize } from './cv2-resize.js';
import { imrotate } from './cv2-warp-affine.js';
import { decodeImage, readBytes } from './image-io.js';
import type { Image } from './ndarray-ops.js';
import { CV2_REFERENCE as REF } from './testdata/cv2-reference.js';

const H = 9, W = 11;
/** The generator's inputs: img[y, x, c] = (37x + 91y + 53c + 7xy) % 256; label = (3x + 5y) % 7 with [0, :3] = 255. */
function inputs(): { img: Image<Uint8Array>; label: Image<Uint8Array> } {
  const img = new Uint8Array(H * W * 3), label = new Uint8Array(H * W);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      for (let c = 0; c < 3; c++) img[(y * W + x) * 3 + c] = (x * 37 + y * 91 + c * 53 + x * y * 7) % 256;
      label[y * W + x] = y === 0 && x < 3 ? 255 : (x * 3 + y * 5) % 7;
    }
  }
  return { img: { data: img, shape: [H, W, 3] }, label: { data: label, shape: [H, W] } };
}

function assertSame(actual: Image, expected: { shape: readonly number[]; data: readonly number[] }, what: string): void {
  assert.deepEqual(actual.shape, [...expected.shape], `${what}: shape`);
  const diffs = Array.from(actual.data).flatMap((v, i) => (v === expected.data[i] ? [] : [i]));
  assert.equal(diffs.length, 0, `${what}: ${diffs.length} values differ, first at ${diffs[0]}: ${actual.data[diffs[0]!]} vs cv2 ${expected.data[diffs[0]!]}`);
}

test('bilinear resize of uint8 equals cv2.resize INTER_LINEAR bit for bit', () => {
  const { img } = inputs();
  for (const r of REF.resize) assertSame(resize(img, r.size as [number, number], 'bilinear'), r.bilinear, `bilinear ${r.size}`);
});

test('nearest resize equals cv2.resize INTER_NEAREST', () => {
  const { label } = inputs();
  for (const r of REF.resize) assertSame(resize(label, r.size as [number, number], 'nearest'), r.nearest, `nearest ${r.size}`);
});

test('bilinear resize of float32 equals cv2', () => {
  const { img } = inputs();
  const f = { data: Float32Array.from(img.data, (v) => Math.fround(v / 3)), shape: img.shape };
  for (const r of REF.resize) assertSame(resize(f, r.size as [number, number], 'bilinear'), r.float, `float ${r.size}`);
});

test('bicubic, area and lanczos resize of uint8 and uint16 equal cv2', () => {
  const { img } = inputs();
  const wide = { data: Uint16Array.from(img.data, (v) => v * 257), shape: img.shape };
  const names = { 2: 'bicubic', 3: 'area', 4: 'lanczos' } as const;
  for (const r of REF.interp) {
    const name = names[r.code as 2 | 3 | 4];
    const size = r.size as [number, number];
    assertSame(resize(img, size, name), r.u8, `${name} uint8 ${size}`);
    const out = resize(wide, size, name);
    assert.ok(out.data instanceof Uint16Array, 'uint16 stays uint16');
    assertSame(out, r.u16, `${name} uint16 ${size}`);
  }
});

test('resize keeps a channel axis of 1, returns a copy at the same size, and names bad sizes', () => {
  const one = { data: Uint8Array.from({ length: 12 }, (_, i) => i * 20), shape: [3, 4, 1] };
  assert.deepEqual(resize(one, [2, 3], 'nearest').shape, [3, 2, 1]);
  const same = resize(one, [4, 3], 'bilinear');
  assert.notEqual(same.data, one.data);
  assert.deepEqual([...same.data], [...one.data]);
  assert.throws(() => resize(one, [0, 3], 'bilinear'), /positive integers \[w, h\], got \[0, 3\]/);
  assert.throws(() => resize({ data: new Uint8Array(5), shape: [2, 2] }, [3, 3], 'bilinear'), /5 elements do not fill shape \[2, 2\]/);
});

test('imrotate equals mmcv.imrotate on cv2.warpAffine (bilinear image, nearest label, auto_bound, center)', () => {
  const { img, label } = inputs();
  for (const r of REF.rotate) {
    const opts = { center: r.center as [number, number] | null, autoBound: r.auto_bound };
    assertSame(imrotate(img, r.angle, { ...opts, borderValue: 0 }), r.bilinear, `rotate ${r.angle} bilinear`);
    assertSame(imrotate(label, r.angle, { ...opts, borderValue: 255, interpolation: 'nearest' }), r.nearest, `rotate ${r.angle} nearest`);
  }
});

test('a number border value fills channel 0 only, as cv2 does with a Python number; a triple fills each channel', () => {
  const { img } = inputs();
  assertSame(imrotate(img, 30, { autoBound: true, borderValue: 200 }), REF.rotate_border.number, 'border 200');
  assertSame(imrotate(img, 30, { autoBound: true, borderValue: [200, 100, 50] }), REF.rotate_border.triple, 'border [200, 100, 50]');
});

test('BGR -> HSV and HSV -> BGR equal cv2.cvtColor (incl. its per-column rounding in rows of 40)', () => {
  const { img } = inputs();
  assertSame({ data: bgrToHsv(img.data, W), shape: [H, W, 3] }, REF.bgr2hsv, 'bgr2hsv');
  assert.throws(() => bgrToHsv(img.data, 10), /bgrToHsv: 99 pixels are not whole rows of 10/);
  const hsv = Uint8Array.from(REF.hsv2bgr.input.data);
  assertSame({ data: hsvToBgr(hsv, 40), shape: [3, 40, 3] }, REF.hsv2bgr.output, 'hsv2bgr');
});

test('rescaleSize follows mmcv.rescale_size (fit inside (long, short) edges, rounded half up)', () => {
  assert.deepEqual(rescaleSize([240, 180], [2048, 512]), { size: [683, 512], scaleFactor: 512 / 180 });
  assert.deepEqual(rescaleSize([565, 584], [584, 565]).size, [565, 584]);
  assert.deepEqual(rescaleSize([100, 50], 0.5), { size: [50, 25], scaleFactor: 0.5 });
  assert.throws(() => rescaleSize([10, 10], 0), /must be positive/);
});

test('a DRIVE image decodes to the same BGR and grayscale pixels as cv2.imread', async () => {
  const path = fileURLToPath(new URL('../../../../../../shared/data/drive/train/images/21.png', import.meta.url));
  const bytes = readBytes(path, 'image');
  const gray = decodeImage(bytes, path, 'grayscale');
  assert.deepEqual(gray.shape, REF.drive21_gray.shape);
  assert.equal(Array.from(gray.data).reduce((a, v) => a + v, 0), REF.drive21_gray.sum);
  assert.deepEqual(Array.from(gray.data.subarray(300 * 565 + 270, 300 * 565 + 290)), REF.drive21_gray.row_300);
  const img = decodeImage(bytes, path, 'color');
  assert.deepEqual(img.shape, REF.drive21.shape);
  const sums = [0, 0, 0];
  img.data.forEach((v, i) => (sums[i % 3]! += v));
  assert.deepEqual(sums, REF.drive21.channel_sums);
  const o = (300 * 565 + 280) * 3;
  assert.deepEqual(Array.from(img.data.subarray(o, o + 3)), REF.drive21.pixel_300_280);
});
