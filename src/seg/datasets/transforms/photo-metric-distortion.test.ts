// PhotoMetricDistortion: MMSeg's draw order and formulas, ranges of each change, and that nothing but the image changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataRandom, SeededRandom, seedDataRandom, type Results } from '../../../engine/dataset/index.js';
import { bgrToHsv, hsvToBgr } from './cv2-color.js';
import { PhotoMetricDistortion } from './photo-metric-distortion.js';

const image = (pixels: number[][], w: number): Results => ({
  img: { data: Uint8Array.from(pixels.flat()), shape: [pixels.length / w, w, 3] },
  gt_seg_map: { data: Uint8Array.from(pixels.map((_, i) => i % 3)), shape: [pixels.length / w, w] },
  seg_fields: ['gt_seg_map'], img_path: 'a.png', ori_shape: [pixels.length / w, w], img_shape: [pixels.length / w, w],
});
const pixelsOf = (r: Results): number[] => Array.from((r.img as { data: Uint8Array }).data);

/** numpy: uint8(clip(float32(x) * alpha + beta, 0, 255)). */
const convert = (x: number, alpha: number, beta: number): number => {
  const v = Math.fround(Math.fround(x * Math.fround(alpha)) + Math.fround(beta));
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
};

test('replays MMSeg\'s sequence of draws: brightness, mode, contrast if mode 1, saturation, hue, contrast if mode 0', () => {
  const grays = Array.from({ length: 16 }, (_, i) => i * 17);
  const pmd = new PhotoMetricDistortion();
  for (let seed = 0; seed < 80; seed++) {
    seedDataRandom(seed);
    const out = pmd.transform(image(grays.map((g) => [g, g, g]), 4));
    const rng = new SeededRandom(seed);
    const coin = (): boolean => rng.randint(2) === 1;
    const uniform = (a: number, b: number): number => a + (b - a) * rng.random();
    let px = grays.map((g) => [g, g, g]).flat();
    const pointwise = (alpha: number, beta: number): void => void (px = px.map((v) => convert(v, alpha, beta)));
    const viaHsv = (): void => void (px = Array.from(hsvToBgr(bgrToHsv(Uint8Array.from(px), 4), 4)));
    if (coin()) pointwise(1, uniform(-32, 32));
    const mode = rng.randint(2);
    if (mode === 1 && coin()) pointwise(uniform(0.5, 1.5), 0);
    if (coin()) { uniform(0.5, 1.5); viaHsv(); } // the saturation of gray stays 0
    if (coin()) { rng.randint(36); viaHsv(); } // a gray has no hue to shift
    if (mode === 0 && coin()) pointwise(uniform(0.5, 1.5), 0);
    assert.deepEqual(pixelsOf(out), px, `seed ${seed}`);
    assert.equal(dataRandom().nextUint32(), rng.nextUint32(), `seed ${seed}: the same number of draws`);
  }
});

test('only the image changes', () => {
  seedDataRandom(5);
  const before = image([[10, 200, 30], [40, 50, 60], [255, 0, 128], [7, 7, 7]], 2);
  const copy = structuredClone(before);
  const after = new PhotoMetricDistortion().transform(before);
  const { img: _a, ...rest } = after;
  const { img: _b, ...expected } = copy;
  assert.deepEqual(rest, expected);
});

test('brightness shifts by at most 32, about half the time', () => {
  const pmd = new PhotoMetricDistortion({ contrast_range: [1, 1], saturation_range: [1, 1], hue_delta: 0 });
  let changed = 0;
  for (let seed = 0; seed < 200; seed++) {
    seedDataRandom(1000 + seed);
    const out = pixelsOf(pmd.transform(image([[100, 100, 100]], 1)));
    assert.ok(out.every((v) => v === out[0]) && out[0]! >= 68 && out[0]! <= 132, `seed ${seed}: ${out}`);
    if (out[0] !== 100) changed++;
  }
  assert.ok(changed > 70 && changed < 130, `changed ${changed}/200`);
});

test('contrast scales by 0.5..1.5, saturation by 0.5..1.5 and hue shifts by -18..17 (cv2 HSV units)', () => {
  const only = (o: object): PhotoMetricDistortion => new PhotoMetricDistortion({ brightness_delta: 0, contrast_range: [1, 1], saturation_range: [1, 1], hue_delta: 0, ...o });
  const blue = [[255, 0, 0]];
  const satOut = new Set(Array.from({ length: 129 }, (_, k) => hsvToBgr(Uint8Array.from([120, 127 + k, 255]), 1).join()));
  const hueOut = new Set(Array.from({ length: 36 }, (_, k) => hsvToBgr(Uint8Array.from([(120 + k - 18 + 180) % 180, 255, 255]), 1).join()));
  const seen = { contrast: new Set<number>(), sat: new Set<string>(), hue: new Set<string>() };
  for (let seed = 0; seed < 150; seed++) {
    seedDataRandom(seed);
    const c = pixelsOf(only({ contrast_range: [0.5, 1.5] }).transform(image([[100, 100, 100]], 1)))[0]!;
    assert.ok(c >= 50 && c <= 150, `contrast ${c}`);
    seen.contrast.add(c);
    const s = pixelsOf(only({ saturation_range: [0.5, 1.5] }).transform(image(blue, 1))).join();
    assert.ok(satOut.has(s) || s === '255,0,0', `saturation gave ${s}`);
    seen.sat.add(s);
    const h = pixelsOf(only({ hue_delta: 18 }).transform(image(blue, 1))).join();
    assert.ok(hueOut.has(h) || h === '255,0,0', `hue gave ${h}`);
    seen.hue.add(h);
  }
  assert.ok(seen.contrast.size > 20 && seen.sat.size > 10 && seen.hue.size > 10, 'the draws vary');
});

test('refuses images that are not uint8 BGR', () => {
  assert.throws(() => new PhotoMetricDistortion().transform({ img: { data: new Float32Array(3), shape: [1, 1, 3] } }), /needs a uint8 BGR image \[H, W, 3\], got a Float32Array/);
  assert.throws(() => new PhotoMetricDistortion({ hue_delta: 1.5 }), /hue_delta/);
});
