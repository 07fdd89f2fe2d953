// Failures surface as errors naming the op and rank, within the group timeout, instead of hangs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { freePort, runWorkers } from './testing/launch.js';
import { initProcessGroup, isInitialized } from './process-group.js';

const WORKER = fileURLToPath(new URL('./testing/failure-worker.js', import.meta.url));
const TIMEOUT_MS = 3000;

test('a rank killed mid-training makes the other fail in backward with an error naming op and rank', async () => {
  const [r0, r1] = await runWorkers(WORKER, 2, { env: { FAIL_SCENARIO: 'peer-dies', FAIL_TIMEOUT_MS: String(TIMEOUT_MS) } });
  assert.equal(r1!.signal, 'SIGKILL');
  assert.equal(r0!.exitCode, 1);
  assert.match(r0!.error!, /DistributedDataParallel gradient allReduce \(bucket \d+\) failed on rank 0 of 2 \(gloo\)/);
  // it trained on until the peer vanished, then failed well before the kill-all guard (25 s)
  assert.ok((r0!.result as { step: number }).step >= 3);
  assert.ok(r0!.elapsedMs < r1!.elapsedMs + TIMEOUT_MS + 2000, `rank 0 took ${r0!.elapsedMs} ms`);
});

test('a collective the peer never joins rejects after the timeout and the event loop keeps running', async () => {
  const [r0] = await runWorkers(WORKER, 2, { env: { FAIL_SCENARIO: 'peer-silent', FAIL_TIMEOUT_MS: String(TIMEOUT_MS) } });
  assert.match(r0!.error!, /^allReduce failed on rank 0 of 2 \(gloo\): .*timed out/i);
  const { waitedMs, ticks } = r0!.result as { waitedMs: number; ticks: number };
  assert.ok(waitedMs >= TIMEOUT_MS - 100 && waitedMs < TIMEOUT_MS + 2000, `waited ${waitedMs} ms`);
  assert.ok(ticks >= 50, `only ${ticks} timer ticks while waiting`);
});

test('initProcessGroup rejects after timeoutMs when rank 0 never serves the store', async () => {
  const port = await freePort();
  const started = Date.now();
  await assert.rejects(
    initProcessGroup({ initMethod: `tcp://127.0.0.1:${port}`, rank: 1, worldSize: 2, timeoutMs: 1500 }),
    (err: Error) => {
      assert.match(err.message, new RegExp(`^initProcessGroup \\(rank 1 of 2, gloo, store 127\\.0\\.0\\.1:${port}\\)`));
      return true;
    },
  );
  assert.ok(Date.now() - started < 6000);
  assert.equal(isInitialized(), false);
});
