import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { threadId } from 'node:worker_threads';
import { ConfigError } from '../config/errors.js';
import { buildDataset } from './build-dataset.js';
import type { NdArray } from './collate.js';
import { DataLoader } from './data-loader.js';
import { DefaultSampler } from './default-sampler.js';
import { InfiniteSampler } from './infinite-sampler.js';
import type { Sampler } from './sampler.js';
import { TEST_HELPERS_URL, ToyDataset } from './test-helpers.js';
import { DataLoaderError } from './worker-protocol.js';
import { DataLoaderStartError } from './worker-pool.js';

const workerModules = [TEST_HELPERS_URL];
const toy = (pipeline: unknown[] = [{ type: 'MakeArray', size: 3 }], numItems = 10) => ({ type: 'ToyDataset', num_items: numItems, pipeline });
type Batch = { label: number[]; img: NdArray[]; thread_id: number[]; prev_detached: (boolean | null)[]; worker_tag: unknown[]; rand: number[]; dataset_loads: number[] };

async function collect<B>(loader: AsyncIterable<B>, limit = Infinity): Promise<B[]> {
  const out: B[] = [];
  if (limit <= 0) return out;
  for await (const b of loader) {
    out.push(b);
    if (out.length >= limit) break;
  }
  return out;
}

/** A sampler wrapper that counts the indices pulled from it. */
function counting(sampler: Sampler): Sampler & { pulled: number } {
  const wrapper = {
    pulled: 0,
    get length() { return sampler.length; },
    *[Symbol.iterator]() {
      for (const i of sampler) {
        wrapper.pulled++;
        yield i;
      }
    },
  };
  return wrapper;
}

test('0 and 2 workers give identical batches in identical order, stacked by default_collate', async () => {
  const options = (numWorkers: number) => {
    const dataset = buildDataset(toy([{ type: 'MakeArray', size: 3 }], 11));
    return new DataLoader(dataset, { batch_size: 3, sampler: new DefaultSampler({ seed: 7 }, dataset), num_workers: numWorkers, collate_fn: { type: 'default_collate' } }, { workerModules });
  };
  const here = await collect(options(0) as DataLoader<{ img: NdArray; label: NdArray }>);
  const there = await collect(options(2) as DataLoader<{ img: NdArray; label: NdArray }>);
  assert.equal(here.length, 4);
  assert.deepEqual(there, here);
  assert.deepEqual(here.map((b) => b.img.shape), [[3, 3], [3, 3], [3, 3], [2, 3]]);
  const order = [...new DefaultSampler({ seed: 7 }, { length: 11 })];
  assert.deepEqual(here.flatMap((b) => [...b.label.data]), order.map((i) => 10 * i));
  assert.ok(there[0]!.img.data instanceof Float32Array);
});

test('workers move typed arrays to the main thread instead of copying them', async () => {
  const loader = new DataLoader<Batch>(toy([{ type: 'MakeArray', size: 1024 }, { type: 'RecordThread' }], 6), { batch_size: 2, num_workers: 1 }, { workerModules });
  const batches = await collect(loader);
  const flags = batches.flatMap((b) => b.prev_detached);
  // The worker's previous sample array was emptied by the transfer before the next sample ran.
  assert.deepEqual(flags, [null, false, true, false, true, false]);
  assert.notEqual(batches[0]!.thread_id[0], threadId);
  assert.equal(batches[2]!.img[1]!.data[0], 50);
});

test('prefetch keeps prefetch_factor batches per worker in flight and yields in order when later batches finish first', async () => {
  const dataset = buildDataset(toy([{ type: 'SleepAt', indices: [0, 2], ms: 60 }, { type: 'MakeArray', size: 2 }], 12));
  const sampler = counting(new DefaultSampler({ shuffle: false }, dataset));
  const loader = new DataLoader<Batch>(dataset, { batch_size: 1, sampler, num_workers: 2, prefetch_factor: 3 }, { workerModules });
  const labels: number[] = [];
  let pulledAtFirst = -1;
  for await (const batch of loader) {
    if (labels.length === 0) {
      await new Promise((r) => setTimeout(r, 50));
      pulledAtFirst = sampler.pulled;
    }
    labels.push(...batch.label);
  }
  assert.deepEqual(labels, Array.from({ length: 12 }, (_, i) => 10 * i));
  assert.equal(pulledAtFirst, 1 + 2 * 3, 'while the first batch is in use, 2 workers x 3 batches are in flight');
});

