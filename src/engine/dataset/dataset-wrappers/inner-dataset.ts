// What the dataset wrappers share: building a wrapped dataset from a config, its config for DataLoader workers, and shared annotations.
import { z } from 'zod';
import { ConfigError, type KeyPath } from '../../config/errors.js';
import { DATASETS } from '../../registry/index.js';
import type { DataInfo } from '../base-dataset.js';
import { datasetConfigOf, isDataset, isPlainObject, type Dataset, type DatasetConfig } from '../build-dataset.js';

/** A wrapped dataset as a config `{type: ...}` or as a built dataset (MMEngine accepts both). */
export const innerDatasetSchema = z.custom<DatasetConfig | Dataset>(
  (v) => (isPlainObject(v) && 'type' in v) || isDataset(v),
  { error: 'expected a dataset config {type: ...} or a dataset' },
);

/** The annotations of the wrapped datasets, in order (null where one cannot share them), for workers to adopt. */
export interface WrapperSharedState {
  datasets: unknown[];
}

/** Datasets that hand their loaded annotations to workers (BaseDataset and the wrappers). */
interface SharingDataset extends Dataset {
  sharedState(): unknown;
  adoptSharedState(state: unknown): void;
  readonly fullyInitialized?: boolean;
}

const shares = (d: Dataset): d is SharingDataset =>
  typeof (d as SharingDataset).sharedState === 'function' && typeof (d as SharingDataset).adoptSharedState === 'function';

/** A built wrapped dataset plus the config that rebuilds it in a worker (undefined: it cannot be rebuilt). */
export interface InnerDataset {
  dataset: Dataset;
  workerConfig: DatasetConfig | undefined;
}

/**
 * Builds a config with DATASETS (its own lazy_init decides whether it loads now; the wrapper's
 * fullInit loads it otherwise) or takes a built dataset. The worker config marks datasets that
 * can adopt shared annotations lazy, so workers take the main thread's annotations instead of
 * loading them again.
 */
export function buildInnerDataset(value: DatasetConfig | Dataset, keyPath: KeyPath): InnerDataset {
  let dataset: Dataset;
  if (isDataset(value)) {
    dataset = value;
  } else {
    dataset = DATASETS.build<Dataset>(value, { keyPath });
    if (!isDataset(dataset)) {
      throw new ConfigError([...keyPath, 'type'], `${(dataset as object).constructor.name} is not a dataset (it needs length and getItem(index))`);
    }
  }
  // A wrapper declares its own worker config; a dataset from buildDataset has its config remembered.
  const base = datasetConfigOf(dataset) ?? (isDataset(value) ? undefined : value);
  const workerConfig = base && shares(dataset) ? { ...base, lazy_init: true } : base;
  return { dataset, workerConfig };
}

/** The wrapped datasets' shared annotations, or null when none of them shares any. */
export function collectSharedState(datasets: readonly Dataset[]): WrapperSharedState | null {
  const states = datasets.map((d) => (shares(d) ? d.sharedState() ?? null : null));
  return states.some((s) => s !== null) ? { datasets: states } : null;
}

/** In a worker: each wrapped dataset takes its shared annotations, or loads its own where there are none. */
export function adoptSharedStates(owner: string, datasets: readonly Dataset[], state: WrapperSharedState): void {
  if (!state || !Array.isArray(state.datasets) || state.datasets.length !== datasets.length) {
    throw new Error(`${owner}.adoptSharedState: expected the shared state of ${datasets.length} dataset(s), got ${JSON.stringify(state?.datasets?.length ?? state)}`);
  }
  datasets.forEach((d, i) => {
    const s = state.datasets[i];
    if (s !== null && s !== undefined && shares(d) && d.fullyInitialized !== true) d.adoptSharedState(s);
    else d.fullInit?.();
  });
}

/** Warns that a lazily built wrapper loads on first use, as MMEngine's force_full_init does. */
export function warnNotInitialized(owner: string): void {
  process.emitWarning(`${owner} was not fully initialized; calling fullInit() now (call it yourself after lazy_init to control when annotations load)`, 'DatasetWarning');
}

/** The data info of a wrapped dataset that has getDataInfo (BaseDataset does). */
export function innerDataInfo(owner: string, dataset: Dataset, idx: number): DataInfo {
  const getDataInfo = (dataset as { getDataInfo?: (i: number) => DataInfo }).getDataInfo;
  if (typeof getDataInfo !== 'function') throw new TypeError(`${owner}.getDataInfo: the wrapped ${dataset.constructor.name} has no getDataInfo(index)`);
  return getDataInfo.call(dataset, idx);
}

/** Python-style index checking: -n..n-1 is valid, negatives count from the end. */
export function normalizeIndex(owner: string, idx: number, n: number): number {
  if (!Number.isInteger(idx) || idx >= n || idx < -n) {
    throw new RangeError(n === 0 ? `${owner}: index ${idx} is outside an empty dataset` : `${owner}: index ${idx} is outside -${n}..${n - 1}`);
  }
  return idx < 0 ? idx + n : idx;
}
