// RandomFlip: mmcv/MMSeg's random horizontal / vertical / diagonal flip of the image and label maps.
import { z } from 'zod';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { BaseTransform, dataRandom, type Results } from '../../../engine/dataset/index.js';
import { TRANSFORMS } from '../../../engine/registry/index.js';
import { flip, type FlipDirection, type Image } from './ndarray-ops.js';
import { imageOf, segFieldsOf } from './results.js';

const direction = z.enum(['horizontal', 'vertical', 'diagonal']);
const probability = z.number().min(0).max(1);

export const randomFlipSchema = z.object({
  /** One probability (split evenly over the directions) or one per direction. */
  prob: z.union([probability, z.array(probability)]),
  direction: z.union([direction, z.array(direction)]).default('horizontal'),
  /** Label pairs to swap after flipping (left/right arm). */
  swap_seg_labels: z.array(z.tuple([z.number().int(), z.number().int()])).nullable().default(null),
}).strict();
export type RandomFlipOptions = z.input<typeof randomFlipSchema>;

/** Sets flip (boolean) and flip_direction (null when not flipped). */
export class RandomFlip extends BaseTransform {
  readonly directions: (FlipDirection | null)[];
  /** Cumulative probabilities of `directions` (the last entry is "no flip"). */
  readonly #cdf: number[];
  readonly swapSegLabels: [number, number][] | null;

  constructor(options: unknown) {
    super();
    const o = parseOptions(randomFlipSchema, options);
    const dirs = typeof o.direction === 'string' ? [o.direction] : o.direction;
    let probs: number[];
    if (Array.isArray(o.prob)) {
      if (o.prob.length !== dirs.length) throw new ConfigError(['prob'], `has ${o.prob.length} entries for ${dirs.length} directions`);
      const sum = o.prob.reduce((a, b) => a + b, 0);
      if (sum > 1) throw new ConfigError(['prob'], `sums to ${sum}, more than 1`);
      probs = [...o.prob, 1 - sum];
    } else {
      probs = [...dirs.map(() => (o.prob as number) / dirs.length), 1 - o.prob];
    }
    this.directions = [...dirs, null];
    let acc = 0;
    const cdf = probs.map((p) => (acc += p));
    this.#cdf = cdf.map((c) => c / cdf.at(-1)!);
    this.swapSegLabels = o.swap_seg_labels;
  }

  /** numpy's choice(directions, p=probs): the first entry whose cumulative probability exceeds a uniform draw. */
  chooseDirection(): FlipDirection | null {
    const u = dataRandom().random();
    let i = 0;
    while (i < this.#cdf.length - 1 && this.#cdf[i]! <= u) i++;
    return this.directions[i]!;
  }

  #flipSeg(seg: Image, dir: FlipDirection): Image {
    const out = flip(seg, dir);
    if (this.swapSegLabels) {
      const before = out.data.slice();
      for (const [a, b] of this.swapSegLabels) {
        for (let i = 0; i < before.length; i++) {
          if (before[i] === a) out.data[i] = b;
          else if (before[i] === b) out.data[i] = a;
        }
      }
    }
    return out;
  }

  transform(results: Results): Results {
    const dir = this.chooseDirection();
    results.flip = dir !== null;
    results.flip_direction = dir;
    if (dir === null) return results;
    results.img = flip(imageOf(results), dir);
    const segKeys = segFieldsOf(results);
    for (const key of segKeys) results[key] = this.#flipSeg(imageOf(results, key), dir);
    if (segKeys.length) results.swap_seg_labels = this.swapSegLabels;
    return results;
  }
}
TRANSFORMS.register(RandomFlip);
