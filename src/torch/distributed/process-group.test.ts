// The default group in one process: defaults when not distributed, option errors, a world of one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, randn } from '../creation.js';
import { manualSeed } from '../runtime.js';
import { Linear } from '../nn/linear.js';
import { mseLoss } from '../functional/loss.js';
import { freePort } from './testing/launch.js';
import { allGatherObject, allReduce, allReduceSync, broadcastObject, barrier } from './collectives.js';
import { DistributedDataParallel } from './distributed-data-parallel.js';
import { destroyProcessGroup, getLocalRank, getRank, getWorldSize, initProcessGroup, isInitialized } from './process-group.js';

test('not distributed: rank 0 of 1, collectives and DDP ask for initProcessGroup', () => {
  assert.equal(isInitialized(), false);
  assert.equal(getRank(), 0);
  assert.equal(getWorldSize(), 1);
  assert.equal(typeof getLocalRank(), 'number');
  assert.throws(() => allReduceSync(tensor([1])), /allReduce: the default process group is not initialized; call initProcessGroup\(\) first/);
  assert.throws(() => new DistributedDataParallel(new Linear(2, 2)), /DistributedDataParallel: the default process group is not initialized/);
});

test('initProcessGroup names the bad option', async () => {
  await assert.rejects(initProcessGroup({ initMethod: 'file:///tmp/x', rank: 0, worldSize: 1 }), /initMethod: expected 'env:\/\/' or 'tcp:\/\/host:port', got 'file:\/\/\/tmp\/x'/);
  await assert.rejects(initProcessGroup({ initMethod: 'tcp://127.0.0.1:1', rank: 2, worldSize: 2 }), /rank 2 is outside world size 2/);
  await assert.rejects(initProcessGroup({ backend: 'mpi' as 'gloo', rank: 0, worldSize: 1 }), /backend: expected 'gloo' \| 'nccl', got 'mpi'/);
  const saved = { ...process.env };
  delete process.env.RANK;
  await assert.rejects(initProcessGroup({ worldSize: 1 }), /rank not given and \$RANK is not set/);
  process.env.RANK = '0';
  process.env.WORLD_SIZE = '1';
  delete process.env.MASTER_ADDR;
  await assert.rejects(initProcessGroup(), /'env:\/\/' needs \$MASTER_ADDR and \$MASTER_PORT/);
  process.env = saved;
  assert.equal(isInitialized(), false);
});

test('a world of one: collectives are identities, DDP gives the plain gradients, destroy resets', async () => {
  const port = await freePort();
  const group = await initProcessGroup({ initMethod: `tcp://127.0.0.1:${port}`, rank: 0, worldSize: 1, timeoutMs: 5000 });
  assert.deepEqual([group.rank, group.worldSize, group.backend, isInitialized()], [0, 1, 'gloo', true]);
  await assert.rejects(initProcessGroup({ initMethod: `tcp://127.0.0.1:${port}`, rank: 0, worldSize: 1 }), /already initialized/);
  assert.deepEqual((await allReduce(tensor([1, 2]), 'avg')).toArray(), [1, 2]);
  assert.deepEqual(await allGatherObject({ a: [1] }), [{ a: [1] }]);
  assert.equal(await broadcastObject('x', 0), 'x');
  await assert.rejects(broadcastObject('x', 1), /broadcastObject: src must be a rank in 0..0, got 1/);
  await barrier();

  manualSeed(3);
  const plain = new Linear(3, 2);
  manualSeed(3);
  const ddp = new DistributedDataParallel(new Linear(3, 2));
  const x = randn([4, 3]);
  const y = randn([4, 2]);
  mseLoss(ddp.forward(x) as ReturnType<typeof randn>, y).backward();
  mseLoss(plain.forward(x), y).backward();
  assert.deepEqual(ddp.module.weight.grad!.toArray(), plain.weight.grad!.toArray());
  assert.throws(() => ddp.exitNoSync(), /not inside noSync/);
  ddp.noSync(() => ddp.noSync(() => assert.equal(ddp.requireBackwardGradSync, false)));
  assert.equal(ddp.requireBackwardGradSync, true);
  ddp.releaseReducer();

  destroyProcessGroup();
  assert.equal(isInitialized(), false);
  assert.throws(() => allReduceSync(tensor([1])), /not initialized/);
});
