// PhotoMetricDistortion: MMSeg's random brightness, contrast, saturation and hue changes, each applied with probability 0.5.
import { z } from 'zod';
import { parseOptions } from '../../../engine/config/errors.js';
import { BaseTransform, dataRandom, type Results } from '../../../engine/dataset/index.js';
import { TRANSFORMS } from '../../../engine/registry/index.js';
import { bgrToHsv, hsvToBgr } from './cv2-color.js';
import type { Image } from './ndarray-ops.js';
import { imageOf } from './results.js';

const range = z.tuple([z.number().nonnegative(), z.number().nonnegative()]);

export const photoMetricDistortionSchema = z.object({
  brightness_delta: z.number().nonnegative().default(32),
  contrast_range: range.default([0.5, 1.5]),
  saturation_range: range.default([0.5, 1.5]),
  /** Hue shift in cv2's 0..179 hue units, drawn from [-hue_delta, hue_delta) as numpy's randint. */
  hue_delta: z.number().int().nonnegative().default(18),
}).strict();
export type PhotoMetricDistortionOptions = z.input<typeof photoMetricDistortionSchema>;

/** uint8(clip(float32(x) * alpha + beta, 0, 255)) on every element, in float32 as numpy computes it (one table per call). */
function convert(values: Uint8Array, alpha: number, beta: number, stride = 1, offset = 0): void {
  const a = Math.fround(alpha), b = Math.fround(beta);
  const table = new Uint8Array(256);
  for (let x = 0; x < 256; x++) {
    const v = Math.fround(Math.fround(x * a) + b);
    table[x] = v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
  }
  for (let i = offset; i < values.length; i += stride) values[i] = table[values[i]!]!;
}

/**
 * In order: brightness; a coin for whether contrast comes second or last; contrast (mode 1);
 * saturation and hue (each through cv2's uint8 HSV); contrast (mode 0). Every step draws its own
 * coin; the image must be uint8 BGR [H, W, 3]. Only results.img changes.
 */
export class PhotoMetricDistortion extends BaseTransform {
  readonly options: z.output<typeof photoMetricDistortionSchema>;

  constructor(options: unknown = {}) {
    super();
    this.options = parseOptions(photoMetricDistortionSchema, options);
  }

  #uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * dataRandom().random();
  }

  #coin(): boolean {
    return dataRandom().randint(2) === 1;
  }

  brightness(data: Uint8Array): void {
    if (this.#coin()) convert(data, 1, this.#uniform(-this.options.brightness_delta, this.options.brightness_delta));
  }

  contrast(data: Uint8Array): void {
    if (this.#coin()) convert(data, this.#uniform(...this.options.contrast_range), 0);
  }

  saturation(data: Uint8Array, width: number): Uint8Array {
    if (!this.#coin()) return data;
    const hsv = bgrToHsv(data, width);
    convert(hsv, this.#uniform(...this.options.saturation_range), 0, 3, 1);
    return hsvToBgr(hsv, width);
  }

  hue(data: Uint8Array, width: number): Uint8Array {
    if (!this.#coin()) return data;
    const hsv = bgrToHsv(data, width);
    const d = this.options.hue_delta;
    const shift = d > 0 ? dataRandom().randint(2 * d) - d : 0;
    const table = Uint8Array.from({ length: 256 }, (_, h) => (((h + shift) % 180) + 180) % 180);
    for (let i = 0; i < hsv.length; i += 3) hsv[i] = table[hsv[i]!]!;
    return hsvToBgr(hsv, width);
  }

  transform(results: Results): Results {
    const img = imageOf(results);
    if (!(img.data instanceof Uint8Array) || img.shape.length !== 3 || img.shape[2] !== 3) {
      throw new TypeError(`PhotoMetricDistortion needs a uint8 BGR image [H, W, 3], got a ${img.data.constructor.name} of shape [${img.shape.join(', ')}]`);
    }
    const width = img.shape[1]!;
    let data: Uint8Array = img.data.slice();
    this.brightness(data);
    const contrastLast = dataRandom().randint(2) === 0;
    if (!contrastLast) this.contrast(data);
    data = this.saturation(data, width);
    data = this.hue(data, width);
    if (contrastLast) this.contrast(data);
    results.img = { data, shape: [...img.shape] } satisfies Image;
    return results;
  }
}
TRANSFORMS.register(PhotoMetricDistortion);