test('an error in a worker names the dataset index and carries the worker stack', async () => {
  const loader = new DataLoader(toy([{ type: 'MakeArray' }, { type: 'ThrowAt', index: 7 }]), { batch_size: 2, num_workers: 2 }, { workerModules });
  const err = await collect(loader).catch((e: unknown) => e);
  assert.ok(err instanceof DataLoaderError, String(err));
  assert.equal(err.index, 7);
  assert.deepEqual(err.indices, [6, 7]);
  assert.equal(err.workerId, 1);
  assert.equal(err.message, 'DataLoader worker 1: dataset index 7 (ToyDataset): pipeline.1 (ThrowAt): boom at sample 7');
  assert.match(err.stack!, /--- stack in DataLoader worker 1 ---\nTransformError: pipeline\.1 \(ThrowAt\)[^]*Caused by: Error: boom at sample 7\n\s+at ThrowAt\.transform/);
  const here = new DataLoader(toy([{ type: 'ThrowAt', index: 3 }]), { batch_size: 2 });
  await assert.rejects(collect(here), /^DataLoaderError: dataset index 3 \(ToyDataset\): pipeline\.0 \(ThrowAt\): boom at sample 3$/m);
});

test('persistent workers keep their threads across epochs until close(); others restart each epoch', async () => {
  const persistent = new DataLoader<Batch>(toy([{ type: 'RecordThread' }], 8), { batch_size: 2, num_workers: 2, persistent_workers: true }, { workerModules });
  const epoch1 = await collect(persistent);
  const ids = persistent.workerThreadIds;
  assert.equal(ids.length, 2);
  assert.deepEqual(new Set(epoch1.flatMap((b) => b.thread_id)), new Set(ids));
  assert.deepEqual(new Set(epoch1.flatMap((b) => b.dataset_loads)), new Set([0]), 'workers used the shared annotations instead of loading them');
  const epoch2 = await collect(persistent);
  assert.deepEqual(persistent.workerThreadIds, ids);
  assert.deepEqual(new Set(epoch2.flatMap((b) => b.thread_id)), new Set(ids));
  await persistent.close();
  assert.deepEqual(persistent.workerThreadIds, []);

  const transient = new DataLoader<Batch>({ ...toy([{ type: 'RecordThread' }], 4), serialize_data: false }, { batch_size: 2, num_workers: 1 }, { workerModules });
  const first = (await collect(transient))[0]!.thread_id[0];
  assert.deepEqual(transient.workerThreadIds, [], 'workers stop after the epoch');
  const second = (await collect(transient))[0]!.thread_id[0];
  assert.equal((await collect(transient))[0]!.dataset_loads[0], 1, 'without serialized annotations each worker loads them itself');
  assert.notEqual(first, second);
});

test('idle persistent workers do not keep the process alive when close() is forgotten', () => {
  const script = `
    import { DataLoader } from ${JSON.stringify(new URL('./data-loader.js', import.meta.url).href)};
    import ${JSON.stringify(TEST_HELPERS_URL)};
    const loader = new DataLoader({ type: 'ToyDataset', num_items: 4 }, { batch_size: 2, num_workers: 2, persistent_workers: true },
      { workerModules: [${JSON.stringify(TEST_HELPERS_URL)}] });
    let n = 0;
    for await (const batch of loader) n++;
    console.log('batches', n, 'workers', loader.workerThreadIds.length);`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), 'batches 2 workers 2');
});

test('worker seeds and worker_init_fn: same seed same random stream, per-worker tags', async () => {
  const run = async (seed: number) => {
    const loader = new DataLoader<Batch>(toy([{ type: 'RecordThread' }], 6), { batch_size: 1, num_workers: 2, seed, worker_init_fn: { type: 'tag_worker', tag: 'x' } }, { workerModules });
    return collect(loader);
  };
  const a = await run(1);
  const b = await run(1);
  const c = await run(2);
  assert.deepEqual(a.map((x) => x.rand), b.map((x) => x.rand));
  assert.notDeepEqual(a.map((x) => x.rand), c.map((x) => x.rand));
  assert.deepEqual(a.map((x) => x.worker_tag[0]), ['tag-0-x', 'tag-1-x', 'tag-0-x', 'tag-1-x', 'tag-0-x', 'tag-1-x']);
});

