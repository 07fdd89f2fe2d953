// Dataset wrappers through real DataLoaders with worker threads, buildDataLoader and a Python config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { loadConfig } from '../../config/index.js';
import { buildDataLoader } from '../build-data-loader.js';
import { buildDataset } from '../build-dataset.js';
import { pseudoCollate } from '../collate.js';
import { DataLoader } from '../data-loader.js';
import { DefaultSampler } from '../default-sampler.js';
import { InfiniteSampler } from '../infinite-sampler.js';
import { TEST_HELPERS_URL, ToyDataset } from '../test-helpers.js';
import { ConcatDataset, DATASET_WRAPPERS_MODULE, RepeatDataset } from './index.js';

const workerModules = [TEST_HELPERS_URL, DATASET_WRAPPERS_MODULE];
const toy = (numItems: number, pipeline: unknown[] = [{ type: 'MakeArray', size: 2 }]) => ({ type: 'ToyDataset', num_items: numItems, pipeline });
const nestedCfg = (pipeline?: unknown[]) => ({
  type: 'RepeatDataset', times: 3,
  dataset: { type: 'ConcatDataset', datasets: [toy(3, pipeline), toy(2, pipeline)] },
});

async function collect<B>(loader: AsyncIterable<B>, limit = Infinity): Promise<B[]> {
  const out: B[] = [];
  for await (const b of loader) {
    out.push(b);
    if (out.length >= limit) break;
  }
  return out;
}

test('RepeatDataset of ConcatDataset with 2 workers gives the unwrapped datasets\' items in sampler order', async () => {
  const wrapped = buildDataset(nestedCfg()) as RepeatDataset;
  const sampler = new DefaultSampler({ seed: 3 }, wrapped);
  const loader = new DataLoader(wrapped, { batch_size: 4, sampler, num_workers: 2 }, { workerModules });
  const batches = await collect(loader);

  // The same items straight from the unwrapped datasets: index i is item (i % 5) of [3 items, 2 items].
  const parts = [3, 2].map((n) => { const { type: _, ...options } = toy(n); return new ToyDataset(options); });
  const order = [...new DefaultSampler({ seed: 3 }, { length: 15 })];
  const items = await Promise.all(order.map((i) => (i % 5 < 3 ? parts[0]!.getItem(i % 5) : parts[1]!.getItem(i % 5 - 3))));
  const expected = [0, 4, 8, 12].map((k) => pseudoCollate(items.slice(k, k + 4)));
  assert.equal(batches.length, 4);
  assert.deepEqual(batches, expected);
  assert.deepEqual((batches[0] as { value: number[] }).value, order.slice(0, 4).map((i) => 10 * (i % 5 < 3 ? i % 5 : i % 5 - 3)));
});

test('workers adopt the main thread\'s annotations through the wrappers instead of loading them', async () => {
  const loader = new DataLoader<{ thread_id: number[]; dataset_loads: number[]; value: number[] }>(
    nestedCfg([{ type: 'RecordThread' }]), { batch_size: 5, num_workers: 2 }, { workerModules });
  const batches = await collect(loader);
  assert.equal(batches.length, 3);
  assert.deepEqual(batches.flatMap((b) => b.value), [0, 10, 20, 0, 10, 0, 10, 20, 0, 10, 0, 10, 20, 0, 10]);
  assert.ok(batches.every((b) => b.thread_id.every((t) => t !== threadId)), 'loaded in worker threads');
  assert.deepEqual(new Set(batches.flatMap((b) => b.dataset_loads)), new Set([0]));

  // Without serialized annotations there is nothing to share: each worker loads both datasets itself.
  const unshared = new DataLoader<{ dataset_loads: number[] }>({
    type: 'ConcatDataset', datasets: [{ ...toy(2, [{ type: 'RecordThread' }]), serialize_data: false }, { ...toy(2, [{ type: 'RecordThread' }]), serialize_data: false }],
  }, { batch_size: 4, num_workers: 1 }, { workerModules });
  assert.deepEqual((await collect(unshared))[0]!.dataset_loads, [2, 2, 2, 2]);
});

