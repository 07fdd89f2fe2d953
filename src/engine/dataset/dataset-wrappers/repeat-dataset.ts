// RepeatDataset: MMEngine's wrapper that repeats a dataset `times` times (item i is item i % n of the inner dataset).
import { z } from 'zod';
import { parseOptions } from '../../config/errors.js';
import { DATASETS } from '../../registry/index.js';
import type { DataInfo } from '../base-dataset.js';
import { rememberDatasetConfig, type Dataset } from '../build-dataset.js';
import {
  adoptSharedStates, buildInnerDataset, collectSharedState, innerDataInfo, innerDatasetSchema, normalizeIndex, warnNotInitialized,
  type WrapperSharedState,
} from './inner-dataset.js';

export const repeatDatasetSchema = z.object({
  dataset: innerDatasetSchema,
  times: z.custom<number>((v) => Number.isInteger(v) && (v as number) > 0, { error: 'expected a positive integer' }),
  /** Defer loading the inner dataset's annotations until fullInit (or first use). */
  lazy_init: z.boolean().default(false),
}).strict();
export type RepeatDatasetOptions = z.input<typeof repeatDatasetSchema>;

/**
 * Saves the loader from restarting (and workers from respawning) after every short epoch of a
 * small dataset. The metainfo is the inner dataset's, taken when the wrapper is built.
 */
export class RepeatDataset<T = unknown> implements Dataset<T> {
  readonly dataset: Dataset<T>;
  readonly times: number;
  readonly #metainfo: Record<string, unknown>;
  #innerLength = 0;
  #fullyInitialized = false;

  constructor(options: unknown) {
    const opts = parseOptions(repeatDatasetSchema, options);
    const inner = buildInnerDataset(opts.dataset, ['dataset']);
    this.dataset = inner.dataset as Dataset<T>;
    this.times = opts.times;
    this.#metainfo = structuredClone(this.dataset.metainfo ?? {});
    if (inner.workerConfig) rememberDatasetConfig(this, { type: 'RepeatDataset', dataset: inner.workerConfig, times: this.times, lazy_init: opts.lazy_init });
    if (!opts.lazy_init) this.fullInit();
  }

  get metainfo(): Record<string, unknown> {
    return structuredClone(this.#metainfo);
  }

  get fullyInitialized(): boolean {
    return this.#fullyInitialized;
  }

  /** Loads the inner dataset and fixes its length; later calls do nothing. */
  fullInit(): void {
    if (this.#fullyInitialized) return;
    this.dataset.fullInit?.();
    this.#finishInit();
  }

  #finishInit(): void {
    this.#innerLength = this.dataset.length;
    this.#fullyInitialized = true;
  }

  #ensureInit(): void {
    if (this.#fullyInitialized) return;
    warnNotInitialized('RepeatDataset');
    this.fullInit();
  }

  get length(): number {
    this.#ensureInit();
    return this.times * this.#innerLength;
  }

  /** The inner dataset's index for a global index (negative counts from the end). */
  innerIndex(idx: number): number {
    return normalizeIndex('RepeatDataset', idx, this.length) % this.#innerLength;
  }

  getItem(idx: number): T | Promise<T> {
    return this.dataset.getItem(this.innerIndex(idx));
  }

  /** MMEngine's get_data_info: the inner dataset's data info (its sample_idx is the inner index). */
  getDataInfo(idx: number): DataInfo {
    return innerDataInfo('RepeatDataset', this.dataset, this.innerIndex(idx));
  }

  /** The inner dataset's annotations, for DataLoader workers to adopt (null when it shares none). */
  sharedState(): WrapperSharedState | null {
    this.#ensureInit();
    return collectSharedState([this.dataset]);
  }

  /** In a worker: takes the main thread's annotations; the wrapper must have been built with lazy_init. */
  adoptSharedState(state: WrapperSharedState): void {
    if (this.#fullyInitialized) throw new Error('RepeatDataset.adoptSharedState: the dataset already loaded its annotations');
    adoptSharedStates('RepeatDataset', [this.dataset], state);
    this.#finishInit();
  }
}

DATASETS.register(RepeatDataset);
