// Compose and BaseTransform: a data pipeline of transforms built from TRANSFORMS configs or given as functions.
import { ConfigError, type KeyPath } from '../config/errors.js';
import { TRANSFORMS } from '../registry/index.js';

/**
 * What flows through a pipeline: a plain object whose heavy fields are typed arrays, so it can be
 * posted from a worker thread (no tensors, no class instances).
 */
export type Results = Record<string, unknown>;
/** A transform's answer: the (possibly same) results, or null to drop the sample (the dataset refetches in training). */
export type TransformResult = Results | null | Promise<Results | null>;
export type TransformFn = (results: Results) => TransformResult;

export interface TransformLike {
  transform(results: Results): TransformResult;
}

/** MMCV's BaseTransform: subclasses implement `transform` and register in TRANSFORMS. */
export abstract class BaseTransform implements TransformLike {
  abstract transform(results: Results): TransformResult;
}

/** A transform failed; the message names its place in the pipeline, `cause` is the original error. */
export class TransformError extends Error {
  constructor(readonly position: number, readonly transformName: string, cause: unknown) {
    super(`pipeline.${position} (${transformName}): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'TransformError';
  }
}

const isThenable = (v: unknown): v is PromiseLike<unknown> => typeof (v as PromiseLike<unknown> | null)?.then === 'function';

function transformName(t: TransformLike | TransformFn): string {
  return typeof t === 'function' ? t.name || 'function' : t.constructor.name;
}

/**
 * Runs transforms in order and stops at the first null. Entries are `{ type, ...options }`
 * configs (built from TRANSFORMS), objects with a `transform` method, or functions. Transforms
 * may be async (image decoding); a sync pipeline never waits on a timer.
 */
export class Compose extends BaseTransform {
  readonly transforms: (TransformLike | TransformFn)[] = [];

  /** `keyPath` is where the pipeline sits in the config, for error messages. */
  constructor(transforms: readonly unknown[] | null | undefined, keyPath: KeyPath = ['pipeline']) {
    super();
    (transforms ?? []).forEach((entry, i) => {
      const place = [...keyPath, i];
      if (typeof entry === 'function') {
        this.transforms.push(entry as TransformFn);
      } else if (entry !== null && typeof entry === 'object' && typeof (entry as TransformLike).transform === 'function') {
        this.transforms.push(entry as TransformLike);
      } else if (entry !== null && typeof entry === 'object' && !Array.isArray(entry)) {
        const built = TRANSFORMS.build<TransformLike>(entry, { keyPath: place });
        if (typeof built?.transform !== 'function') {
          throw new ConfigError(place, `${transformName(built)} built from TRANSFORMS has no transform(results) method`);
        }
        this.transforms.push(built);
      } else {
        throw new ConfigError(place, `expected a transform config {type: ...}, a transform object or a function, got ${JSON.stringify(entry)}`);
      }
    });
  }

  override async transform(results: Results): Promise<Results | null> {
    let data: Results | null = results;
    for (let i = 0; i < this.transforms.length; i++) {
      const t = this.transforms[i]!;
      try {
        let out: TransformResult = typeof t === 'function' ? t(data) : t.transform(data);
        if (isThenable(out)) out = await out;
        data = out;
      } catch (err) {
        throw err instanceof TransformError && t instanceof Compose ? err : new TransformError(i, transformName(t), err);
      }
      if (data === null || data === undefined) return null;
    }
    return data;
  }

  override toString(): string {
    return `Compose(\n${this.transforms.map((t) => `    ${transformName(t)}`).join('\n')}\n)`;
  }
}
