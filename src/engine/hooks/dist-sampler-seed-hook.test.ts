// DistSamplerSeedHook: sets the train sampler's epoch before each train epoch (sampler or batch sampler's sampler).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../config/errors.js';
import { DefaultSampler } from '../dataset/default-sampler.js';
import { HOOKS } from '../registry/index.js';
import type { Runner } from '../runner/runner.js';
import { DistSamplerSeedHook } from './dist-sampler-seed-hook.js';

/** A stand-in runner at `epoch` whose train loop has `dataloader`. */
const runnerWith = (dataloader: unknown, epoch: number): Runner => ({ epoch, trainLoop: { dataloader } }) as unknown as Runner;

class RecordingSampler {
  epochs: number[] = [];
  setEpoch(epoch: number): void {
    this.epochs.push(epoch);
  }
}

test('sets the epoch on the loader\'s sampler before each train epoch', () => {
  const sampler = new RecordingSampler();
  const hook = new DistSamplerSeedHook();
  for (const epoch of [0, 1, 2]) hook.beforeTrainEpoch(runnerWith({ sampler }, epoch));
  assert.deepEqual(sampler.epochs, [0, 1, 2]);
});

test('falls back to the batch sampler\'s sampler when the loader has no epoch-aware sampler', () => {
  const inner = new RecordingSampler();
  new DistSamplerSeedHook().beforeTrainEpoch(runnerWith({ sampler: {}, batchSampler: { sampler: inner } }, 4));
  assert.deepEqual(inner.epochs, [4]);
});

test('a real DefaultSampler shuffles differently once the hook moves it to the next epoch', () => {
  const dataset = { length: 32 };
  const sampler = new DefaultSampler({ shuffle: true, seed: 3 }, dataset as never);
  const hook = new DistSamplerSeedHook();
  hook.beforeTrainEpoch(runnerWith({ sampler }, 0));
  const first = [...sampler];
  hook.beforeTrainEpoch(runnerWith({ sampler }, 1));
  const second = [...sampler];
  hook.beforeTrainEpoch(runnerWith({ sampler }, 0));
  assert.deepEqual([...sampler], first, 'same epoch, same order');
  assert.notDeepEqual(second, first);
  assert.deepEqual([...second].sort((a, b) => a - b), Array.from({ length: 32 }, (_, i) => i));
});

test('loaders without an epoch-aware sampler, or no train loop, are left alone', () => {
  const hook = new DistSamplerSeedHook();
  assert.doesNotThrow(() => hook.beforeTrainEpoch(runnerWith({ sampler: {} }, 1)));
  assert.doesNotThrow(() => hook.beforeTrainEpoch(runnerWith({}, 1)));
  assert.doesNotThrow(() => hook.beforeTrainEpoch({ epoch: 0, trainLoop: null } as unknown as Runner));
});

test('takes no options', () => {
  assert.throws(() => HOOKS.build({ type: 'DistSamplerSeedHook', seed: 1 }, { keyPath: ['default_hooks', 'sampler_seed'] }),
    (e: unknown) => e instanceof ConfigError && e.message === "default_hooks.sampler_seed: unknown key 'seed'");
});
