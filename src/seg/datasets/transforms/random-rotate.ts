// RandomRotate: MMSeg's random rotation of the image (bilinear) and label maps (nearest), padding the corners.
import { z } from 'zod';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { BaseTransform, dataRandom, type Results } from '../../../engine/dataset/index.js';
import { TRANSFORMS } from '../../../engine/registry/index.js';
import { imrotate } from './cv2-warp-affine.js';
import { imageOf, segFieldsOf, shapeHW } from './results.js';

export const randomRotateSchema = z.object({
  prob: z.number().min(0).max(1),
  /** (min, max) degrees, or d for (-d, d); positive is clockwise. */
  degree: z.union([z.number().positive(), z.tuple([z.number(), z.number()])]),
  pad_val: z.number().default(0),
  seg_pad_val: z.number().default(255),
  /** Rotation centre (x, y) in the source image; default its centre. */
  center: z.tuple([z.number(), z.number()]).nullable().default(null),
  /** Grow the output to hold the whole rotated image. */
  auto_bound: z.boolean().default(false),
}).strict();
export type RandomRotateOptions = z.input<typeof randomRotateSchema>;

/**
 * cv2.warpAffine semantics (exact for uint8). cv2 would put a scalar pad_val in the first channel
 * only (B) and 0 in the others; here it fills every channel, which is the same for the default 0.
 */
export class RandomRotate extends BaseTransform {
  readonly prob: number;
  readonly degree: [number, number];
  readonly options: z.output<typeof randomRotateSchema>;

  constructor(options: unknown) {
    super();
    this.options = parseOptions(randomRotateSchema, options);
    const d = this.options.degree;
    this.degree = typeof d === 'number' ? [-d, d] : [Math.min(...d), Math.max(...d)];
    this.prob = this.options.prob;
    if (this.options.center && this.options.auto_bound) throw new ConfigError(['auto_bound'], 'conflicts with center');
  }

  /** Whether to rotate, and the angle: both drawn on every call (numpy rand() then uniform()). */
  generateDegree(): { rotate: boolean; degree: number } {
    const rng = dataRandom();
    const rotate = rng.random() < this.prob;
    const degree = this.degree[0] + (this.degree[1] - this.degree[0]) * rng.random();
    return { rotate, degree };
  }

  transform(results: Results): Results {
    const { rotate, degree } = this.generateDegree();
    if (!rotate) return results;
    const { center, auto_bound: autoBound, pad_val: padVal, seg_pad_val: segPadVal } = this.options;
    const img = imrotate(imageOf(results), degree, { center, autoBound, borderValue: padVal });
    results.img = img;
    for (const key of segFieldsOf(results)) {
      results[key] = imrotate(imageOf(results, key), degree, { center, autoBound, borderValue: segPadVal, interpolation: 'nearest' });
    }
    // MMSeg leaves img_shape alone; with auto_bound the size changes, so it is kept true here.
    results.img_shape = shapeHW(img);
    return results;
  }
}
TRANSFORMS.register(RandomRotate);
