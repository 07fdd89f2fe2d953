import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { Registry } from './registry.js';
import { ConfigError, parseOptions, withKeyPath } from '../config/errors.js';

class CheckpointHook {
  readonly opts: { interval: number; by_epoch: boolean };
  constructor(args: unknown) {
    this.opts = parseOptions(z.object({ interval: z.number().default(1), by_epoch: z.boolean().default(true) }).strict(), args);
  }
}

test('builds a registered class by name, with scope prefixes and default args', () => {
  const hooks = new Registry('HOOKS');
  hooks.register(CheckpointHook);
  const h = hooks.build<CheckpointHook>({ type: 'mmseg.CheckpointHook', interval: 5 }, { defaultArgs: { by_epoch: false } });
  assert.deepEqual(h.opts, { interval: 5, by_epoch: false });
  assert.ok(hooks.build({ type: CheckpointHook }) instanceof CheckpointHook);
});

test('an unknown name names the registry, the key path and the closest names', () => {
  const hooks = new Registry('HOOKS');
  hooks.register(CheckpointHook);
  assert.throws(() => hooks.build({ type: 'CheckpointHok' }, { keyPath: ['default_hooks', 'checkpoint'] }),
    /default_hooks\.checkpoint\.type: 'CheckpointHok' is not in the HOOKS registry; did you mean 'CheckpointHook'\?/);
  assert.throws(() => hooks.register(class CheckpointHook {} as never), /already registered/);
});

test('option errors carry the full key path', () => {
  const hooks = new Registry('HOOKS');
  hooks.register(CheckpointHook);
  assert.throws(() => hooks.build({ type: 'CheckpointHook', interval: '5' }, { keyPath: ['default_hooks', 'checkpoint'] }),
    (e: unknown) => e instanceof ConfigError && e.message === 'default_hooks.checkpoint.interval: expected number, got "5"');
  assert.throws(() => hooks.build({ type: 'CheckpointHook', intervl: 5 }, { keyPath: ['custom_hooks', 0] }),
    /custom_hooks\.0: unknown key 'intervl'/);
  const schema = z.object({ custom_keys: z.record(z.string(), z.object({ decay_mult: z.number() })) });
  assert.throws(() => withKeyPath(['optim_wrapper', 'paramwise_cfg'], () => parseOptions(schema, { custom_keys: { norm: { decay_mult: '0' } } }), 'configs/my.ts'),
    (e: unknown) => (e as Error).message === 'configs/my.ts: optim_wrapper.paramwise_cfg.custom_keys.norm.decay_mult: expected number, got "0"');
});
