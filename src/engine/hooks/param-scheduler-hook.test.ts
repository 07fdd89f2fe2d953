import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Runner } from '../runner/runner.js';
import { HOOKS } from '../registry/index.js';
import { LinearLR, StepLR, ReduceOnPlateauLR } from '../optim/scheduler/index.js';
import { ParamSchedulerHook } from './param-scheduler-hook.js';
import type { Metrics } from './hook.js';

const optimizer = (lr: number) => ({ paramGroups: [{ lr } as Record<string, unknown>] });
const lrOf = (o: ReturnType<typeof optimizer>) => o.paramGroups[0]!.lr as number;
const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);

test('iteration-based schedulers step after every train iteration, epoch-based ones after every train epoch', () => {
  const iterOptim = optimizer(0.1);
  const epochOptim = optimizer(0.1);
  const linear = new LinearLR({ start_factor: 0.5, by_epoch: false, end: 4 }, iterOptim);
  const step = new StepLR({ step_size: 1, gamma: 0.5 }, epochOptim);
  const runner = { paramSchedulers: [linear, step] } as unknown as Runner;
  const hook = new ParamSchedulerHook();
  near(lrOf(iterOptim), 0.05);
  // MMEngine's LinearLR over end - begin - 1 = 3 steps: 0.1 * (0.5 + 0.5 * k / 3).
  for (let k = 1; k <= 3; k++) {
    hook.afterTrainIter(runner, k - 1, {}, {});
    near(lrOf(iterOptim), 0.1 * (0.5 + (0.5 * k) / 3));
    near(lrOf(epochOptim), 0.1);
  }
  hook.afterTrainEpoch(runner);
  near(lrOf(epochOptim), 0.05);
  near(lrOf(iterOptim), 0.1);
  hook.afterTrainEpoch(runner);
  near(lrOf(epochOptim), 0.025);
});

test('ReduceOnPlateau gets the validation metrics; other schedulers do not step after validation', () => {
  const plateauOptim = optimizer(0.1);
  const stepOptim = optimizer(0.1);
  const plateau = new ReduceOnPlateauLR({ monitor: 'mIoU', rule: 'greater', patience: 0, factor: 0.5 }, plateauOptim);
  const step = new StepLR({ step_size: 1, gamma: 0.5 }, stepOptim);
  const runner = { paramSchedulers: [plateau, step] } as unknown as Runner;
  const hook = new ParamSchedulerHook();
  hook.afterValEpoch(runner, { mIoU: 50 });
  near(lrOf(plateauOptim), 0.1);
  hook.afterValEpoch(runner, { mIoU: 50 });
  near(lrOf(plateauOptim), 0.05);
  near(lrOf(stepOptim), 0.1);
  // A train epoch only counts for ReduceOnPlateau; no metrics, no step.
  hook.afterTrainEpoch(runner);
  near(lrOf(plateauOptim), 0.05);
  hook.afterValEpoch(runner, undefined as unknown as Metrics);
  near(lrOf(plateauOptim), 0.05);
  assert.equal(plateau.numBadEpochs, 0);
});

test('built from HOOKS with LOW priority; a runner without schedulers is a no-op', () => {
  assert.ok(HOOKS.build({ type: 'ParamSchedulerHook' }) instanceof ParamSchedulerHook);
  assert.equal(ParamSchedulerHook.priority, 'LOW');
  const hook = new ParamSchedulerHook();
  const runner = { paramSchedulers: [] } as unknown as Runner;
  hook.afterTrainIter(runner, 0, {}, {});
  hook.afterTrainEpoch(runner);
  hook.afterValEpoch(runner, { mIoU: 1 });
  assert.throws(() => new ParamSchedulerHook({ by_epoch: true }), /by_epoch/);
});
