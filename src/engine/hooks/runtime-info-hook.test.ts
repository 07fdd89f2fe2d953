import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageHub } from '../logging/message-hub.js';
import { HOOKS } from '../registry/index.js';
import { SEGKIT_VERSION } from '../runner/checkpoint.js';
import type { Runner } from '../runner/runner.js';
import { RuntimeInfoHook } from './runtime-info-hook.js';

function fakeRunner(lr: Record<string, number[]> = { lr: [0.01] }) {
  const progress = { iter: 0, epoch: 0 };
  const runner = {
    cfg: { model: { type: 'Tiny' }, train_cfg: { max_iters: 40 } },
    seed: 7,
    expName: 'exp1',
    messageHub: new MessageHub('runtime-info-test'),
    get iter() { return progress.iter; },
    get epoch() { return progress.epoch; },
    maxIters: 40,
    maxEpochs: 4,
    trainDataloader: { length: 10, dataset: { metainfo: { classes: ['bg', 'vessel'] } } },
    optimWrapper: { getLr: () => lr },
  };
  return { runner: runner as unknown as Runner, progress, hub: runner.messageHub };
}

const info = (hub: MessageHub) => Object.fromEntries(hub.runtimeInfo);
const scalars = (hub: MessageHub) => Object.fromEntries([...hub.logScalars].map(([k, b]) => [k, [...b.data[0]]]));

test('is built from HOOKS with VERY_HIGH priority and rejects options', () => {
  const hook = HOOKS.build<RuntimeInfoHook>({ type: 'RuntimeInfoHook' });
  assert.ok(hook instanceof RuntimeInfoHook);
  assert.equal(RuntimeInfoHook.priority, 'VERY_HIGH');
  assert.throws(() => new RuntimeInfoHook({ interval: 1 }), /interval/);
});

test('before run and train: meta, progress, limits, loop stage and dataset meta', () => {
  const { runner, hub } = fakeRunner();
  const hook = new RuntimeInfoHook();
  hook.beforeRun(runner);
  hook.beforeTrain(runner);
  const got = info(hub);
  assert.match(String(got.cfg), /model: \{ type: 'Tiny' \}/);
  delete got.cfg;
  assert.deepEqual(got, {
    seed: 7, experiment_name: 'exp1', segkit_version: SEGKIT_VERSION,
    loop_stage: 'train', epoch: 0, iter: 0, max_epochs: 4, max_iters: 40, dataset_meta: { classes: ['bg', 'vessel'] },
  });
});

test('each train iteration: iter and the first group lr before, log vars after, as train/ scalars', () => {
  const { runner, hub, progress } = fakeRunner({ base_lr: [0.01], lr: [0.005, 0.0025] });
  const hook = new RuntimeInfoHook();
  for (let i = 0; i < 3; i++) {
    progress.iter = i;
    hook.beforeTrainIter(runner, i, {});
    hook.afterTrainIter(runner, i, {}, { loss: 1 / (i + 1), 'decode.acc_seg': 90 + i });
  }
  assert.equal(hub.getInfo('iter'), 2);
  assert.deepEqual(scalars(hub), {
    'train/base_lr': [0.01, 0.01, 0.01],
    'train/lr': [0.005, 0.005, 0.005],
    'train/loss': [1, 0.5, 1 / 3],
    'train/decode.acc_seg': [90, 91, 92],
  });
});

test('epoch info follows the runner before each train epoch', () => {
  const { runner, hub, progress } = fakeRunner();
  const hook = new RuntimeInfoHook();
  progress.epoch = 3;
  hook.beforeTrainEpoch(runner);
  assert.equal(hub.getInfo('epoch'), 3);
});

test('val and test metrics: scalars as val/ and test/ scalars, the rest as runtime info', () => {
  const { runner, hub } = fakeRunner();
  const hook = new RuntimeInfoHook();
  hook.afterValEpoch(runner, { mIoU: 71.5, IoU: [70, 73], note: 'ok' });
  hook.afterTestEpoch(runner, { mIoU: 69.25 });
  assert.deepEqual(scalars(hub), { 'val/mIoU': [71.5], 'test/mIoU': [69.25] });
  assert.deepEqual(info(hub), { 'val/IoU': [70, 73], 'val/note': 'ok' });
});

test('a validation inside training hands the loop stage back to train; standalone runs clear it', () => {
  const { runner, hub } = fakeRunner();
  const hook = new RuntimeInfoHook();
  hook.beforeRun(runner);
  hook.beforeTrain(runner);
  hook.beforeVal(runner);
  assert.equal(hub.getInfo('loop_stage'), 'val');
  hook.afterVal(runner);
  assert.equal(hub.getInfo('loop_stage'), 'train');
  hook.afterTrain(runner);
  assert.equal(hub.runtimeInfo.has('loop_stage'), false);

  hook.beforeVal(runner);
  hook.afterVal(runner);
  assert.equal(hub.runtimeInfo.has('loop_stage'), false);
  hook.beforeTest(runner);
  assert.equal(hub.getInfo('loop_stage'), 'test');
  hook.afterTest(runner);
  assert.equal(hub.runtimeInfo.has('loop_stage'), false);
});
