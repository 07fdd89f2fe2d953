// DistributedDataParallel on two processes against one-process training on the whole batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runWorkers } from './testing/launch.js';

const WORKER = fileURLToPath(new URL('./testing/ddp-worker.js', import.meta.url));

type Values = Record<string, number[] | null>;
interface Report { initialEqual: boolean; initialBranch: number[]; ddp: Values; ref: Values; localAfterNoSync?: Values; prefixedNames?: string[]; bucketsRebuilt?: boolean; stateDictKeys?: string[] }

async function scenario(name: string): Promise<Report[]> {
  const outs = await runWorkers(WORKER, 2, { env: { DDP_SCENARIO: name } });
  for (const o of outs) assert.equal(o.error, undefined, `rank ${o.rank} failed: ${o.error}`);
  return outs.map((o) => o.result as Report);
}

function assertClose(actual: Values, expected: Values, tol: number, what: string): void {
  assert.deepEqual(Object.keys(actual), Object.keys(expected));
  for (const [k, e] of Object.entries(expected)) {
    const a = actual[k];
    if (e === null || a === null) {
      assert.equal(a, e, `${what}: ${k}`);
      continue;
    }
    const diff = Math.max(...e.map((v, i) => Math.abs(v - a![i]!)));
    assert.ok(diff <= tol, `${what}: ${k} differs by ${diff}`);
  }
}

test('2 ranks x batch 2 train to the weights of 1 process x batch 4 (10 SGD steps), identical on both ranks', async () => {
  const [r0, r1] = await scenario('equivalence');
  // rank 1 starts from other weights; DDP must broadcast rank 0's
  assert.ok(r0!.initialEqual && r1!.initialEqual);
  assertClose(r0!.ddp, r0!.ref, 1e-5, 'rank 0 vs reference');
  assert.deepEqual(r1!.ddp, r0!.ddp);
  assert.equal(r0!.bucketsRebuilt, true);
  assert.deepEqual(r0!.prefixedNames!.slice(0, 2), ['module.fc1.weight', 'module.fc1.bias']);
  assert.deepEqual(r0!.stateDictKeys!.slice(0, 2), ['fc1.weight', 'fc1.bias']);
});

test('noSync accumulates locally; the next synced backward averages the accumulated grads', async () => {
  const [r0, r1] = await scenario('nosync');
  // after two noSync backwards the ranks hold different (local) grads
  assert.notDeepEqual(r0!.localAfterNoSync!['fc1.weight'], r1!.localAfterNoSync!['fc1.weight']);
  assertClose(r0!.ddp, r0!.ref, 1e-5, 'rank 0 grads vs accumulated reference grads');
  assertClose(r1!.ddp, r0!.ref, 1e-5, 'rank 1 grads vs accumulated reference grads');
});

test('find_unused_parameters: a branch used on some steps and some ranks only trains as in one process', async () => {
  const [r0, r1] = await scenario('unused');
  assertClose(r0!.ddp, r0!.ref, 1e-5, 'rank 0 vs reference');
  assert.deepEqual(r1!.ddp, r0!.ddp);
  // the branch did train (it got gradients on rank 0's even steps)
  assert.notDeepEqual(r0!.ddp['branch.weight'], r0!.initialBranch);
});


test('a parameter without grad and find_unused_parameters off fails the next forward with PyTorch\'s message', async () => {
  const outs = await runWorkers(WORKER, 2, { env: { DDP_SCENARIO: 'unused-without-flag' } });
  for (const o of outs) {
    assert.match(o.error ?? '', /DistributedDataParallel\.forward failed on rank \d of 2 \(gloo\): Expected to have finished reduction in the prior iteration/);
  }
});
