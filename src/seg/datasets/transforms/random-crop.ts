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

  /**
   * Whether more than one class is present and the largest holds less than cat_max_ratio of the
   * non-ignored pixels (np.unique's counts, as a histogram over the box without copying it).
   */
  #balanced(seg: Image, box: Box): boolean {
    const data = seg.data;
    if (data instanceof Float32Array) throw new TypeError('RandomCrop: gt_seg_map should hold uint8/uint16 class indices, got a Float32Array');
    const counts = new Uint32Array(data instanceof Uint8Array ? 256 : 65536);
    const [h, w] = shapeHW(seg);
    const y1 = Math.min(box[0], h), y2 = Math.min(box[1], h), x1 = Math.min(box[2], w), x2 = Math.min(box[3], w);
    for (let y = y1; y < y2; y++) {
      for (let i = y * w + x1, end = y * w + x2; i < end; i++) counts[data[i]!]!++;
    }
    let classes = 0, max = 0, sum = 0;
    for (let v = 0; v < counts.length; v++) {
      const c = counts[v]!;
      if (c === 0 || v === this.ignoreIndex) continue;
      classes++;
      sum += c;
      if (c > max) max = c;
    }
    return classes > 1 && max / sum < this.catMaxRatio;
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
