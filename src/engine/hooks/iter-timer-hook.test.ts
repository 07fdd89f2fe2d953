import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageHub } from '../logging/message-hub.js';
import { HOOKS } from '../registry/index.js';
import type { Runner } from '../runner/runner.js';
import { IterTimerHook } from './iter-timer-hook.js';

/** A clock the test moves by hand (seconds). */
let clock = 0;
class ManualTimerHook extends IterTimerHook {
  protected override now(): number {
    return clock;
  }
}

function fakeRunner(maxIters: number, valLength = 4) {
  const progress = { iter: 0 };
  const runner = {
    messageHub: new MessageHub('iter-timer-test'),
    get iter() { return progress.iter; },
    maxIters,
    dataloaderLength: (mode: string) => (mode === 'val' ? valLength : 0),
  };
  return { runner: runner as unknown as Runner, progress, hub: runner.messageHub };
}

const values = (hub: MessageHub, key: string) => [...hub.getScalar(key).data[0]];
const close = (a: number[], b: number[]) => a.every((x, i) => Math.abs(x - b[i]!) < 1e-9) && a.length === b.length;

test('train: data_time from epoch start or previous iteration end, time includes it, eta from the mean', () => {
  clock = 100;
  const { runner, hub, progress } = fakeRunner(10);
  const hook = new ManualTimerHook();
  hook.beforeTrain(runner);
  hook.beforeTrainEpoch(runner);
  // Iteration 0: 0.5 s loading, 1.5 s step. Iteration 1: 0.25 s loading, 0.75 s step.
  const steps = [[0.5, 1.5], [0.25, 0.75]] as const;
  steps.forEach(([load, step], i) => {
    progress.iter = i;
    clock += load;
    hook.beforeTrainIter(runner);
    clock += step;
    hook.afterTrainIter(runner, i);
  });
  assert.ok(close(values(hub, 'train/data_time'), [0.5, 0.25]));
  assert.ok(close(values(hub, 'train/time'), [2, 1]));
  // Mean 1.5 s over 2 iterations, 10 - 1 - 1 = 8 left.
  assert.ok(Math.abs(hub.getInfo<number>('eta')! - 12) < 1e-9);
});

test('a resumed run averages only the iterations it ran itself', () => {
  clock = 0;
  const { runner, hub, progress } = fakeRunner(100);
  progress.iter = 50;
  const hook = new ManualTimerHook();
  hook.beforeTrain(runner);
  hook.beforeTrainEpoch(runner);
  hook.beforeTrainIter(runner);
  clock += 2;
  hook.afterTrainIter(runner, 50);
  assert.equal(hook.startIter, 50);
  // 2 s per iteration, 100 - 50 - 1 = 49 left.
  assert.ok(Math.abs(hub.getInfo<number>('eta')! - 98) < 1e-9);
});

test('val: times per iteration, eta over the rest of the loader, reset each epoch', () => {
  clock = 0;
  const { runner, hub } = fakeRunner(10, 4);
  const hook = new ManualTimerHook();
  hook.beforeValEpoch(runner);
  for (let i = 0; i < 2; i++) {
    hook.beforeValIter(runner);
    clock += 3;
    hook.afterValIter(runner, i);
  }
  assert.deepEqual(values(hub, 'val/time'), [3, 3]);
  assert.deepEqual(values(hub, 'val/data_time'), [0, 0]);
  // Mean 3 s, 4 - 1 - 1 = 2 batches left.
  assert.equal(hub.getInfo('eta'), 6);
  hook.afterValEpoch(runner);
  assert.equal(hook.timeSecTestVal, 0);
  assert.equal(hub.logScalars.has('train/time'), false);
});

test('built from HOOKS with NORMAL priority; takes no options', () => {
  assert.ok(HOOKS.build({ type: 'IterTimerHook' }) instanceof IterTimerHook);
  assert.equal(IterTimerHook.priority, 'NORMAL');
  assert.throws(() => new IterTimerHook({ interval: 1 }), /interval/);
});
