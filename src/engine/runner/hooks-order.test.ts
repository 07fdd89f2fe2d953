import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRunner } from './build.js';
import { Hook } from '../hooks/hook.js';
import { HOOKS } from '../registry/index.js';
import '../testing/toy.js';

/** Stands where MMSeg's SegVisualizationHook stands (src/engine may not import src/seg). */
class StandInVisualizationHook extends Hook {
  static override priority = 'NORMAL';
  constructor(_options: unknown = {}) {
    super();
  }
  override afterValIter(): void {}
  override afterTestIter(): void {}
}
HOOKS.register(StandInVisualizationHook);

// The seed's default_hooks (MMSeg's schedule_160k) and custom_hooks.
const seedHooks = {
  default_hooks: {
    timer: { type: 'IterTimerHook' },
    logger: { type: 'LoggerHook', interval: 50, log_metric_by_epoch: false },
    param_scheduler: { type: 'ParamSchedulerHook' },
    checkpoint: { type: 'CheckpointHook', by_epoch: false, interval: 16000 },
    sampler_seed: { type: 'DistSamplerSeedHook' },
    visualization: { type: 'StandInVisualizationHook' },
  },
  custom_hooks: [{ type: 'EMAHook', start_iters: 500, priority: 'NORMAL' }],
};

const runnerFor = (over: Record<string, unknown>) => buildRunner({
  work_dir: mkdtempSync(join(tmpdir(), 'segkit-hooks-')), model: { type: 'ToyModel' }, randomness: { seed: 0 }, ...over,
}, { quiet: true });

const stage = (info: ReturnType<ReturnType<typeof runnerFor>['hooksInfo']>, name: string): string[] =>
  (info.find((s) => s.stage === name)?.hooks ?? []).map((h) => `${h.name} (${h.priority})`);

test("the seed's default_hooks and EMAHook run in MMEngine's priority order", () => {
  const info = runnerFor(seedHooks).hooksInfo();
  assert.deepEqual(stage(info, 'after_train_iter'), [
    'RuntimeInfoHook (VERY_HIGH)', 'IterTimerHook (NORMAL)', 'EMAHook (NORMAL)', 'LoggerHook (BELOW_NORMAL)',
    'ParamSchedulerHook (LOW)', 'CheckpointHook (VERY_LOW)',
  ]);
  assert.deepEqual(stage(info, 'after_val_iter'), [
    'IterTimerHook (NORMAL)', 'StandInVisualizationHook (NORMAL)', 'LoggerHook (BELOW_NORMAL)',
  ]);
  assert.deepEqual(stage(info, 'before_train_epoch'), ['RuntimeInfoHook (VERY_HIGH)', 'IterTimerHook (NORMAL)', 'DistSamplerSeedHook (NORMAL)']);
  assert.deepEqual(stage(info, 'before_save_checkpoint'), ['EMAHook (NORMAL)']);
  // Equal priorities keep registration order: default hooks in MMEngine's order, then custom hooks.
  const normal = info.flatMap((s) => s.hooks).filter((h) => h.priority === 'NORMAL').map((h) => h.name);
  assert.ok(normal.indexOf('StandInVisualizationHook') < normal.lastIndexOf('EMAHook'));
});

test('a priority in the config overrides the class default, and null removes a default hook', () => {
  const info = runnerFor({
    default_hooks: { logger: null, checkpoint: { type: 'CheckpointHook', priority: 'HIGHEST' } },
    custom_hooks: [{ type: 'EmptyCacheHook', after_iter: true, priority: 95 }],
  }).hooksInfo();
  const afterIter = stage(info, 'after_train_iter');
  assert.equal(afterIter[0], 'CheckpointHook (HIGHEST)');
  assert.ok(!afterIter.some((h) => h.startsWith('LoggerHook')));
  assert.equal(afterIter.at(-1), 'EmptyCacheHook (95)');
});

test('bad hook configs name the key path', () => {
  assert.throws(() => runnerFor({ custom_hooks: [{ type: 'EMAHok' }] }), /custom_hooks\.0\.type: 'EMAHok' is not in the HOOKS registry; did you mean 'EMAHook'/);
  assert.throws(() => runnerFor({ custom_hooks: [{ type: 'EMAHook', priority: 'NORMALISH' }] }), /custom_hooks\.0\.priority: expected one of HIGHEST/);
  assert.throws(() => runnerFor({ default_hooks: { logger: { type: 'LoggerHook', interval: '5' } } }), /default_hooks\.logger\.interval: expected number, got "5"/);
});
