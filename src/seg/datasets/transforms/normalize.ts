// Normalize: mmcv's per-channel (img - mean) / std into float32, optionally BGR -> RGB first (when the model's preprocessor does not).
import { z } from 'zod';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { BaseTransform, type Results } from '../../../engine/dataset/index.js';
import { TRANSFORMS } from '../../../engine/registry/index.js';
import { dims } from './ndarray-ops.js';
import { imageOf } from './results.js';

export const normalizeSchema = z.object({
  mean: z.array(z.number()).min(1),
  std: z.array(z.number().refine((v) => v !== 0, 'std must not be 0')).min(1),
  /** Mean and std are then in RGB order. */
  to_rgb: z.boolean().default(true),
}).strict();
export type NormalizeOptions = z.input<typeof normalizeSchema>;

/**
 * float32((float32(x) - mean) * float32(1 / std)), as mmcv.imnormalize does with cv2 in float32.
 * Sets img (Float32Array [H, W, C]) and img_norm_cfg.
 */
export class Normalize extends BaseTransform {
  readonly mean: number[];
  readonly std: number[];
  readonly toRgb: boolean;

  constructor(options: unknown) {
    super();
    const o = parseOptions(normalizeSchema, options);
    if (o.mean.length !== o.std.length) throw new ConfigError(['std'], `has ${o.std.length} values but mean has ${o.mean.length}`);
    this.mean = o.mean.map(Math.fround);
    this.std = o.std.map(Math.fround);
    this.toRgb = o.to_rgb;
  }

  transform(results: Results): Results {
    const img = imageOf(results);
    const [h, w, c] = dims(img);
    if (c !== this.mean.length) throw new RangeError(`Normalize has ${this.mean.length} mean/std values for an image of ${c} channels`);
    if (this.toRgb && c !== 3) throw new RangeError(`Normalize: to_rgb needs a 3-channel image, got ${c} channels`);
    const f32 = Math.fround;
    const inv = this.std.map((s) => f32(1 / s));
    const out = new Float32Array(h * w * c);
    const src = img.data;
    for (let p = 0; p < h * w; p++) {
      for (let k = 0; k < c; k++) {
        const x = src[p * c + (this.toRgb ? c - 1 - k : k)]!;
        out[p * c + k] = f32(f32(x - this.mean[k]!) * inv[k]!);
      }
    }
    results.img = { data: out, shape: [...img.shape] };
    results.img_norm_cfg = { mean: [...this.mean], std: [...this.std], to_rgb: this.toRgb };
    return results;
  }
}
TRANSFORMS.register(Normalize);
