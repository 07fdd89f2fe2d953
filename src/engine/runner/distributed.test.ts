// The engine on 2 ranks (gloo, 127.0.0.1): SyncBuffersHook averages BN buffers, DefaultSampler /
// InfiniteSampler shard like MMEngine's and reshuffle per epoch via DistSamplerSeedHook, and a
// metric's results are gathered in dataset order with the padding dropped.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runWorkers, type WorkerOutcome } from '../../torch/distributed/testing/launch.js';
import { SeededRandom } from '../dataset/random.js';

const WORKER = fileURLToPath(new URL('./testing/dist-engine-worker.js', import.meta.url));
type Report = Record<string, any>;
let reports: Report[] = [];

before(async () => {
  const outcomes: WorkerOutcome[] = await runWorkers(WORKER, 2, { killAfterMs: 40_000 });
  for (const o of outcomes) assert.equal(o.exitCode, 0, `rank ${o.rank}: ${o.error}`);
  reports = outcomes.map((o) => o.result as Report);
});

test('SyncBuffersHook: after a train epoch both ranks hold the mean BN statistics; num_batches_tracked stays per rank', () => {
  for (const [rank, r] of reports.entries()) {
    assert.deepEqual(r.afterTrainEpoch.mean, [1.5, 1.5, 1.5]);
    assert.deepEqual(r.afterTrainEpoch.var, [3, 3, 3]);
    assert.deepEqual(r.afterTrainEpoch.nbt, [5 * (rank + 1)]);
  }
});

test('SyncBuffersHook: before val it syncs only when no train epoch did since the last validation', () => {
  assert.deepEqual(reports[0]!.firstVal, [10, 10, 10]);
  assert.deepEqual(reports[1]!.firstVal, [20, 20, 20]);
  for (const r of reports) assert.deepEqual(r.secondVal, [15, 15, 15]);
});

test('DefaultSampler: same seed on both ranks, shards are indices[rank:total:world] of the padded permutation', () => {
  const [a, b] = reports as [Report, Report];
  assert.equal(a.sampler.seed, b.sampler.seed, 'seed null is synced from rank 0');
  for (const [epoch, idx0] of (a.sampler.epochs as number[][]).entries()) {
    const perm = Array.from(new SeededRandom(a.sampler.seed + epoch).permutation(11));
    const padded = [...perm, ...perm].slice(0, 12);
    assert.deepEqual(idx0, padded.filter((_, k) => k % 2 === 0));
    const idx1 = b.sampler.epochs[epoch] as number[];
    assert.deepEqual(idx1, padded.filter((_, k) => k % 2 === 1));
    assert.equal(idx0.length, 6);
    assert.equal(idx1.length, 6);
    assert.deepEqual(new Set([...idx0, ...idx1]), new Set(Array.from({ length: 11 }, (_, i) => i)), 'together they cover the dataset');
    // The only overlap is the one padding repeat (perm[0] again at position 11).
    assert.deepEqual(idx0.filter((i) => idx1.includes(i)).concat(idx1.filter((i) => idx0.includes(i))).length <= 2, true);
  }
  assert.notDeepEqual(a.sampler.epochs[0], a.sampler.epochs[1], 'reshuffled per epoch');
  assert.notDeepEqual(a.sampler.epochs[1], a.sampler.epochs[2], 'reshuffled per epoch');
});

test('InfiniteSampler: the ranks take alternate elements of one shared stream', () => {
  const [a, b] = reports as [Report, Report];
  assert.equal(a.infinite.seed, b.infinite.seed);
  const stream: number[] = [];
  for (let pass = 0; pass < 4; pass++) stream.push(...new SeededRandom(a.infinite.seed + pass).permutation(5));
  assert.deepEqual(a.infinite.first, stream.filter((_, k) => k % 2 === 0).slice(0, 10));
  assert.deepEqual(b.infinite.first, stream.filter((_, k) => k % 2 === 1).slice(0, 10));
});

test('metric results are gathered in dataset order without the padding; every rank gets rank 0\'s metrics', () => {
  assert.deepEqual(reports[0]!.shard, [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(reports[1]!.shard, [1, 3, 5, 7, 9, 0]);
  for (const r of reports) assert.deepEqual(r.metrics, { 'idx/order': '0,1,2,3,4,5,6,7,8,9,10', 'idx/intact': 1 });
});
