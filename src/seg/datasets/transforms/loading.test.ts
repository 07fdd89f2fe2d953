// LoadImageFromFile and LoadAnnotations: BGR decoding, palette/16-bit/gray label maps as raw indices, and errors that name the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { LoadAnnotations, skippedLabelMaps } from './load-annotations.js';
import { LoadImageFromFile } from './load-image-from-file.js';
import { tempDir, writePng } from '../test-helpers.js';

const dir = tempDir('loading');

test('LoadImageFromFile gives HWC BGR uint8 plus img_shape/ori_shape, float32 with to_float32', async () => {
  // 2x3 RGB image: pixel (y, x) = (10x + y, 100 + x, 200 + y).
  const rgb = new Uint8Array(2 * 3 * 3);
  for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) rgb.set([10 * x + y, 100 + x, 200 + y], (y * 3 + x) * 3);
  const path = writePng(join(dir, 'rgb.png'), 3, 2, rgb, { channels: 3 });
  const out = (await new LoadImageFromFile().transform({ img_path: path }))!;
  const img = out.img as { data: Uint8Array; shape: number[] };
  assert.deepEqual(img.shape, [2, 3, 3]);
  assert.ok(img.data instanceof Uint8Array);
  assert.deepEqual(Array.from(img.data.subarray(0, 6)), [200, 100, 0, 200, 101, 10]);
  assert.deepEqual(out.img_shape, [2, 3]);
  assert.deepEqual(out.ori_shape, [2, 3]);
  const f = (await new LoadImageFromFile({ to_float32: true }).transform({ img_path: path }))!;
  assert.ok((f.img as { data: unknown }).data instanceof Float32Array);
  const gray = (await new LoadImageFromFile({ color_type: 'grayscale' }).transform({ img_path: path }))!;
  assert.deepEqual((gray.img as { shape: number[] }).shape, [2, 3]);
  // cv2.imread(IMREAD_GRAYSCALE) lets libpng convert (not cv2.cvtColor's weights, which give 82, 85, 89 / 82, 85, 89).
  assert.deepEqual(Array.from((gray.img as { data: Uint8Array }).data), [81, 85, 88, 81, 85, 89]);
});

test('LoadImageFromFile: unchanged keeps 16-bit values; a gray file in color mode is expanded to 3 channels', async () => {
  const g16 = writePng(join(dir, 'g16.png'), 2, 1, Uint16Array.from([300, 65535]), { depth: 16 });
  const u = (await new LoadImageFromFile({ color_type: 'unchanged' }).transform({ img_path: g16 }))!;
  const img = u.img as { data: Uint16Array; shape: number[] };
  assert.ok(img.data instanceof Uint16Array);
  assert.deepEqual(img.shape, [1, 2]);
  assert.deepEqual(Array.from(img.data), [300, 65535]);
  const g8 = writePng(join(dir, 'g8.png'), 2, 1, Uint8Array.from([7, 9]));
  const c = (await new LoadImageFromFile().transform({ img_path: g8 }))!;
  assert.deepEqual(Array.from((c.img as { data: Uint8Array }).data), [7, 7, 7, 9, 9, 9]);
});

test('a corrupt or missing image is an error naming the file; ignore_empty drops the sample instead', async () => {
  const bad = join(dir, 'corrupt.png');
  const good = writePng(join(dir, 'ok.png'), 8, 8, new Uint8Array(64));
  const { readFileSync } = await import('node:fs');
  writeFileSync(bad, readFileSync(good).subarray(0, 40));
  await assert.rejects(new LoadImageFromFile().transform({ img_path: bad }), (err: Error) => err.message.includes(bad) && /cannot decode the image/.test(err.message));
  const missing = join(dir, 'nope.jpg');
  await assert.rejects(new LoadImageFromFile().transform({ img_path: missing }), (err: Error) => err.message.includes(missing) && /ENOENT/.test(err.message));
  assert.equal(await new LoadImageFromFile({ ignore_empty: true }).transform({ img_path: bad }), null);
});

test('palette PNG labels are read as palette indices (sharp would give colours), also at 4 bits', async () => {
  const palette = [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128]];
  const idx = Uint8Array.from([0, 1, 2, 3, 4, 4, 3, 2, 1, 0, 1, 1]);
  for (const depth of [8, 4] as const) {
    const path = writePng(join(dir, `pal${depth}.png`), 4, 3, idx, { palette, depth });
    const out = (await new LoadAnnotations().transform({ seg_map_path: path, seg_fields: [], reduce_zero_label: false }))!;
    const seg = out.gt_seg_map as { data: Uint8Array; shape: number[] };
    assert.deepEqual(seg.shape, [3, 4]);
    assert.deepEqual(Array.from(seg.data), Array.from(idx), `depth ${depth}`);
    assert.deepEqual(out.seg_fields, ['gt_seg_map']);
    const viaSharp = await sharp(path).raw().toBuffer({ resolveWithObject: true });
    assert.equal(viaSharp.info.channels, 3, 'sharp expands the palette');
  }
});

