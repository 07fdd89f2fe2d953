// RandomResize: mmcv's transform that draws a target scale (by ratio or from a range) and resizes with a Resize.
import { z } from 'zod';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { BaseTransform, dataRandom, type Results, type TransformLike } from '../../../engine/dataset/index.js';
import { TRANSFORMS } from '../../../engine/registry/index.js';

const positiveInt = z.number().int().positive();
const size = z.tuple([positiveInt, positiveInt]);

export const randomResizeSchema = z.looseObject({
  /** One (w, h) scaled by a ratio from ratio_range, or two (w, h) bounding each edge's uniform draw. */
  scale: z.union([size, z.tuple([size, size])]),
  ratio_range: z.tuple([z.number().positive(), z.number().positive()]).nullable().default(null),
  resize_type: z.string().default('Resize'),
  // Other keys (keep_ratio, interpolation, ...) go to the resize_type transform.
});
export type RandomResizeOptions = z.input<typeof randomResizeSchema>;

type ScaledTransform = TransformLike & { scale: [number, number] | null };

export class RandomResize extends BaseTransform {
  readonly scale: [number, number] | [[number, number], [number, number]];
  readonly ratioRange: [number, number] | null;
  readonly resize: ScaledTransform;

  constructor(options: unknown) {
    super();
    const { scale, ratio_range, resize_type, ...resizeKwargs } = parseOptions(randomResizeSchema, options);
    this.scale = scale;
    this.ratioRange = ratio_range;
    if (typeof scale[0] === 'number') {
      if (!ratio_range) throw new ConfigError(['ratio_range'], 'is required when scale is a single (w, h)');
      if (ratio_range[0] > ratio_range[1]) throw new ConfigError(['ratio_range'], `expected (min, max), got (${ratio_range.join(', ')})`);
    }
    if (!TRANSFORMS.get(resize_type)) throw new ConfigError(['resize_type'], `'${resize_type}' is not in the TRANSFORMS registry`);
    // Built with a placeholder scale; each call sets the drawn one (mmcv builds with scale=0).
    this.resize = TRANSFORMS.build<ScaledTransform>({ type: resize_type, ...resizeKwargs, scale: [1, 1] });
    if (!('scale' in this.resize)) throw new ConfigError(['resize_type'], `${resize_type} has no 'scale' to set`);
  }

  /** The drawn (w, h): int(base * ratio) with ratio ~ U[min, max), or each edge ~ U{lo..hi}. */
  randomScale(): [number, number] {
    const rng = dataRandom();
    if (typeof this.scale[0] === 'number') {
      const [w, h] = this.scale as [number, number];
      const [lo, hi] = this.ratioRange!;
      const ratio = rng.random() * (hi - lo) + lo;
      return [Math.trunc(w * ratio), Math.trunc(h * ratio)];
    }
    const [a, b] = this.scale as [[number, number], [number, number]];
    const edge = (x: number, y: number): number => Math.min(x, y) + rng.randint(Math.max(x, y) - Math.min(x, y) + 1);
    const e0 = edge(a[0], b[0]);
    const e1 = edge(a[1], b[1]);
    return [e0, e1];
  }

  async transform(results: Results): Promise<Results | null> {
    const scale = this.randomScale();
    results.scale = scale;
    this.resize.scale = scale;
    return this.resize.transform(results);
  }
}
TRANSFORMS.register(RandomResize);
