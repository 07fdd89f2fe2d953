// A full CamVid training pipeline through the engine's DataLoader: 2 worker threads give the same batches as the main thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataLoader } from '../../engine/dataset/index.js';
import type { SegDataSample } from '../structures/index.js';
import { SEG_DATASETS_MODULE } from './index.js';
import { CAMVID_ROOT } from './test-helpers.js';

const SEED = 2024;
const dataset = {
  type: 'CamVidDataset', data_root: CAMVID_ROOT, data_prefix: { img_path: 'train', seg_map_path: 'trainannot' }, indices: 18,
  pipeline: [
    { type: 'LoadImageFromFile' },
    { type: 'LoadAnnotations' },
    { type: 'RandomResize', scale: [240, 180], ratio_range: [0.75, 1.5], keep_ratio: true },
    { type: 'RandomCrop', crop_size: [160, 160], cat_max_ratio: 0.75 },
    { type: 'RandomFlip', prob: 0.5 },
    { type: 'PhotoMetricDistortion' },
    { type: 'PackSegInputs' },
  ],
};
type Batch = { inputs: { data: Uint8Array; shape: number[] }[]; data_samples: SegDataSample[] };

async function collect(numWorkers: number): Promise<{ batches: Batch[]; threads: number }> {
  const loader = new DataLoader<Batch>(dataset, { batch_size: 3, num_workers: numWorkers, seed: SEED }, { workerModules: [SEG_DATASETS_MODULE] });
  const batches: Batch[] = [];
  let threads = 0;
  // Each batch's transforms draw from a stream seeded by (seed, rank, batch number), in whichever thread loads it.
  for await (const batch of loader) {
    threads = Math.max(threads, loader.workerThreadIds.length);
    batches.push(batch);
  }
  return { batches, threads };
}

test('2 DataLoader workers give the same batches as 0 workers (per-batch random streams)', async () => {
  const main = await collect(0);
  const workers = await collect(2);
  assert.equal(main.threads, 0);
  assert.equal(workers.threads, 2, 'the batches came from worker threads');
  assert.equal(main.batches.length, 6);
  assert.deepEqual(workers.batches, main.batches);
  for (const batch of main.batches) {
    for (const [k, input] of batch.inputs.entries()) {
      // Images resized below the crop size (ratio 0.75 of 180 rows) are not padded by RandomCrop.
      assert.ok(input.shape[0] === 3 && input.shape[1]! <= 160 && input.shape[2] === 160, `input shape [${input.shape}]`);
      const seg = batch.data_samples[k]!.gt_sem_seg!.data as { data: Uint8Array; shape: number[] };
      assert.deepEqual(seg.shape, [1, ...input.shape.slice(1)]);
      assert.ok(seg.data.every((v) => v <= 10 || v === 255));
    }
  }
  const flips = main.batches.flatMap((b) => b.data_samples.map((d) => d.metainfo.flip));
  assert.ok(flips.includes(true) && flips.includes(false), 'random flips happened');
});
