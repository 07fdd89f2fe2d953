// The Dataset contract of the DataLoader, and building datasets from DATASETS while remembering their configs.
import { ConfigError, type KeyPath } from '../config/errors.js';
import { DATASETS, type Constructor } from '../registry/index.js';

/** What a DataLoader needs of a dataset (BaseDataset and dataset wrappers implement it). */
export interface Dataset<T = unknown> {
  readonly length: number;
  getItem(index: number): T | Promise<T>;
  readonly metainfo?: Record<string, unknown>;
  /** Loads the annotations now (MMEngine's full_init); called once after building. */
  fullInit?(): void;
}

/** A dataset config: `{ type: 'ADE20KDataset', data_root: ..., pipeline: [...] }`. */
export type DatasetConfig = { type: string | Constructor; [key: string]: unknown };

const configs = new WeakMap<object, DatasetConfig>();

export function isDataset(v: unknown): v is Dataset {
  return typeof v === 'object' && v !== null && typeof (v as Dataset).getItem === 'function' && 'length' in v;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A copy of the plain objects and lists of a config; other values (functions, instances) are kept as they are. */
function copyConfig<T>(v: T): T {
  if (Array.isArray(v)) return v.map(copyConfig) as T;
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copyConfig(x)])) as T;
  return v;
}

/**
 * Builds a dataset from its config and loads its annotations (as MMEngine's Runner does). The
 * config is remembered, so a DataLoader with workers can rebuild the same dataset in each worker.
 */
export function buildDataset<T = unknown>(cfg: unknown, opts: { keyPath?: KeyPath } = {}): Dataset<T> {
  const keyPath = opts.keyPath ?? [];
  if (!isPlainObject(cfg)) throw new ConfigError(keyPath, `expected a dataset config {type: ...}, got ${JSON.stringify(cfg) ?? typeof cfg}`);
  const saved = copyConfig(cfg) as DatasetConfig;
  const dataset = DATASETS.build<Dataset<T>>(cfg, { keyPath });
  if (!isDataset(dataset)) {
    throw new ConfigError([...keyPath, 'type'], `${(dataset as object).constructor.name} is not a dataset (it needs length and getItem(index))`);
  }
  dataset.fullInit?.();
  // A wrapper may have declared a config of its own for workers (marking its inner datasets lazy).
  if (!configs.has(dataset)) configs.set(dataset, saved);
  return dataset;
}

/** The config a dataset was built from by buildDataset (or declared by a wrapper), if any. */
export function datasetConfigOf(dataset: object): DatasetConfig | undefined {
  return configs.get(dataset);
}

/**
 * Declares the config that rebuilds `dataset` in a worker thread; wrappers whose items are those
 * of a built dataset (SlicedDataset) pass the inner config on.
 */
export function rememberDatasetConfig(dataset: object, cfg: DatasetConfig): void {
  configs.set(dataset, copyConfig(cfg));
}