test('InfiniteSampler keeps the loader going over many passes', async () => {
  const dataset = buildDataset(toy([{ type: 'MakeArray', size: 1 }], 5));
  const loader = new DataLoader<Batch>(dataset, { batch_size: 2, sampler: new InfiniteSampler({ seed: 3 }, dataset), num_workers: 2 }, { workerModules });
  assert.equal(loader.length, 3);
  const labels = (await collect(loader, 10)).flatMap((b) => b.label).map((v) => v / 10);
  const sorted = (xs: number[]) => [...xs].sort((x, y) => x - y);
  for (let p = 0; p < 4; p++) assert.deepEqual(sorted(labels.slice(5 * p, 5 * p + 5)), [0, 1, 2, 3, 4], `pass ${p}`);
});

test('a loader resumed from stateDict() continues with the same batches and reads only those', async () => {
  const reference = new DataLoader<Batch>(toy(), { batch_size: 2, sampler: new DefaultSampler({ seed: 5 }, { length: 10 }) });
  const all = (await collect(reference)).map((b) => b.label);

  // With workers prefetching ahead, the saved position is that of the batches handed out.
  const first = new DataLoader<Batch>(toy(), { batch_size: 2, sampler: new DefaultSampler({ seed: 5 }, { length: 10 }), num_workers: 2 }, { workerModules });
  let state;
  let seen = 0;
  for await (const batch of first) {
    assert.deepEqual(batch.label, all[seen]);
    if (++seen === 2) {
      state = first.stateDict();
      break;
    }
  }
  assert.deepEqual(state, { epoch: 0, position: 4, seed: 5, loader_batches: 2, loader_seed: first.seed });
  assert.deepEqual(first.stateDict(), state, 'the sampler was rewound to what was consumed');

  const reads: number[] = [];
  const counted = buildDataset(toy()) as ToyDataset;
  const getItem = counted.getItem.bind(counted);
  counted.getItem = (i: number) => {
    reads.push(i);
    return getItem(i);
  };
  const resumed = new DataLoader<Batch>(counted, { batch_size: 2, sampler: new DefaultSampler({ seed: 0 }, counted) });
  resumed.loadStateDict(state!);
  const rest = (await collect(resumed)).map((b) => b.label);
  assert.deepEqual(rest, all.slice(2));
  assert.equal(reads.length, 6, 'skipped samples are not read');
});

test('a dataset instance cannot go to workers; functions in the config name their key path', async () => {
  const instance = new ToyDataset({ num_items: 3 });
  assert.throws(() => new DataLoader(instance, { num_workers: 2 }, { keyPath: ['train_dataloader'] }),
    (e: unknown) => e instanceof ConfigError && /^train_dataloader\.dataset: num_workers 2 needs the dataset as a config \{type: \.\.\.\} so each worker can build its own copy, but this ToyDataset instance was not built from one/.test(e.message));
  assert.equal((await collect(new DataLoader(instance, { batch_size: 3 }))).length, 1, 'fine without workers');
  assert.throws(() => new DataLoader(toy([(r: unknown) => r]), { num_workers: 1 }, { keyPath: ['val_dataloader'] }),
    /^ConfigError: val_dataloader\.dataset\.pipeline\.0: a function \(a function or class\) cannot be sent to DataLoader workers/);
  assert.throws(() => new DataLoader(toy(), { persistent_workers: true }, { keyPath: ['x'] }), /x\.persistent_workers: needs num_workers > 0/);
  assert.throws(() => new DataLoader(toy(), { batch_size: '4' }, { keyPath: ['train_dataloader'] }), /^ConfigError: train_dataloader\.batch_size: expected number, got "4"$/m);
});

test('a worker that cannot build the dataset fails with its reason; a plain collate function runs in the main thread', async () => {
  const noModules = new DataLoader(toy(), { num_workers: 1 });
  const err = await collect(noModules).catch((e: unknown) => e);
  assert.ok(err instanceof DataLoaderStartError, String(err));
  assert.match(err.message, /^DataLoader worker 0 could not start: dataset\.type: 'ToyDataset' is not in the DATASETS registry/);

  const labelsTimesTen = (batch: unknown[]) => batch.map((s) => (s as { label: number }).label * 10);
  const local = new DataLoader<number[]>(toy(undefined, 4), { batch_size: 2, num_workers: 1, collate_fn: labelsTimesTen }, { workerModules });
  assert.deepEqual(await collect(local), [[0, 100], [200, 300]]);
  const named = new DataLoader<number[]>(toy(undefined, 4), { batch_size: 2, num_workers: 1, collate_fn: { type: 'scaled_labels', scale: 2 } }, { workerModules });
  assert.deepEqual(await collect(named), [[0, 20], [40, 60]]);
});
