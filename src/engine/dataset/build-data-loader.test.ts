import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../config/errors.js';
import { BatchSampler } from './batch-sampler.js';
import { buildDataLoader } from './build-data-loader.js';
import { DataLoader } from './data-loader.js';
import { DefaultSampler } from './default-sampler.js';
import { InfiniteSampler } from './infinite-sampler.js';
import { SlicedDataset } from './sliced-dataset.js';
import { TEST_HELPERS_URL, ToyDataset } from './test-helpers.js';

const dataset = { type: 'ToyDataset', num_items: 10, pipeline: [{ type: 'MakeArray', size: 2 }] };
const keyPath = ['train_dataloader'];

async function labels(loader: DataLoader<{ label: number[] }>): Promise<number[][]> {
  const out: number[][] = [];
  for await (const b of loader) out.push(b.label);
  return out;
}

test('builds dataset, sampler and collate from their registries, with the run seed as sampler default', async () => {
  const loader = buildDataLoader<{ label: number[] }>({
    batch_size: 4,
    num_workers: 0,
    sampler: { type: 'DefaultSampler', shuffle: true },
    dataset,
  }, { keyPath, seed: 21 });
  assert.ok(loader.dataset instanceof ToyDataset);
  assert.ok(loader.sampler instanceof DefaultSampler);
  assert.equal(loader.sampler.seed, 21);
  assert.equal(loader.length, 3);
  const order = [...new DefaultSampler({ seed: 21 }, { length: 10 })].map((i) => 10 * i);
  assert.deepEqual(await labels(loader), [order.slice(0, 4), order.slice(4, 8), order.slice(8)]);
  assert.equal(buildDataLoader(loader), loader, 'a DataLoader passes through');
  const ownSeed = buildDataLoader({ sampler: { type: 'DefaultSampler', seed: 3 }, dataset }, { seed: 21 });
  assert.equal((ownSeed.sampler as DefaultSampler).seed, 3);
});

test('sampler rank and world size, num_batch_per_epoch and a batch_sampler config', async () => {
  const ranked = buildDataLoader({ batch_size: 2, sampler: { type: 'InfiniteSampler', shuffle: false }, dataset }, { rank: 1, worldSize: 2 });
  assert.equal((ranked.sampler as InfiniteSampler).rank, 1);
  const first: number[][] = [];
  for await (const b of ranked as DataLoader<{ label: number[] }>) if (first.push(b.label) === 2) break;
  assert.deepEqual(first, [[10, 30], [50, 70]]);

  const sliced = buildDataLoader<{ label: number[] }>({ batch_size: 3, num_batch_per_epoch: 2, sampler: { type: 'DefaultSampler', shuffle: false }, dataset });
  assert.ok(sliced.dataset instanceof SlicedDataset);
  assert.deepEqual(await labels(sliced), [[0, 10, 20], [30, 40, 50]]);

  const batched = buildDataLoader<{ label: number[] }>({
    batch_size: 4,
    sampler: { type: 'DefaultSampler', shuffle: false },
    batch_sampler: { type: 'BatchSampler', drop_last: true },
    dataset,
  });
  assert.ok(batched.batchSampler instanceof BatchSampler);
  assert.equal(batched.batchSize, null);
  assert.deepEqual(await labels(batched), [[0, 10, 20, 30], [40, 50, 60, 70]]);
});

test('config errors name the key path', () => {
  const build = (cfg: Record<string, unknown>) => () => buildDataLoader({ sampler: { type: 'DefaultSampler' }, dataset, ...cfg }, { keyPath });
  const fails = (cfg: Record<string, unknown>, message: string) =>
    assert.throws(build(cfg), (e: unknown) => e instanceof ConfigError && e.message === message, message);
  fails({ batch_size: '4' }, 'train_dataloader.batch_size: expected number, got "4"');
  fails({ num_workres: 2 }, "train_dataloader: unknown key 'num_workres'");
  fails({ sampler: { type: 'DefaultSampler', shuffle: 'yes' } }, 'train_dataloader.sampler.shuffle: expected boolean, got "yes"');
  fails({ sampler: undefined }, "train_dataloader.sampler: expected a sampler config such as {type: 'DefaultSampler', shuffle: true}, got nothing");
  fails({ dataset: 'ade20k' }, 'train_dataloader.dataset: expected a dataset config {type: ...}, got "ade20k"');
  fails({ num_batch_per_epoch: 0 }, 'train_dataloader.num_batch_per_epoch: Too small: expected number to be >0 (got 0)');
  fails({ prefetch_factor: 4 }, 'train_dataloader.prefetch_factor: needs num_workers > 0');
  fails({ batch_sampler: { type: 'BatchSampler' }, batch_size: 2, drop_last: true }, 'train_dataloader.batch_sampler: is mutually exclusive with sampler, batch_size and drop_last');
  assert.throws(build({ sampler: { type: 'InfinitSampler' } }), /^ConfigError: train_dataloader\.sampler\.type: 'InfinitSampler' is not in the DATA_SAMPLERS registry; did you mean 'InfiniteSampler'/);
  assert.throws(build({ collate_fn: { type: 'default_colate' } }), /train_dataloader\.collate_fn\.type: 'default_colate' is not in the COLLATE_FUNCTIONS registry; did you mean 'default_collate'/);
  assert.throws(build({ collate_fn: 'pseudo_collate' }), /^ConfigError: train_dataloader\.collate_fn: expected a function or a config \{type: '<collate function registered in COLLATE_FUNCTIONS>'\}/);
  assert.throws(build({ dataset: { ...dataset, pipeline: [{ type: 'MakeArray', sise: 2 }] } }), /^ConfigError: train_dataloader\.dataset\.pipeline\.0: unknown key 'sise'$/m);
});

test('a config-built loader runs its workers from the registered modules', async () => {
  const loader = buildDataLoader<{ label: number[] }>({
    batch_size: 5, num_workers: 2, persistent_workers: true, sampler: { type: 'DefaultSampler', shuffle: false }, dataset,
  }, { keyPath, workerModules: [TEST_HELPERS_URL] });
  try {
    assert.deepEqual(await labels(loader), [[0, 10, 20, 30, 40], [50, 60, 70, 80, 90]]);
    assert.equal(loader.workerThreadIds.length, 2);
  } finally {
    await loader.close();
  }
});
