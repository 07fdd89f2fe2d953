import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../config/errors.js';
import { HOOKS } from '../registry/index.js';
import type { Runner } from '../runner/runner.js';
import { EarlyStoppingHook } from './early-stopping-hook.js';

function fakeRunner(withTrainLoop = true) {
  const lines: string[] = [];
  const trainLoop = { stopTraining: false };
  const runner = {
    trainLoop: withTrainLoop ? trainLoop : null,
    logger: { info: (m: string) => lines.push(`INFO ${m}`), warning: (m: string) => lines.push(`WARNING ${m}`) },
  };
  return { runner: runner as unknown as Runner, trainLoop, lines };
}

/** Feeds validation scores; returns the 1-based validation at which training was told to stop (0: never). */
function feed(hook: EarlyStoppingHook, runner: Runner, trainLoop: { stopTraining: boolean }, key: string, scores: number[]): number {
  for (let i = 0; i < scores.length; i++) {
    hook.afterValEpoch(runner, { [key]: scores[i]! });
    if (trainLoop.stopTraining) return i + 1;
  }
  return 0;
}

test('built from HOOKS with LOWEST priority; MMEngine defaults', () => {
  const hook = HOOKS.build<EarlyStoppingHook>({ type: 'EarlyStoppingHook', monitor: 'mIoU' });
  assert.equal(EarlyStoppingHook.priority, 'LOWEST');
  assert.deepEqual([hook.rule, hook.minDelta, hook.patience, hook.strict, hook.checkFinite, hook.stoppingThreshold], ['greater', 0.1, 5, false, true, null]);
  assert.equal(hook.bestScore, -Infinity);
});

test('stops after patience validations without an improvement of min_delta (mIoU inferred greater)', () => {
  const { runner, trainLoop, lines } = fakeRunner();
  const hook = new EarlyStoppingHook({ monitor: 'mIoU', patience: 3, min_delta: 0.5 });
  // 60 -> 61 improves; 61.2, 61.4 are within min_delta; 62 resets; then three more stalls stop it.
  assert.equal(feed(hook, runner, trainLoop, 'mIoU', [60, 61, 61.2, 61.4, 62, 62.1, 62, 61, 70]), 8);
  assert.equal(hook.bestScore, 62);
  assert.equal(hook.waitCount, 3);
  assert.deepEqual(lines, ['INFO the monitored metric did not improve in the last 3 records. best score: 62.000. ']);
});

test('loss is inferred less: a lower loss is the improvement', () => {
  const { runner, trainLoop } = fakeRunner();
  const hook = new EarlyStoppingHook({ monitor: 'loss', patience: 2, min_delta: 0.01 });
  assert.equal(hook.rule, 'less');
  assert.equal(feed(hook, runner, trainLoop, 'loss', [1, 0.5, 0.3, 0.295, 0.4]), 5);
  assert.equal(hook.bestScore, 0.3);
});

test('stopping_threshold stops at once when the score beats it', () => {
  const { runner, trainLoop, lines } = fakeRunner();
  const hook = new EarlyStoppingHook({ monitor: 'mAcc', stopping_threshold: 90 });
  assert.equal(feed(hook, runner, trainLoop, 'mAcc', [50, 90, 90.5]), 3);
  assert.equal(hook.bestScore, 90.5);
  assert.deepEqual(lines, ['INFO Stopping threshold reached: `mAcc` = 90.5 is greater than 90.']);
});

test('a NaN or infinite score stops training when check_finite', () => {
  const { runner, trainLoop, lines } = fakeRunner();
  const hook = new EarlyStoppingHook({ monitor: 'loss' });
  assert.equal(feed(hook, runner, trainLoop, 'loss', [0.7, NaN]), 2);
  assert.deepEqual(lines, ['INFO Monitored metric loss = nan is infinite. Previous best value was 0.700.']);
  const lenient = fakeRunner();
  assert.equal(feed(new EarlyStoppingHook({ monitor: 'loss', check_finite: false, patience: 10 }), lenient.runner, lenient.trainLoop, 'loss', [0.7, NaN, Infinity]), 0);
});

test('a missing monitor warns and skips, or throws when strict', () => {
  const { runner, trainLoop, lines } = fakeRunner();
  new EarlyStoppingHook({ monitor: 'mIoU', patience: 0 }).afterValEpoch(runner, { mDice: 1 });
  assert.equal(trainLoop.stopTraining, false);
  assert.deepEqual(lines, ["WARNING Skip early stopping process since the evaluation results ('mDice') do not include `monitor` (mIoU)."]);
  assert.throws(() => new EarlyStoppingHook({ monitor: 'mIoU', strict: true }).afterValEpoch(runner, { mDice: 1 }),
    /monitor 'mIoU' is not in the validation metrics \('mDice'\)/);
});

test('an explicit rule is needed when the monitor name says nothing', () => {
  assert.throws(() => new EarlyStoppingHook({ monitor: 'FID' }), (e: unknown) => e instanceof ConfigError && /rule: cannot infer the rule for monitor 'FID'/.test(e.message));
  assert.equal(new EarlyStoppingHook({ monitor: 'FID', rule: 'less' }).rule, 'less');
  assert.throws(() => new EarlyStoppingHook({ monitor: 'mIoU', rule: 'bigger' }), /rule/);
  assert.throws(() => new EarlyStoppingHook({}), /monitor/);
});

test('wait count and best score survive a state round trip', () => {
  const { runner, trainLoop } = fakeRunner();
  const first = new EarlyStoppingHook({ monitor: 'mIoU', patience: 3 });
  feed(first, runner, trainLoop, 'mIoU', [40, 40, 40]);
  const state = JSON.parse(JSON.stringify(first.stateDict()));
  assert.deepEqual(state, { wait_count: 2, best_score: 40 });
  const resumed = new EarlyStoppingHook({ monitor: 'mIoU', patience: 3 });
  resumed.loadStateDict(state);
  assert.equal(feed(resumed, runner, trainLoop, 'mIoU', [40]), 1);
  assert.throws(() => resumed.loadStateDict({ wait_count: '1' }), /expected \{ wait_count: number, best_score: number \}/);
});

test('a standalone validation (no train loop) changes nothing', () => {
  const { runner, lines } = fakeRunner(false);
  const hook = new EarlyStoppingHook({ monitor: 'mIoU', patience: 0 });
  hook.afterValEpoch(runner, { mIoU: 1 });
  hook.afterValEpoch(runner, { mIoU: 1 });
  assert.equal(hook.bestScore, -Infinity);
  assert.deepEqual(lines, []);
});
