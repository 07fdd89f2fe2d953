// Collectives across two real processes (Gloo on 127.0.0.1): values on every rank.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runWorkers, type WorkerOutcome } from './testing/launch.js';

const WORKER = fileURLToPath(new URL('./testing/collectives-worker.js', import.meta.url));
let outcomes: Promise<WorkerOutcome[]> | null = null;
const run = (): Promise<WorkerOutcome[]> => (outcomes ??= runWorkers(WORKER, 2));

async function results(): Promise<Record<string, unknown>[]> {
  const outs = await run();
  for (const o of outs) assert.equal(o.error, undefined, `rank ${o.rank} failed: ${o.error}`);
  return outs.map((o) => o.result as Record<string, unknown>);
}

test('every rank sees its rank, the world size and LOCAL_RANK', async () => {
  const rs = await results();
  assert.deepEqual(rs.map((r) => [r.rank, r.worldSize, r.localRank]), [[0, 2, 0], [1, 2, 1]]);
});

test('allReduce sums, averages, takes max/min/product in place on every rank', async () => {
  for (const r of await results()) {
    // rank 0 contributes [1, 10, -0], rank 1 [2, 20, -1]
    assert.deepEqual(r.sum, [3, 30, -1]);
    assert.deepEqual(r.avg, [1.5, 15, -0.5]);
    assert.deepEqual(r.max, [2, 20, 0]);
    assert.deepEqual(r.min, [1, 10, -1]);
    assert.deepEqual(r.product, [2, 200, 0]);
    assert.deepEqual(r.sumSync, [3, 30, -1]);
  }
});

test('broadcast copies the source rank into every rank', async () => {
  for (const r of await results()) {
    assert.deepEqual(r.broadcast, [1, 1.5]);
    assert.deepEqual(r.broadcastSync, [0]);
  }
});

test('allGather returns one tensor per rank in rank order', async () => {
  for (const r of await results()) {
    assert.deepEqual(r.allGather, [[[0, 0]], [[1, 2]]]);
    assert.deepEqual(r.allGatherSync, [[0], [1]]);
  }
});

test('allGatherObject and broadcastObject carry JSON values of different sizes', async () => {
  for (const r of await results()) {
    assert.deepEqual(r.allGatherObject, [{ rank: 0, name: 'r0', list: [0] }, { rank: 1, name: 'r1', list: [0, 1] }]);
    assert.deepEqual(r.broadcastObject, { from: 'one', n: [1, 2] });
  }
});

test('awaiting a barrier keeps the event loop running while the other rank is late', async () => {
  const [r0] = await results();
  // rank 1 arrives 300 ms late; a 10 ms interval on rank 0 must keep firing meanwhile
  assert.ok((r0!.ticksDuringBarrier as number) >= 10, `only ${String(r0!.ticksDuringBarrier)} ticks`);
});
