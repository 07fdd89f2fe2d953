// Exact resume with DataLoader workers: augmentations drawn in worker threads match the uninterrupted run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addWorkerModule } from '../dataset/worker-modules.js';
import { buildRunner } from './build.js';
import type { Runner } from './runner.js';
import '../testing/toy.js';

// Workers rebuild ToyDataset (whose augment_noise draws from dataRandom()) from its registration.
addWorkerModule(new URL('../testing/toy.js', import.meta.url).href);

function config(workDir: string, sampler: string, trainCfg: Record<string, unknown>, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    work_dir: workDir,
    model: { type: 'ToyModel' },
    train_dataloader: {
      batch_size: 4, num_workers: 2, sampler: { type: sampler, shuffle: true },
      dataset: { type: 'ToyDataset', size: 20, augment_noise: true }, collate_fn: { type: 'pseudo_collate' },
    },
    train_cfg: trainCfg,
    optim_wrapper: { type: 'OptimWrapper', optimizer: { type: 'SGD', lr: 0.05, momentum: 0.9 } },
    default_hooks: { checkpoint: { type: 'CheckpointHook', by_epoch: trainCfg.type === 'EpochBasedTrainLoop', interval: 100 } },
    log_processor: { by_epoch: trainCfg.type === 'EpochBasedTrainLoop' },
    randomness: { seed: 0 },
    ...over,
  };
}

function weights(runner: Runner): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, t] of runner.model.stateDict()) {
    out[k] = t.toArray();
    t.dispose();
  }
  return out;
}

async function checkResume(sampler: string, trainCfg: Record<string, unknown>, stopAfter: number, total: number): Promise<void> {
  const full = buildRunner(config(mkdtempSync(join(tmpdir(), 'segkit-wfull-')), sampler, trainCfg));
  await full.train();
  const expected = weights(full);

  const dir = mkdtempSync(join(tmpdir(), 'segkit-wres-'));
  const part = buildRunner(config(dir, sampler, trainCfg));
  const origCall = part.callHook.bind(part);
  part.callHook = async (point, ...args) => {
    await origCall(point, ...args);
    if (point === 'afterTrainIter' && part.iter === stopAfter) part.stopRequested = true;
  };
  await assert.rejects(part.train(), /interrupted/);
  assert.notDeepEqual(weights(part), expected, 'the interrupted run stopped early');
  // Even under another randomness.seed: the checkpoint brings the sampler's and the loader's seeds back.
  const resumed = buildRunner(config(dir, sampler, trainCfg, { resume: true, randomness: { seed: 5 } }));
  await resumed.train();
  assert.equal(resumed.iter, total);
  assert.deepEqual(weights(resumed), expected);
}

test('iteration-based run with InfiniteSampler and 2 workers: resumed weights equal the uninterrupted run\'s exactly', async () => {
  await checkResume('InfiniteSampler', { type: 'IterBasedTrainLoop', max_iters: 12, val_interval: 1000 }, 6, 12);
});

test('epoch-based run with DefaultSampler and 2 workers, resumed mid-epoch: weights equal the uninterrupted run\'s exactly', async () => {
  // 5 batches per epoch; stop after iteration 7 (in the second epoch).
  await checkResume('DefaultSampler', { type: 'EpochBasedTrainLoop', max_epochs: 3 }, 7, 15);
});