test('16-bit and RGB-with-equal-channels labels load; colour or gray+alpha labels are errors naming the file', async () => {
  const p16 = writePng(join(dir, 'l16.png'), 3, 1, Uint16Array.from([0, 5, 255]), { depth: 16 });
  const a = (await new LoadAnnotations().transform({ seg_map_path: p16, num_classes: 6 }))!;
  assert.deepEqual(Array.from((a.gt_seg_map as { data: Uint8Array }).data), [0, 5, 255]);
  const rgbGray = writePng(join(dir, 'lrgb.png'), 2, 1, Uint8Array.from([3, 3, 3, 1, 1, 1]), { channels: 3 });
  const b = (await new LoadAnnotations().transform({ seg_map_path: rgbGray }))!;
  assert.deepEqual(Array.from((b.gt_seg_map as { data: Uint8Array }).data), [3, 1]);
  const rgb = writePng(join(dir, 'lcolor.png'), 2, 1, Uint8Array.from([3, 0, 3, 1, 1, 1]), { channels: 3 });
  await assert.rejects(new LoadAnnotations().transform({ seg_map_path: rgb }), (e: Error) => e.message.startsWith(`${rgb}: the label map is a 3-channel colour image`));
  const la = writePng(join(dir, 'la.png'), 1, 1, Uint8Array.from([3, 255]), { channels: 2 });
  await assert.rejects(new LoadAnnotations().transform({ seg_map_path: la }), (e: Error) => e.message.includes(la) && /gray \+ alpha/.test(e.message));
});

test('reduce_zero_label maps 0 -> 255 and v -> v - 1, then label_map remaps', async () => {
  const path = writePng(join(dir, 'rz.png'), 5, 1, Uint8Array.from([0, 1, 2, 3, 255]));
  const r = (await new LoadAnnotations().transform({ seg_map_path: path, reduce_zero_label: true }))!;
  assert.deepEqual(Array.from((r.gt_seg_map as { data: Uint8Array }).data), [255, 0, 1, 2, 255]);
  const m = (await new LoadAnnotations().transform({ seg_map_path: path, reduce_zero_label: false, label_map: { 0: 255, 1: 0, 2: 255, 3: 1 } }))!;
  assert.deepEqual(Array.from((m.gt_seg_map as { data: Uint8Array }).data), [255, 0, 255, 1, 255]);
  await assert.rejects(new LoadAnnotations({ reduce_zero_label: true }).transform({ seg_map_path: path, reduce_zero_label: false }), /reduce_zero_label/);
});

test('a label value outside [0, num_classes) and ignore_index is an error naming the file and the value', async () => {
  const path = writePng(join(dir, 'bad.png'), 3, 1, Uint8Array.from([1, 37, 255]));
  await assert.rejects(new LoadAnnotations().transform({ seg_map_path: path, num_classes: 11, ignore_index: 255 }),
    (e: Error) => e.message === `${path}: label value 37 outside 0..10 and ignore_index 255`);
  const ok = (await new LoadAnnotations().transform({ seg_map_path: path, num_classes: 38 }))!;
  assert.deepEqual(Array.from((ok.gt_seg_map as { data: Uint8Array }).data), [1, 37, 255]);
  const p16 = writePng(join(dir, 'bad16.png'), 2, 1, Uint16Array.from([1, 300]), { depth: 16 });
  await assert.rejects(new LoadAnnotations().transform({ seg_map_path: p16 }), (e: Error) => e.message === `${p16}: label value 300 outside 0..255`);
});

test('skip_invalid_labels drops such samples, counts them and warns with the file name', async () => {
  const path = writePng(join(dir, 'bad2.png'), 2, 1, Uint8Array.from([0, 12]));
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(w.message);
  process.on('warning', onWarning);
  const before = skippedLabelMaps();
  const out = await new LoadAnnotations({ skip_invalid_labels: true }).transform({ seg_map_path: path, num_classes: 11 });
  await new Promise((r) => setImmediate(r));
  process.off('warning', onWarning);
  assert.equal(out, null);
  assert.equal(skippedLabelMaps(), before + 1);
  assert.ok(warnings.some((w) => w.includes(path) && w.includes('label value 12') && /skipping this sample \(\d+ label map/.test(w)), warnings.join('\n'));
});

test('a label map whose size differs from the image is an error naming both files', async () => {
  const path = writePng(join(dir, 'small.png'), 2, 2, new Uint8Array(4));
  await assert.rejects(new LoadAnnotations().transform({ seg_map_path: path, img_path: 'x.jpg', ori_shape: [3, 2] }),
    (e: Error) => e.message.includes(path) && e.message.includes('x.jpg') && /2x2/.test(e.message));
});

test('LoadImageFromNDArray takes an in-memory image and records its shape', async () => {
  const { LoadImageFromNDArray } = await import('./load-image-from-ndarray.js');
  const out = new LoadImageFromNDArray({ to_float32: true }).transform({ img: { data: Uint8Array.from([1, 2, 3, 4, 5, 6]), shape: [1, 2, 3] } });
  assert.equal(out.img_path, null);
  assert.deepEqual(out.img_shape, [1, 2]);
  assert.deepEqual(out.ori_shape, [1, 2]);
  assert.deepEqual(Array.from((out.img as { data: Float32Array }).data), [1, 2, 3, 4, 5, 6]);
  assert.throws(() => new LoadImageFromNDArray().transform({}), /results.img is missing/);
});
