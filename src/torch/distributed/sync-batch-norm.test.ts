// SyncBatchNorm on two processes equals BatchNorm on the concatenated batch; one process falls back to BatchNorm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { randn } from '../creation.js';
import { BatchNorm2d } from '../nn/batchnorm.js';
import { Sequential } from '../nn/container.js';
import { Conv2d } from '../nn/conv.js';
import { runWorkers } from './testing/launch.js';
import { SyncBatchNorm } from './sync-batch-norm.js';

const WORKER = fileURLToPath(new URL('./testing/sync-batch-norm-worker.js', import.meta.url));
const maxDiff = (a: number[], b: number[]): number => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

async function scenario(name: string): Promise<Record<string, any>[]> {
  const outs = await runWorkers(WORKER, 2, { env: { SYNCBN_SCENARIO: name } });
  for (const o of outs) assert.equal(o.error, undefined, `rank ${o.rank} failed: ${o.error}`);
  return outs.map((o) => o.result as Record<string, any>);
}

test('2 ranks: output, input grad, weight/bias grads and running stats equal BatchNorm on the whole batch', async () => {
  for (const r of await scenario('layer')) {
    for (const s of r.steps) {
      for (const k of ['y', 'xGrad', 'weightGrad', 'biasGrad']) {
        const d = maxDiff(s[k], s[`${k}Ref`]);
        assert.ok(d <= 1e-5, `${k} differs by ${d}`);
      }
    }
    assert.deepEqual(Object.keys(r.state), ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    for (const k of Object.keys(r.stateRef)) assert.ok(maxDiff(r.state[k], r.stateRef[k]) <= 1e-5, `${k} differs`);
    assert.deepEqual(r.state.num_batches_tracked, [2]);
    assert.equal(r.evalEqual, 0);
  }
});

test('convertSyncBatchnorm + DDP: conv-BN-conv trains on 2 ranks as one process on the whole batch', async () => {
  for (const r of await scenario('ddp')) {
    assert.equal(r.converted, true);
    for (const k of Object.keys(r.ref)) {
      const d = maxDiff(r.ddp[k], r.ref[k]);
      assert.ok(d <= 1e-5, `${k} differs by ${d}`);
    }
  }
});

test('without a process group SyncBatchNorm is BatchNorm (same output and running stats)', () => {
  const sbn = new SyncBatchNorm(3);
  const bn = new BatchNorm2d(3);
  const x = randn([4, 3, 5, 5]);
  assert.equal(sbn.forward(x).sub(bn.forward(x)).abs().max().item(), 0);
  assert.deepEqual(sbn.runningVar!.toArray(), bn.runningVar!.toArray());
});

test('convertSyncBatchnorm swaps BatchNorm2d for SyncBatchNorm sharing the same tensors', () => {
  const net = new Sequential(new Conv2d(3, 4, 3), new BatchNorm2d(4));
  const bn = net.at(1) as BatchNorm2d;
  const converted = SyncBatchNorm.convertSyncBatchnorm(net) as Sequential;
  const sbn = converted.at(1);
  assert.ok(sbn instanceof SyncBatchNorm);
  assert.equal((sbn as SyncBatchNorm).weight, bn.weight);
  assert.equal((sbn as SyncBatchNorm).runningMean, bn.runningMean);
  assert.deepEqual([...converted.stateDict().keys()], ['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked']);
});
