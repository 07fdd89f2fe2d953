// The seed's full default_hooks with the real SegVisualizationHook, plus its EMAHook, in call order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRunner } from '../engine/index.js';
import '../engine/testing/toy.js';
import './index.js';

test("the seed's default_hooks (with SegVisualizationHook) and custom EMAHook run in MMEngine's order", () => {
  const runner = buildRunner({
    work_dir: mkdtempSync(join(tmpdir(), 'segkit-seg-hooks-')),
    model: { type: 'ToyModel' },
    randomness: { seed: 0 },
    default_hooks: {
      timer: { type: 'IterTimerHook' },
      logger: { type: 'LoggerHook', interval: 50, log_metric_by_epoch: false },
      param_scheduler: { type: 'ParamSchedulerHook' },
      checkpoint: { type: 'CheckpointHook', by_epoch: false, interval: 16000 },
      sampler_seed: { type: 'DistSamplerSeedHook' },
      visualization: { type: 'SegVisualizationHook' },
    },
    custom_hooks: [{ type: 'EMAHook', start_iters: 500, priority: 'NORMAL' }],
  }, { quiet: true });
  const info = Object.fromEntries(runner.hooksInfo().map((s) => [s.stage, s.hooks.map((h) => `${h.name} (${h.priority})`)]));
  assert.deepEqual(info.after_val_iter, ['IterTimerHook (NORMAL)', 'SegVisualizationHook (NORMAL)', 'LoggerHook (BELOW_NORMAL)']);
  assert.deepEqual(info.after_test_iter, ['IterTimerHook (NORMAL)', 'SegVisualizationHook (NORMAL)', 'LoggerHook (BELOW_NORMAL)']);
  assert.deepEqual(info.after_train_iter, [
    'RuntimeInfoHook (VERY_HIGH)', 'IterTimerHook (NORMAL)', 'SegVisualizationHook (NORMAL)', 'EMAHook (NORMAL)',
    'LoggerHook (BELOW_NORMAL)', 'ParamSchedulerHook (LOW)', 'CheckpointHook (VERY_LOW)',
  ]);
  assert.deepEqual(info.before_run, ['RuntimeInfoHook (VERY_HIGH)', 'EMAHook (NORMAL)', 'LoggerHook (BELOW_NORMAL)']);
});
