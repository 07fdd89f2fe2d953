import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRunner } from './build.js';
import '../testing/toy.js';

function toyConfig(workDir: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  const loader = (shuffle: boolean, size: number) => ({
    batch_size: 4, num_workers: 0, sampler: { type: 'DefaultSampler', shuffle },
    dataset: { type: 'ToyDataset', size, augment_noise: true }, collate_fn: { type: 'pseudo_collate' },
  });
  return {
    work_dir: workDir,
    model: { type: 'ToyModel' },
    train_dataloader: loader(true, 32),
    train_cfg: { type: 'IterBasedTrainLoop', max_iters: 40, val_interval: 20 },
    val_dataloader: loader(false, 16),
    val_cfg: { type: 'ValLoop' },
    val_evaluator: { type: 'ToyMSEMetric' },
    optim_wrapper: { type: 'OptimWrapper', optimizer: { type: 'SGD', lr: 0.05, momentum: 0.9 } },
    param_scheduler: [
      { type: 'LinearLR', start_factor: 0.1, by_epoch: false, begin: 0, end: 10 },
      { type: 'PolyLR', power: 1, eta_min: 0, begin: 10, end: 40, by_epoch: false },
    ],
    default_hooks: {
      logger: { type: 'LoggerHook', interval: 10 },
      checkpoint: { type: 'CheckpointHook', by_epoch: false, interval: 20 },
    },
    log_processor: { by_epoch: false },
    randomness: { seed: 0 },
    visualizer: { type: 'Visualizer', vis_backends: [{ type: 'LocalVisBackend' }, { type: 'TensorboardVisBackend' }] },
    ...over,
  };
}

/** Every train loss the message hub saw, by iteration. */
function trainLosses(runner: ReturnType<typeof buildRunner>): number[] {
  return [...runner.messageHub.getScalar('train/loss').data[0]];
}

