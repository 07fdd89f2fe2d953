// TestTimeAug: mmcv's test-time augmentation running every combination of the given transform choices and listing the outputs per key.
import { z } from 'zod';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { BaseTransform, Compose, type Results } from '../../../engine/dataset/index.js';
import { TRANSFORMS } from '../../../engine/registry/index.js';

export const testTimeAugSchema = z.object({
  /** A list of choices per step: [[Resize a, Resize b], [RandomFlip p=0, RandomFlip p=1], [PackSegInputs]]. */
  transforms: z.array(z.array(z.unknown()).min(1)).min(1),
}).strict();
export type TestTimeAugOptions = z.input<typeof testTimeAugSchema>;

/** Every pick of one transform per step, first step varying slowest (itertools.product). */
function product<T>(lists: T[][]): T[][] {
  return lists.reduce<T[][]>((acc, list) => acc.flatMap((prefix) => list.map((t) => [...prefix, t])), [[]]);
}

/**
 * For the example above, four pipelines (a+no flip, a+flip, b+no flip, b+flip) each run on a
 * deep copy of the results; the answer maps each key of their outputs to the list of values
 * ({inputs: [4], data_samples: [4]}).
 */
export class TestTimeAug extends BaseTransform {
  readonly subroutines: Compose[];

  constructor(options: unknown) {
    super();
    const { transforms } = parseOptions(testTimeAugSchema, options);
    const built = transforms.map((choices, i) => choices.map((t, j) => {
      if (typeof t === 'function' || (t !== null && typeof t === 'object' && typeof (t as { transform?: unknown }).transform === 'function')) return t;
      if (t === null || typeof t !== 'object' || Array.isArray(t)) throw new ConfigError(['transforms', i, j], `expected a transform config {type: ...}, got ${JSON.stringify(t)}`);
      return TRANSFORMS.build(t, { keyPath: ['transforms', i, j] });
    }));
    this.subroutines = product(built).map((steps) => new Compose(steps, ['transforms']));
  }

  async transform(results: Results): Promise<Results> {
    const outputs: Results[] = [];
    for (const [i, sub] of this.subroutines.entries()) {
      const out = await sub.transform(structuredClone(results));
      if (out === null) throw new Error(`TestTimeAug: augmentation ${i} dropped the sample; test-time transforms must not return null`);
      outputs.push(out);
    }
    return Object.fromEntries(Object.keys(outputs[0]!).map((key) => [key, outputs.map((o) => o[key])]));
  }
}
TRANSFORMS.register(TestTimeAug);