test('a wrapper around a dataset without a config cannot go to workers, and says which one', () => {
  const wrapped = new RepeatDataset({ dataset: new ToyDataset({ num_items: 2 }), times: 2 });
  assert.throws(() => new DataLoader(wrapped, { num_workers: 2 }, { keyPath: ['train_dataloader'] }),
    /^ConfigError: train_dataloader\.dataset: num_workers 2 needs the dataset as a config \{type: \.\.\.\} so each worker can build its own copy, but this RepeatDataset instance was not built from one/);
  const viaConfig = { type: 'ConcatDataset', datasets: [new ToyDataset({ num_items: 1 })] };
  assert.throws(() => new DataLoader(viaConfig, { num_workers: 1 }, { keyPath: ['train_dataloader'] }),
    /^ConfigError: train_dataloader\.dataset\.datasets\.0: a ToyDataset instance cannot be sent to DataLoader workers/);
});

test('buildDataLoader with an InfiniteSampler and num_batch_per_epoch over a RepeatDataset, 2 workers', async () => {
  const cfg = { dataset: { type: 'RepeatDataset', times: 40000, dataset: toy(20) }, sampler: { type: 'InfiniteSampler', shuffle: true }, batch_size: 4, num_workers: 2 };
  const loader = buildDataLoader<{ value: number[] }>(cfg, { seed: 5, workerModules });
  assert.equal(loader.dataset.length, 800_000);
  const batches = await collect(loader, 3);
  const stream = new InfiniteSampler({ shuffle: true, seed: 5 }, { length: 800_000 })[Symbol.iterator]();
  const expected = Array.from({ length: 12 }, () => 10 * ((stream.next().value as number) % 20));
  assert.deepEqual(batches.flatMap((b) => b.value), expected);
  await loader.close();

  const sliced = buildDataLoader<{ value: number[] }>({ ...cfg, sampler: { type: 'DefaultSampler', shuffle: false }, num_batch_per_epoch: 6 }, { workerModules });
  const epoch = await collect(sliced);
  assert.equal(epoch.length, 6);
  assert.deepEqual(epoch.flatMap((b) => b.value), Array.from({ length: 24 }, (_, i) => 10 * (i % 20)));
});

test('an MMSeg-style .py config with RepeatDataset and ConcatDataset builds through DATASETS', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-wrappers-'));
  writeFileSync(join(dir, 'cfg.py'), `dataset_type = 'ToyDataset'
train_pipeline = [dict(type='MakeArray', size=2)]
set_a = dict(type=dataset_type, num_items=3, pipeline=train_pipeline)
set_b = dict(type=dataset_type, num_items=2, pipeline=train_pipeline)
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='RepeatDataset',
        times=40000,
        dataset=dict(type='ConcatDataset', datasets=[set_a, set_b])))
`);
  const cfg = (await loadConfig(join(dir, 'cfg.py'), { validate: false })).dict as Record<string, Record<string, unknown>>;
  const dataset = buildDataset(cfg.train_dataloader!.dataset, { keyPath: ['train_dataloader', 'dataset'] }) as RepeatDataset;
  assert.equal(dataset.length, 200_000);
  assert.ok(dataset.dataset instanceof ConcatDataset);
  assert.deepEqual((dataset.dataset as ConcatDataset).cumulativeSizes, [3, 5]);
  assert.equal(((await dataset.getItem(199_999)) as { value: number }).value, 10);

  writeFileSync(join(dir, 'bad.py'), `train_dataloader = dict(dataset=dict(type='RepeatDataset', times=-1, dataset=dict(type='ToyDataset')))\n`);
  const bad = (await loadConfig(join(dir, 'bad.py'), { validate: false })).dict as Record<string, Record<string, unknown>>;
  assert.throws(() => buildDataset(bad.train_dataloader!.dataset, { keyPath: ['train_dataloader', 'dataset'] }),
    /^ConfigError: train_dataloader\.dataset\.times: expected a positive integer \(got -1\)$/m);
});