test('a toy model trains end to end with every default hook and writes logs, scalars, events and checkpoints', async () => {
  const workDir = mkdtempSync(join(tmpdir(), 'segkit-runner-'));
  const runner = buildRunner(toyConfig(workDir));
  await runner.train();
  assert.equal(runner.iter, 40);
  const losses = trainLosses(runner);
  assert.equal(losses.length, 40);
  assert.ok(losses.at(-1)! < losses[0]! * 0.2, `loss fell from ${losses[0]} to ${losses.at(-1)}`);
  assert.ok((runner.lastMetrics.val!.mse as number) < 0.5);
  for (const f of ['iter_20.ckpt', 'iter_40.ckpt', 'last_checkpoint']) assert.ok(existsSync(join(workDir, f)), f);
  assert.equal(readFileSync(join(workDir, 'last_checkpoint'), 'utf8'), join(workDir, 'iter_40.ckpt'));
  const logDir = runner.logDir;
  const log = readFileSync(join(logDir, `${runner.timestamp}.log`), 'utf8');
  assert.match(log, /Iter\(train\) \[10\/40\]\s+lr: \S+\s+eta: \S+\s+time: \S+\s+data_time: \S+\s+memory: \d+\s+loss: \S+/);
  assert.match(log, /Iter\(val\) \[4\/4\]\s+mse: \S+/);
  const scalars = readFileSync(join(logDir, 'vis_data', 'scalars.json'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(scalars.some((s) => s.step === 10 && typeof s.loss === 'number' && typeof s.lr === 'number'));
  assert.ok(scalars.some((s) => typeof s.mse === 'number'));
  assert.ok(readdirSync(join(logDir, 'vis_data')).some((f) => f.startsWith('events.out.tfevents.')));
});

test('resuming at iteration 20 continues with the same batches and weights as an uninterrupted run', async () => {
  const full = buildRunner(toyConfig(mkdtempSync(join(tmpdir(), 'segkit-full-')), { val_dataloader: null, val_cfg: null, val_evaluator: null }));
  await full.train();
  const expected = trainLosses(full);

  const dir = mkdtempSync(join(tmpdir(), 'segkit-resume-'));
  const noVal = { val_dataloader: null, val_cfg: null, val_evaluator: null };
  const part = buildRunner(toyConfig(dir, { ...noVal }));
  // Stop after 20 iterations by signalling the loop, as SIGINT would.
  const origCall = part.callHook.bind(part);
  part.callHook = async (point, ...args) => {
    await origCall(point, ...args);
    if (point === 'afterTrainIter' && part.iter === 19) part.stopRequested = true;
  };
  await assert.rejects(part.train(), /interrupted/);
  const resumed = buildRunner(toyConfig(dir, { ...noVal, resume: true }));
  await resumed.train();
  const after = trainLosses(resumed);
  assert.equal(resumed.iter, 40);
  const tail = after.slice(-20);
  tail.forEach((l, i) => assert.ok(Math.abs(l - expected[20 + i]!) <= 1e-6, `iter ${20 + i}: ${l} vs ${expected[20 + i]}`));
});

test('afterBackward and beforeOptimizerStep see the gradients; onException sees a failing run', async () => {
  const { Hook } = await import('../hooks/hook.js');
  const seen: string[] = [];
  class GradProbe extends Hook {
    override afterBackward(runner: import('./runner.js').Runner, batchIdx: number): void {
      const g = runner.model.parameters()[0]!.grad;
      seen.push(`backward ${batchIdx} ${g !== null && g.abs().sum().item() > 0}`);
      g?.dispose();
    }
    override beforeOptimizerStep(_runner: unknown, batchIdx: number): void {
      seen.push(`step ${batchIdx}`);
    }
    override onException(_runner: unknown, error: unknown): void {
      seen.push(`exception ${(error as Error).message}`);
    }
    override afterTrainIter(_runner: unknown, batchIdx: number): void {
      if (batchIdx === 2) throw new Error('boom at 2');
    }
  }
  const runner = buildRunner(toyConfig(mkdtempSync(join(tmpdir(), 'segkit-probe-')), { val_dataloader: null, val_cfg: null, val_evaluator: null }));
  runner.registerHook(new GradProbe(), 50);
  await assert.rejects(runner.train(), /boom at 2/);
  assert.deepEqual(seen, ['backward 0 true', 'step 0', 'backward 1 true', 'step 1', 'backward 2 true', 'step 2', 'exception boom at 2']);
});

test('auto_scale_lr scales every group by batch / base_batch_size before schedulers record initial_lr', async () => {
  const runner = buildRunner(toyConfig(mkdtempSync(join(tmpdir(), 'segkit-scale-')), {
    val_dataloader: null, val_cfg: null, val_evaluator: null, param_scheduler: null,
    train_cfg: { type: 'IterBasedTrainLoop', max_iters: 1 },
    auto_scale_lr: { enable: true, base_batch_size: 16 },
  }));
  await runner.train();
  assert.equal(runner.optimWrapper!.paramGroups[0]!.lr, 0.05 * 4 / 16);
  const bad = buildRunner(toyConfig(mkdtempSync(join(tmpdir(), 'segkit-scale-')), { ...{ val_dataloader: null, val_cfg: null, val_evaluator: null }, auto_scale_lr: { enable: true, base: 16 } }));
  await assert.rejects(bad.train(), /auto_scale_lr: unknown key 'base'/);
});

test('an epoch-based run resumed mid-epoch continues with the same batches and weights', async () => {
  const noVal = { val_dataloader: null, val_cfg: null, val_evaluator: null };
  const epochCfg = (dir: string, over: Record<string, unknown> = {}) => toyConfig(dir, {
    ...noVal, train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 3 },
    param_scheduler: [{ type: 'MultiStepLR', milestones: [2], gamma: 0.1, by_epoch: true }],
    default_hooks: { checkpoint: { type: 'CheckpointHook', by_epoch: true, interval: 1 } }, log_processor: { by_epoch: true }, ...over,
  });
  const full = buildRunner(epochCfg(mkdtempSync(join(tmpdir(), 'segkit-efull-'))));
  await full.train();
  const expected = trainLosses(full);
  assert.equal(expected.length, 24);
  const dir = mkdtempSync(join(tmpdir(), 'segkit-eres-'));
  const part = buildRunner(epochCfg(dir));
  const origCall = part.callHook.bind(part);
  part.callHook = async (point, ...args) => {
    await origCall(point, ...args);
    // Stop in the middle of the second epoch (after global iteration 12 of 24).
    if (point === 'afterTrainIter' && part.iter === 11) part.stopRequested = true;
  };
  await assert.rejects(part.train(), /interrupted/);
  const resumed = buildRunner(epochCfg(dir, { resume: true }));
  await resumed.train();
  const after = trainLosses(resumed);
  assert.equal(resumed.iter, 24);
  assert.equal(resumed.epoch, 3);
  after.slice(-12).forEach((l, i) => assert.ok(Math.abs(l - expected[12 + i]!) <= 1e-6, `iter ${12 + i}: ${l} vs ${expected[12 + i]}`));
});
