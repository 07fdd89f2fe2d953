// buildDataLoader: a DataLoader from a `*_dataloader` config, as MMEngine's Runner.build_dataloader does.
import { z } from 'zod';
import { ConfigError, parseOptions } from '../config/errors.js';
import { DATA_SAMPLERS } from '../registry/index.js';
import { buildDataset, isDataset, isPlainObject, type Dataset } from './build-dataset.js';
import { DataLoader, type DataLoaderContext } from './data-loader.js';
// The built-in samplers register themselves in DATA_SAMPLERS on import.
import './default-sampler.js';
import './infinite-sampler.js';
import type { BatchSamplerLike, Sampler } from './sampler.js';
import { SlicedDataset } from './sliced-dataset.js';

export interface BuildDataLoaderOptions extends DataLoaderContext {
  /** The run's seed (`randomness.seed`): default sampler seed and workers' base seed. */
  seed?: number | null;
  /** Give samplers no seed so each draws its own (MMEngine's diff_rank_seed). */
  diffRankSeed?: boolean;
}

const describe = (v: unknown): string => (v === undefined ? 'nothing' : Array.isArray(v) ? 'a list' : JSON.stringify(v) ?? typeof v);

/**
 * `{ dataset: {type, ...}, sampler: {type: 'DefaultSampler', shuffle: true}, batch_size, num_workers,
 * collate_fn: {type: 'pseudo_collate'}, ... }`: the dataset from DATASETS (then fullInit), the
 * sampler from DATA_SAMPLERS (given the dataset, rank and world size; `seed` as default), an
 * optional batch_sampler from DATA_SAMPLERS (given the sampler; batch_size as default), and
 * `num_batch_per_epoch` slicing the dataset. A DataLoader is returned as it is.
 */
export function buildDataLoader<Batch = unknown>(cfg: unknown, opts: BuildDataLoaderOptions = {}): DataLoader<Batch> {
  if (cfg instanceof DataLoader) return cfg as DataLoader<Batch>;
  const keyPath = opts.keyPath ?? [];
  if (!isPlainObject(cfg)) throw new ConfigError(keyPath, `expected a data loader config {dataset, sampler, batch_size, ...}, got ${describe(cfg)}`);
  const { dataset: datasetCfg, sampler: samplerCfg, batch_sampler: batchSamplerCfg, num_batch_per_epoch: numBatches, ...rest } = cfg;
  const dist = { rank: opts.rank ?? 0, worldSize: opts.worldSize ?? 1 };

  let dataset: Dataset;
  if (isPlainObject(datasetCfg)) dataset = buildDataset(datasetCfg, { keyPath: [...keyPath, 'dataset'] });
  else if (isDataset(datasetCfg)) dataset = datasetCfg;
  else throw new ConfigError([...keyPath, 'dataset'], `expected a dataset config {type: ...}, got ${describe(datasetCfg)}`);

  if (numBatches !== undefined) {
    const n = parseOptions(z.number().int().positive(), numBatches, [...keyPath, 'num_batch_per_epoch']);
    const batchSize = (rest.batch_size ?? (isPlainObject(batchSamplerCfg) ? batchSamplerCfg.batch_size : undefined) ?? 1) as number;
    dataset = new SlicedDataset(dataset, n * batchSize * dist.worldSize);
  }

  if (samplerCfg === undefined || samplerCfg === null) {
    throw new ConfigError([...keyPath, 'sampler'], "expected a sampler config such as {type: 'DefaultSampler', shuffle: true}, got nothing");
  }
  const samplerSeed = opts.diffRankSeed ? null : opts.seed ?? null;
  const sampler = isPlainObject(samplerCfg)
    ? DATA_SAMPLERS.build<Sampler>(samplerCfg, { keyPath: [...keyPath, 'sampler'], defaultArgs: samplerSeed === null ? {} : { seed: samplerSeed }, extraArgs: [dataset, dist] })
    : samplerCfg;

  const loaderOptions: Record<string, unknown> = { ...rest };
  if (opts.seed !== undefined && opts.seed !== null && loaderOptions.seed === undefined) loaderOptions.seed = opts.seed;
  if (batchSamplerCfg === undefined || batchSamplerCfg === null) {
    loaderOptions.sampler = sampler;
  } else if (isPlainObject(batchSamplerCfg)) {
    // The loader's batch_size goes to the batch sampler (MMEngine's default_args).
    const batchSize = loaderOptions.batch_size;
    delete loaderOptions.batch_size;
    loaderOptions.batch_sampler = DATA_SAMPLERS.build<BatchSamplerLike>(batchSamplerCfg, {
      keyPath: [...keyPath, 'batch_sampler'],
      defaultArgs: batchSize === undefined ? {} : { batch_size: batchSize },
      extraArgs: [sampler],
    });
  } else {
    loaderOptions.batch_sampler = batchSamplerCfg;
  }
  return new DataLoader<Batch>(dataset, loaderOptions, opts);
}
