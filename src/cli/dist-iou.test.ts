// IoUMetric on 2 ranks (each its DefaultSampler shard of a 7-sample split, padded to 8) equals
// IoUMetric over all 7 samples in one process: results are gathered and the padding dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runWorkers } from '../torch/distributed/testing/launch.js';
import { MMLogger } from '../engine/index.js';
import { IOU_SAMPLES, iouMetric, iouSample } from './dist-iou-worker.js';

const WORKER = fileURLToPath(new URL('./dist-iou-worker.js', import.meta.url));

test('distributed IoUMetric (2 ranks) equals the single-process evaluation of the same data', async () => {
  const outcomes = await runWorkers(WORKER, 2, { killAfterMs: 40_000 });
  for (const o of outcomes) assert.equal(o.exitCode, 0, `rank ${o.rank}: ${o.error}`);
  const [a, b] = outcomes.map((o) => o.result as { shard: number[]; metrics: Record<string, number> });
  assert.deepEqual(a!.shard, [0, 2, 4, 6]);
  assert.deepEqual(b!.shard, [1, 3, 5, 0], 'rank 1 repeats sample 0 as padding');

  MMLogger.getInstance('dist-iou-single', { stream: { write: () => true } });
  const single = iouMetric();
  for (let i = 0; i < IOU_SAMPLES; i++) single.process({}, [iouSample(i)]);
  const expected = single.evaluate(IOU_SAMPLES);
  assert.ok(typeof expected.mIoU === 'number' && expected.mIoU > 0 && expected.mIoU < 100, JSON.stringify(expected));
  assert.deepEqual(a!.metrics, expected);
  assert.deepEqual(b!.metrics, expected, 'rank 1 gets rank 0\'s metrics');

  // With the padding counted twice the numbers would differ: the check can fail.
  const padded = iouMetric();
  for (const i of [0, 1, 2, 3, 4, 5, 6, 0]) padded.process({}, [iouSample(i)]);
  assert.notDeepEqual(padded.evaluate(8), expected);
});
