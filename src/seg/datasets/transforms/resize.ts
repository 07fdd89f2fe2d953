// Resize: mmcv's transform resizing the image (bilinear) and label maps (nearest) to a scale or by a factor, with scale_factor bookkeeping.
import { z } from 'zod';
import { parseOptions } from '../../../engine/config/errors.js';
import { BaseTransform, type Results } from '../../../engine/dataset/index.js';
import { TRANSFORMS } from '../../../engine/registry/index.js';
import { rescaleSize, resize, scaleSize, type Interpolation } from './cv2-resize.js';
import type { Image } from './ndarray-ops.js';
import { imageOf, segFieldsOf, shapeHW } from './results.js';

const positiveInt = z.number().int().positive();
const pair = <T extends z.ZodType>(t: T) => z.tuple([t, t]);

export const resizeSchema = z.object({
  /** (w, h); an int means (s, s). With keep_ratio: as large as possible with long edge <= max and short edge <= min. */
  scale: z.union([positiveInt, pair(positiveInt)]).nullable().default(null),
  /** Used when scale is null: (w, h) factors or one for both. */
  scale_factor: z.union([z.number().positive(), pair(z.number().positive())]).nullable().default(null),
  keep_ratio: z.boolean().default(false),
  /** Only matters for boxes, which segmentation pipelines have none of. */
  clip_object_border: z.boolean().default(true),
  /** cv2's resize, re-done exactly in resize(); pillow's is not offered. */
  backend: z.literal('cv2').default('cv2'),
  interpolation: z.enum(['bilinear', 'nearest']).default('bilinear'),
}).strict().refine((o) => o.scale !== null || o.scale_factor !== null, { message: '`scale` and `scale_factor` can not both be null' });
export type ResizeOptions = z.input<typeof resizeSchema>;

/** Sets img, img_shape, scale ([w, h]), scale_factor ([w_scale, h_scale]), keep_ratio; label maps follow with nearest. */
export class Resize extends BaseTransform {
  /** The target (w, h); RandomResize sets it before each call, as mmcv's does. */
  scale: [number, number] | null;
  readonly scaleFactor: [number, number] | null;
  readonly keepRatio: boolean;
  readonly interpolation: Interpolation;

  constructor(options: unknown) {
    super();
    const o = parseOptions(resizeSchema, options);
    this.scale = o.scale === null ? null : typeof o.scale === 'number' ? [o.scale, o.scale] : [...o.scale];
    this.scaleFactor = o.scale_factor === null ? null : typeof o.scale_factor === 'number' ? [o.scale_factor, o.scale_factor] : [...o.scale_factor];
    this.keepRatio = o.keep_ratio;
    this.interpolation = o.interpolation;
  }

  transform(results: Results): Results {
    const img = imageOf(results);
    const [h, w] = shapeHW(img);
    const scale: [number, number] = this.scale ? [...this.scale] : scaleSize([w, h], this.scaleFactor!);
    results.scale = scale;
    const resized = this.#resize(img, scale, this.interpolation);
    const [nh, nw] = shapeHW(resized);
    results.img = resized;
    results.img_shape = [nh, nw];
    results.scale_factor = [nw / w, nh / h];
    results.keep_ratio = this.keepRatio;
    for (const key of segFieldsOf(results)) results[key] = this.#resize(imageOf(results, key), scale, 'nearest');
    return results;
  }

  #resize(img: Image, scale: [number, number], interpolation: Interpolation): Image {
    const [h, w] = shapeHW(img);
    const size = this.keepRatio ? rescaleSize([w, h], scale).size : scale;
    return resize(img, size, interpolation);
  }
}
TRANSFORMS.register(Resize);
