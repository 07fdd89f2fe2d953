// SyncBuffersHook in one process: a no-op (the 2-rank averaging is tested in runner/distributed.test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../torch/index.js';
import { nn } from '../../torch/index.js';
import { ConfigError } from '../config/errors.js';
import { HOOKS } from '../registry/index.js';
import type { Runner } from '../runner/runner.js';
import { SyncBuffersHook, syncBuffers } from './sync-buffers-hook.js';

test('in one process the hook leaves BN buffers untouched', () => {
  const bn = new nn.BatchNorm2d(2);
  torch.noGrad(() => bn.getBuffer('running_mean').fill_(3));
  const hook = new SyncBuffersHook();
  assert.equal(hook.distributed, false);
  const runner = { model: bn } as unknown as Runner;
  hook.afterTrainEpoch(runner);
  hook.beforeValEpoch(runner);
  assert.deepEqual(bn.getBuffer('running_mean').toArray(), [3, 3]);
  assert.equal(hook.calledInTrain, false);
});

test('syncBuffers is a no-op without a process group, even with WORLD_SIZE set (2-rank averaging: runner/distributed.test)', () => {
  const bn = new nn.BatchNorm2d(2);
  const saved = process.env.WORLD_SIZE;
  process.env.WORLD_SIZE = '2';
  try {
    assert.equal(syncBuffers(bn), 0);
  } finally {
    if (saved === undefined) delete process.env.WORLD_SIZE;
    else process.env.WORLD_SIZE = saved;
  }
});

test('takes no options', () => {
  assert.throws(() => HOOKS.build({ type: 'SyncBuffersHook', interval: 1 }, { keyPath: ['custom_hooks', 2] }),
    (e: unknown) => e instanceof ConfigError && e.message === "custom_hooks.2: unknown key 'interval'");
});
