// Per-batch seeding of the data random stream: same augmentations for any num_workers and after a resume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDataset } from './build-dataset.js';
import { DataLoader } from './data-loader.js';
import { DefaultSampler } from './default-sampler.js';
import { InfiniteSampler } from './infinite-sampler.js';
import { batchDataSeed, SeededRandom } from './random.js';
import type { BatchSamplerLike, SamplerState } from './sampler.js';
import { TEST_HELPERS_URL } from './test-helpers.js';

const workerModules = [TEST_HELPERS_URL];
type Batch = { label: number[]; rand: number[] };
/** RecordThread draws rand from dataRandom(), standing in for RandomFlip and friends. */
const dataset = () => buildDataset({ type: 'ToyDataset', num_items: 10, pipeline: [{ type: 'MakeArray', size: 2 }, { type: 'RecordThread' }] });
const view = (b: Batch) => ({ label: b.label, rand: b.rand });

type Kind = 'epoch' | 'infinite';
function loader(kind: Kind, numWorkers: number, seed: number | null = 11, rank = 0): DataLoader<Batch> {
  const ds = dataset();
  const sampler = kind === 'epoch' ? new DefaultSampler({ seed: 3 }, ds) : new InfiniteSampler({ seed: 3 }, ds);
  return new DataLoader<Batch>(ds, { batch_size: 2, sampler, num_workers: numWorkers, seed }, { workerModules, rank });
}

/** n batches over as many epochs as needed (setEpoch as the train loop's hook does), from `epoch`; onBatch(count) after each. */
async function take(l: DataLoader<Batch>, n: number, epoch = 0, onBatch?: (count: number) => void): Promise<ReturnType<typeof view>[]> {
  const out: ReturnType<typeof view>[] = [];
  for (; out.length < n; epoch++) {
    l.sampler?.setEpoch?.(epoch);
    for await (const b of l) {
      out.push(view(b));
      onBatch?.(out.length);
      if (out.length >= n) break;
    }
  }
  return out;
}

test('batchDataSeed mixes base seed, rank and batch through splitmix64 (reference values from an independent Python implementation)', () => {
  assert.equal(batchDataSeed(0, 0, 0), 1249383295688599);
  assert.equal(batchDataSeed(11, 0, 4), 4867709914918715);
  assert.equal(batchDataSeed(11, 1, 4), 3804269172549115);
  assert.equal(batchDataSeed(-5, 3, 123456789), 5666927332017318);
  assert.throws(() => batchDataSeed(1, 0, 0.5), /batchDataSeed: batch must be a safe integer, got 0\.5/);
});

test('num_workers 0, 1 and 2 give the same augmented batches, each drawn from batchDataSeed(seed, rank, batch number)', async () => {
  const here = await take(loader('epoch', 0), 12);
  assert.deepEqual(await take(loader('epoch', 1), 12), here);
  assert.deepEqual(await take(loader('epoch', 2), 12), here);
  // Batch k's samples draw, in order, from a stream seeded with batchDataSeed(11, 0, k), across the epoch boundary at k = 5.
  here.forEach((b, k) => {
    const rng = new SeededRandom(batchDataSeed(11, 0, k));
    assert.deepEqual(b.rand, [rng.randint(1_000_000), rng.randint(1_000_000)], `batch ${k}`);
  });
  assert.notDeepEqual(here.slice(0, 5).map((b) => b.label), here.slice(5, 10).map((b) => b.label), 'epoch 1 reshuffles');
  const otherRank = await take(loader('epoch', 2, 11, 1), 3);
  assert.deepEqual(otherRank.map((b) => b.label), here.slice(0, 3).map((b) => b.label));
  assert.notDeepEqual(otherRank.map((b) => b.rand), here.slice(0, 3).map((b) => b.rand), 'ranks get different streams');
});

for (const kind of ['epoch', 'infinite'] as const) {
  for (const numWorkers of [2, 0]) {
    test(`${kind} sampler, num_workers ${numWorkers}: a stateDict taken after batch 4 (workers prefetch ahead) resumes with batches 5-7`, async () => {
      const a = loader(kind, numWorkers);
      let state: SamplerState | undefined;
      const all = await take(a, 7, 0, (count) => {
        if (count === 4) state = a.stateDict();
      });
      const samplerPart = kind === 'epoch' ? { epoch: 0, position: 8, seed: 3 } : { position: 8, seed: 3 };
      assert.deepEqual(state, { ...samplerPart, loader_batches: 4, loader_seed: 11 });
      assert.deepEqual(all, await take(loader(kind, 0), 7), 'same batches as the main thread');
      // A fresh loader with another seed: the state brings the loader's seed along.
      const b = loader(kind, numWorkers, 999);
      b.loadStateDict(JSON.parse(JSON.stringify(state)) as SamplerState);
      assert.equal(b.seed, 11);
      assert.equal(b.batchesDelivered, 4);
      const rest = await take(b, 3);
      assert.deepEqual(rest, all.slice(4, 7));
      if (kind === 'epoch') assert.deepEqual(b.stateDict(), { epoch: 1, position: 4, seed: 3, loader_batches: 7, loader_seed: 11 });
      else assert.deepEqual(b.stateDict(), { position: 14, seed: 3, loader_batches: 7, loader_seed: 11 });
    });
  }
}

test('a state without loader_batches (older checkpoints) counts from the sampler position; unknown samplers from 0', async () => {
  for (const kind of ['epoch', 'infinite'] as const) {
    const all = await take(loader(kind, 0), 7);
    const b = loader(kind, 2);
    b.loadStateDict(kind === 'epoch' ? { epoch: 0, position: 8, seed: 3 } : { position: 8, seed: 3 });
    assert.equal(b.batchesDelivered, 4);
    assert.deepEqual(await take(b, 3), all.slice(4, 7), kind);
  }
  const later = loader('epoch', 0);
  later.loadStateDict({ epoch: 3, position: 10, seed: 3 });
  assert.equal(later.batchesDelivered, 3 * 5 + 5, 'a finished epoch counts all its batches');

  // A batch sampler with a state the loader cannot read a batch count from.
  let position = 0;
  const custom: BatchSamplerLike = {
    length: 3,
    *[Symbol.iterator]() {
      while (position < 3) yield [position++];
    },
    stateDict: () => ({ at: position }),
    loadStateDict: (s) => {
      position = s.at as number;
    },
  };
  const c = new DataLoader<Batch>(dataset(), { batch_sampler: custom, seed: 11 });
  c.loadStateDict({ at: 1 });
  assert.equal(c.batchesDelivered, 0);
  const [first] = await take(c, 1);
  const rng = new SeededRandom(batchDataSeed(11, 0, 0));
  assert.deepEqual(first, { label: [10], rand: [rng.randint(1_000_000)] });
  assert.throws(() => c.loadStateDict({ at: 0, loader_batches: -1 }), /DataLoader\.loadStateDict: 'loader_batches' must be an integer in 0\.\./);
});
