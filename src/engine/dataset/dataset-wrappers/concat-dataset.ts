// ConcatDataset: MMEngine's wrapper that chains datasets with equal metainfo into one index space.
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { ConfigError, parseOptions } from '../../config/errors.js';
import { DATASETS } from '../../registry/index.js';
import type { DataInfo } from '../base-dataset.js';
import { rememberDatasetConfig, type Dataset, type DatasetConfig } from '../build-dataset.js';
import {
  adoptSharedStates, buildInnerDataset, collectSharedState, innerDataInfo, innerDatasetSchema, normalizeIndex, warnNotInitialized,
  type WrapperSharedState,
} from './inner-dataset.js';

export const concatDatasetSchema = z.object({
  datasets: z.array(innerDatasetSchema).min(1, { error: 'expected at least one dataset' }),
  /** Defer loading the datasets' annotations until fullInit (or first use). */
  lazy_init: z.boolean().default(false),
  /** Metainfo keys allowed to differ between the datasets. */
  ignore_keys: z.union([z.string(), z.array(z.string())], { error: 'expected a key or a list of keys' }).nullable().default(null),
}).strict();
export type ConcatDatasetOptions = z.input<typeof concatDatasetSchema>;

/** The kind of a metainfo value, standing in for Python's type() in MMEngine's check. */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (ArrayBuffer.isView(v)) return (v as object).constructor.name;
  return typeof v;
}

const show = (v: unknown): string => {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

/**
 * MMEngine's rule: every metainfo key of any dataset (less ignore_keys) is in every dataset, with
 * a value of the same kind equal to the first dataset's. Errors name the dataset and the key.
 */
function checkMetainfo(metainfos: Record<string, unknown>[], ignoreKeys: readonly string[]): void {
  const keys = new Set(metainfos.flatMap((m) => Object.keys(m)));
  const first = metainfos[0]!;
  metainfos.forEach((meta, i) => {
    for (const key of keys) {
      if (ignoreKeys.includes(key)) continue;
      if (!(key in meta)) {
        const holder = metainfos.findIndex((m) => key in m);
        throw new ConfigError(['datasets', i], `metainfo has no '${key}', which datasets.${holder} has; concatenated datasets need the same metainfo keys (or list '${key}' in ignore_keys)`);
      }
      if (i === 0) continue;
      const [a, b] = [first[key], meta[key]];
      if (kindOf(a) !== kindOf(b)) {
        throw new ConfigError(['datasets', i], `metainfo.${key} is a ${kindOf(b)}, but the first dataset's is a ${kindOf(a)}`);
      }
      if (!isDeepStrictEqual(a, b)) {
        throw new ConfigError(['datasets', i], `metainfo.${key} ${show(b)} does not match the first dataset's ${show(a)} (list '${key}' in ignore_keys to allow it)`);
      }
    }
  });
}

/** Index i of the whole is item i - cumulative[k-1] of dataset k; the metainfo is the first dataset's. */
export class ConcatDataset<T = unknown> implements Dataset<T> {
  readonly datasets: readonly Dataset<T>[];
  readonly ignoreKeys: readonly string[];
  readonly #metainfo: Record<string, unknown>;
  /** Running totals of the dataset lengths ([2, 3, 4] -> [2, 5, 9]), set by fullInit. */
  #cumulativeSizes: number[] = [];
  #fullyInitialized = false;

  constructor(options: unknown) {
    const opts = parseOptions(concatDatasetSchema, options);
    const inner = opts.datasets.map((d, i) => buildInnerDataset(d, ['datasets', i]));
    this.datasets = inner.map((d) => d.dataset as Dataset<T>);
    this.ignoreKeys = opts.ignore_keys === null ? [] : typeof opts.ignore_keys === 'string' ? [opts.ignore_keys] : [...opts.ignore_keys];
    const metainfos = this.datasets.map((d) => d.metainfo ?? {});
    checkMetainfo(metainfos, this.ignoreKeys);
    this.#metainfo = structuredClone(metainfos[0]!);
    if (inner.every((d) => d.workerConfig)) {
      const cfg: DatasetConfig = { type: 'ConcatDataset', datasets: inner.map((d) => d.workerConfig), lazy_init: opts.lazy_init };
      if (opts.ignore_keys !== null) cfg.ignore_keys = opts.ignore_keys;
      rememberDatasetConfig(this, cfg);
    }
    if (!opts.lazy_init) this.fullInit();
  }

  get metainfo(): Record<string, unknown> {
    return structuredClone(this.#metainfo);
  }

  get fullyInitialized(): boolean {
    return this.#fullyInitialized;
  }

  /** Loads every dataset and sums their lengths; later calls do nothing. */
  fullInit(): void {
    if (this.#fullyInitialized) return;
    for (const d of this.datasets) d.fullInit?.();
    this.#finishInit();
  }

  #finishInit(): void {
    let total = 0;
    this.#cumulativeSizes = this.datasets.map((d) => (total += d.length));
    this.#fullyInitialized = true;
  }

  #ensureInit(): void {
    if (this.#fullyInitialized) return;
    warnNotInitialized('ConcatDataset');
    this.fullInit();
  }

  get length(): number {
    this.#ensureInit();
    return this.#cumulativeSizes.at(-1)!;
  }

  /** The cumulative lengths, as torch's ConcatDataset.cumulative_sizes. */
  get cumulativeSizes(): readonly number[] {
    this.#ensureInit();
    return [...this.#cumulativeSizes];
  }

  /** [dataset index, index inside it] for a global index (negative counts from the end). */
  innerIndex(idx: number): [number, number] {
    const i = normalizeIndex('ConcatDataset', idx, this.length);
    // bisect_right: the first dataset whose running total exceeds i.
    const sizes = this.#cumulativeSizes;
    let lo = 0;
    let hi = sizes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sizes[mid]! <= i) lo = mid + 1;
      else hi = mid;
    }
    return [lo, lo === 0 ? i : i - sizes[lo - 1]!];
  }

  getItem(idx: number): T | Promise<T> {
    const [d, i] = this.innerIndex(idx);
    return this.datasets[d]!.getItem(i);
  }

  /** MMEngine's get_data_info: the owning dataset's data info (its sample_idx is the index inside that dataset). */
  getDataInfo(idx: number): DataInfo {
    const [d, i] = this.innerIndex(idx);
    return innerDataInfo('ConcatDataset', this.datasets[d]!, i);
  }

  /** The datasets' annotations, for DataLoader workers to adopt (null when none shares any). */
  sharedState(): WrapperSharedState | null {
    this.#ensureInit();
    return collectSharedState(this.datasets);
  }

  /** In a worker: takes the main thread's annotations; the wrapper must have been built with lazy_init. */
  adoptSharedState(state: WrapperSharedState): void {
    if (this.#fullyInitialized) throw new Error('ConcatDataset.adoptSharedState: the dataset already loaded its annotations');
    adoptSharedStates('ConcatDataset', this.datasets, state);
    this.#finishInit();
  }
}

DATASETS.register(ConcatDataset);
