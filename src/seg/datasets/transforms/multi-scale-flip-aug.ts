// MultiScaleFlipAug: mmcv's test-time augmentation over a list of scales (or scale factors) with optional flips.
import { z } from 'zod';
import { parseOptions } from '../../../engine/config/errors.js';
import { BaseTransform, Compose, type Results } from '../../../engine/dataset/index.js';
import { TRANSFORMS } from '../../../engine/registry/index.js';

const positiveInt = z.number().int().positive();
const size = z.tuple([positiveInt, positiveInt]);
const direction = z.enum(['horizontal', 'vertical', 'diagonal']);

export const multiScaleFlipAugSchema = z.object({
  /** Run on each resized and flipped copy; must end with PackSegInputs. */
  transforms: z.array(z.unknown()),
  /** (w, h) scales for resize_cfg; when null, scale_factor is used (default 1.0). */
  scales: z.union([size, z.array(size)]).nullable().default(null),
  scale_factor: z.union([z.number().positive(), z.array(z.number().positive())]).nullable().default(null),
  allow_flip: z.boolean().default(false),
  flip_direction: z.union([direction, z.array(direction)]).default('horizontal'),
  resize_cfg: z.looseObject({ type: z.string() }).default({ type: 'Resize', keep_ratio: true }),
  flip_cfg: z.looseObject({ type: z.string() }).default({ type: 'RandomFlip' }),
}).strict();
export type MultiScaleFlipAugOptions = z.input<typeof multiScaleFlipAugSchema>;

interface Branch {
  resizeFlip: Compose;
  flip: boolean;
}

/**
 * For each scale and each of (no flip, flip per direction when allow_flip): resize (and flip with
 * prob 1) a copy, run `transforms`, and collect {inputs: [...], data_samples: [...]} (mmcv reads
 * the key 'data_sample'; MMSeg's PackSegInputs writes 'data_samples', which is what is used here).
 */
export class MultiScaleFlipAug extends BaseTransform {
  readonly transforms: Compose;
  readonly branches: Branch[];

  constructor(options: unknown) {
    super();
    const o = parseOptions(multiScaleFlipAugSchema, options);
    this.transforms = new Compose(o.transforms, ['transforms']);
    let scaleKey: 'scale' | 'scale_factor';
    let scales: unknown[];
    if (o.scales !== null) {
      scaleKey = 'scale';
      scales = typeof o.scales[0] === 'number' ? [o.scales] : (o.scales as unknown[]);
    } else {
      scaleKey = 'scale_factor';
      scales = o.scale_factor === null ? [1.0] : Array.isArray(o.scale_factor) ? o.scale_factor : [o.scale_factor];
    }
    const directions = typeof o.flip_direction === 'string' ? [o.flip_direction] : o.flip_direction;
    if (!o.allow_flip && (directions.length !== 1 || directions[0] !== 'horizontal')) {
      process.emitWarning('MultiScaleFlipAug: flip_direction has no effect when allow_flip is false');
    }
    const flips: (string | null)[] = [null, ...(o.allow_flip ? directions : [])];
    this.branches = scales.flatMap((scale) => flips.map((dir): Branch => {
      const steps: unknown[] = [{ ...o.resize_cfg, [scaleKey]: scale }];
      if (dir !== null) steps.push({ ...o.flip_cfg, prob: 1.0, direction: dir });
      return { resizeFlip: new Compose(steps, ['resize_cfg']), flip: dir !== null };
    }));
  }

  async transform(results: Results): Promise<Results> {
    const inputs: unknown[] = [];
    const dataSamples: unknown[] = [];
    for (const branch of this.branches) {
      const copy = structuredClone(results);
      if (!branch.flip) {
        copy.flip = false;
        copy.flip_direction = null;
      }
      const resized = await branch.resizeFlip.transform(copy);
      const packed = resized && (await this.transforms.transform(resized));
      if (!packed) throw new Error('MultiScaleFlipAug: a branch dropped the sample; test-time transforms must not return null');
      if (!('data_samples' in packed)) throw new Error('MultiScaleFlipAug: `transforms` must end with PackSegInputs (no data_samples in its output)');
      inputs.push(packed.inputs);
      dataSamples.push(packed.data_samples);
    }
    return { inputs, data_samples: dataSamples };
  }
}
TRANSFORMS.register(MultiScaleFlipAug);
