// Pad: mmcv's transform padding the image and label maps at the bottom/right to a fixed size or a multiple of size_divisor.
import { z } from 'zod';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { BaseTransform, type Results } from '../../../engine/dataset/index.js';
import { TRANSFORMS } from '../../../engine/registry/index.js';
import { padTo, type PaddingMode } from './ndarray-ops.js';
import { imageOf, segFieldsOf, shapeHW } from './results.js';

const positiveInt = z.number().int().positive();

export const padSchema = z.object({
  /** (w, h) to pad to. */
  size: z.tuple([positiveInt, positiveInt]).nullable().default(null),
  size_divisor: positiveInt.nullable().default(null),
  pad_to_square: z.boolean().default(false),
  /** One value for the image (label maps then get 255), or {img, seg}. */
  pad_val: z.union([z.number(), z.object({ img: z.number().default(0), seg: z.number().default(255) }).strict()]).default({ img: 0, seg: 255 }),
  /** MMSeg 0.x's name for the label padding value; overrides pad_val.seg. */
  seg_pad_val: z.number().nullable().default(null),
  padding_mode: z.enum(['constant', 'edge', 'reflect', 'symmetric']).default('constant'),
}).strict();
export type PadOptions = z.input<typeof padSchema>;

/** Sets img, img_shape and pad_shape (the padded [h, w, c]), pad_fixed_size and pad_size_divisor. */
export class Pad extends BaseTransform {
  readonly size: [number, number] | null;
  readonly sizeDivisor: number | null;
  readonly padToSquare: boolean;
  readonly imgPadVal: number;
  readonly segPadVal: number;
  readonly paddingMode: PaddingMode;

  constructor(options: unknown) {
    super();
    const o = parseOptions(padSchema, options);
    if (o.pad_to_square) {
      if (o.size !== null) throw new ConfigError(['size'], 'must be null when pad_to_square is true');
    } else if ((o.size === null) === (o.size_divisor === null)) {
      throw new ConfigError(['size'], 'set exactly one of size and size_divisor (or pad_to_square)');
    }
    this.size = o.size;
    this.sizeDivisor = o.size_divisor;
    this.padToSquare = o.pad_to_square;
    this.imgPadVal = typeof o.pad_val === 'number' ? o.pad_val : o.pad_val.img;
    this.segPadVal = o.seg_pad_val ?? (typeof o.pad_val === 'number' ? 255 : o.pad_val.seg);
    this.paddingMode = o.padding_mode;
  }

  /** The padded [h, w] of an image of [h, w]. */
  targetShape(h: number, w: number): [number, number] {
    let size: [number, number] | null = null;
    if (this.padToSquare) size = [Math.max(h, w), Math.max(h, w)];
    if (this.sizeDivisor !== null) {
      const [bh, bw] = size ?? [h, w];
      size = [Math.ceil(bh / this.sizeDivisor) * this.sizeDivisor, Math.ceil(bw / this.sizeDivisor) * this.sizeDivisor];
    } else if (this.size !== null) {
      size = [this.size[1], this.size[0]];
    }
    return size!;
  }

  transform(results: Results): Results {
    const img = imageOf(results);
    const [th, tw] = this.targetShape(...shapeHW(img));
    const padded = padTo(img, th, tw, this.imgPadVal, this.paddingMode);
    results.img = padded;
    results.pad_shape = [...padded.shape];
    results.pad_fixed_size = this.size;
    results.pad_size_divisor = this.sizeDivisor;
    results.img_shape = shapeHW(padded);
    const [ph, pw] = shapeHW(padded);
    for (const key of segFieldsOf(results)) results[key] = padTo(imageOf(results, key), ph, pw, this.segPadVal, this.paddingMode);
    return results;
  }
}
TRANSFORMS.register(Pad);
