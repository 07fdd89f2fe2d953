// SyncBuffersHook: a no-op in one process; syncBuffers is the seam that refuses several processes until c10d lands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../torch/index.js';
import { nn } from '../../torch/index.js';
import { ConfigError } from '../config/errors.js';
import { HOOKS } from '../registry/index.js';
import type { Runner } from '../runner/runner.js';
import { SyncBuffersHook, syncBuffers } from './sync-buffers-hook.js';

const withWorldSize = <T>(value: string | undefined, fn: () => T): T => {
  const saved = process.env.WORLD_SIZE;
  if (value === undefined) delete process.env.WORLD_SIZE;
  else process.env.WORLD_SIZE = value;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env.WORLD_SIZE;
    else process.env.WORLD_SIZE = saved;
  }
};

test('in one process the hook leaves BN buffers untouched', () => {
  const bn = new nn.BatchNorm2d(2);
  torch.noGrad(() => bn.getBuffer('running_mean').fill_(3));
  const hook = withWorldSize(undefined, () => new SyncBuffersHook());
  assert.equal(hook.distributed, false);
  const runner = { model: bn } as unknown as Runner;
  hook.afterTrainEpoch(runner);
  hook.beforeValEpoch(runner);
  assert.deepEqual(bn.getBuffer('running_mean').toArray(), [3, 3]);
  assert.equal(hook.calledInTrain, false);
});

test('syncBuffers returns at once for world size 1 and refuses several processes without a process group', () => {
  const bn = new nn.BatchNorm2d(2);
  assert.doesNotThrow(() => syncBuffers(bn, 1));
  assert.throws(() => syncBuffers(bn, 2), /cannot average the 3 buffers of BatchNorm2d across 2 processes/);
  assert.throws(() => syncBuffers(bn, 0), /worldSize must be a positive integer, got 0/);
});

test('with WORLD_SIZE > 1 the hook syncs after the train epoch (and so reaches the missing all-reduce)', () => {
  const hook = withWorldSize('2', () => new SyncBuffersHook());
  assert.equal(hook.distributed, true);
  assert.throws(() => hook.afterTrainEpoch({ model: new nn.BatchNorm2d(2) } as unknown as Runner), /across 2 processes/);
});

test('takes no options', () => {
  assert.throws(() => HOOKS.build({ type: 'SyncBuffersHook', interval: 1 }, { keyPath: ['custom_hooks', 2] }),
    (e: unknown) => e instanceof ConfigError && e.message === "custom_hooks.2: unknown key 'interval'");
});
