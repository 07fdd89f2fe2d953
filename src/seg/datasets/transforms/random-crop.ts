// RandomCrop: MMSeg's random crop of the image and label maps, retrying so no class fills more than cat_max_ratio of the crop.
import { z } from 'zod';
import { parseOptions } from '../../../engine/config/errors.js';
import { BaseTransform, dataRandom, type Results } from '../../../engine/dataset/index.js';
import { TRANSFORMS } from '../../../engine/registry/index.js';
import { crop, type Image } from './ndarray-ops.js';
import { imageOf, segFieldsOf, shapeHW } from './results.js';

const positiveInt = z.number().int().positive();

export const randomCropSchema = z.object({
  /** (h, w), or one int for both. */
  crop_size: z.union([positiveInt, z.tuple([positiveInt, positiveInt])]),
  cat_max_ratio: z.number().positive().default(1),
  ignore_index: z.number().int().default(255),
}).strict();
export type RandomCropOptions = z.input<typeof randomCropSchema>;

/** [y1, y2, x1, x2] */
type Box = [number, number, number, number];

/** Images smaller than crop_size are not padded (the crop is the whole extent), as in MMSeg. */
export class RandomCrop extends BaseTransform {
  readonly cropSize: [number, number];
  readonly catMaxRatio: number;
  readonly ignoreIndex: number;

  constructor(options: unknown) {
    super();
    const o = parseOptions(randomCropSchema, options);
    this.cropSize = typeof o.crop_size === 'number' ? [o.crop_size, o.crop_size] : [...o.crop_size];
    this.catMaxRatio = o.cat_max_ratio;
    this.ignoreIndex = o.ignore_index;
  }

  #randomBox(h: number, w: number): Box {
    const rng = dataRandom();
    const offH = rng.randint(Math.max(h - this.cropSize[0], 0) + 1);
    const offW = rng.randint(Math.max(w - this.cropSize[1], 0) + 1);
    return [offH, offH + this.cropSize[0], offW, offW + this.cropSize[1]];
  }

  /** Whether more than one class is present and the largest holds less than cat_max_ratio of the non-ignored pixels. */
  #balanced(seg: Image, box: Box): boolean {
    const counts = new Map<number, number>();
    const patch = crop(seg, ...box).data;
    for (let i = 0; i < patch.length; i++) {
      const v = patch[i]!;
      if (v !== this.ignoreIndex) counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    if (counts.size <= 1) return false;
    let max = 0, sum = 0;
    for (const c of counts.values()) {
      max = Math.max(max, c);
      sum += c;
    }
    return max / sum < this.catMaxRatio;
  }

  /** A random box; with cat_max_ratio < 1, up to 10 more draws while gt_seg_map is too dominated by one class. */
  cropBox(results: Results): Box {
    const [h, w] = shapeHW(imageOf(results));
    let box = this.#randomBox(h, w);
    if (this.catMaxRatio < 1) {
      const seg = imageOf(results, 'gt_seg_map');
      for (let attempt = 0; attempt < 10; attempt++) {
        if (this.#balanced(seg, box)) break;
        box = this.#randomBox(h, w);
      }
    }
    return box;
  }

  transform(results: Results): Results {
    const box = this.cropBox(results);
    const img = crop(imageOf(results), ...box);
    for (const key of segFieldsOf(results)) results[key] = crop(imageOf(results, key), ...box);
    results.img = img;
    results.img_shape = shapeHW(img);
    return results;
  }
}
TRANSFORMS.register(RandomCrop);
