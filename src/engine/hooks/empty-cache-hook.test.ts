// EmptyCacheHook: which hook points release memory, the DEBUG line with RSS, and that freed heap really goes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../torch/index.js';
import { ConfigError } from '../config/errors.js';
import { MMLogger } from '../logging/logger.js';
import { HOOKS } from '../registry/index.js';
import type { Runner } from '../runner/runner.js';
import { EmptyCacheHook } from './empty-cache-hook.js';

let loggers = 0;
/** A stand-in runner with a DEBUG logger whose lines are captured. */
function fakeRunner(logLevel: 'DEBUG' | 'INFO' = 'DEBUG'): { runner: Runner; lines: string[] } {
  const lines: string[] = [];
  const logger = new MMLogger(`empty-cache-test-${loggers++}`, { stream: { write: (s: string) => void lines.push(s) }, color: false, logLevel });
  return { runner: { logger } as unknown as Runner, lines };
}

const LINE = /DEBUG - EmptyCacheHook: malloc_trim (\w+ \w+ \w+): RSS ([\d.]+) MiB -> ([\d.]+) MiB/;

/** Calls every hook point the hook may use, in a train/val/test order, and returns the `where` of each trim. */
function runAllPoints(hook: EmptyCacheHook, runner: Runner, lines: string[]): string[] {
  for (const mode of ['Train', 'Val', 'Test'] as const) {
    (hook[`before${mode}Epoch`] as (r: Runner) => void)(runner);
    (hook[`after${mode}Iter`] as (r: Runner) => void)(runner);
    (hook[`after${mode}Epoch`] as (r: Runner, m: object) => void)(runner, {});
  }
  return lines.map((l) => LINE.exec(l)?.[1]).filter((w): w is string => w !== undefined);
}

test('by default trims after every train, val and test epoch only', () => {
  const { runner, lines } = fakeRunner();
  assert.deepEqual(runAllPoints(new EmptyCacheHook(), runner, lines), ['after train epoch', 'after val epoch', 'after test epoch']);
  assert.ok(!lines.some((l) => l.includes('WARNING')), 'no CUDA warning on a CPU build');
});

test('before_epoch and after_iter flags select those points', () => {
  const { runner, lines } = fakeRunner();
  const hook = new EmptyCacheHook({ before_epoch: true, after_epoch: false, after_iter: true });
  assert.deepEqual(runAllPoints(hook, runner, lines), [
    'before train epoch', 'after train iter', 'before val epoch', 'after val iter', 'before test epoch', 'after test iter',
  ]);
});

test('returns freed heap to the OS and logs RSS before and after at DEBUG', () => {
  // 2000 x 32 KiB tensors from the malloc heap; the last one stays alive so glibc cannot trim the top by itself.
  const tensors = Array.from({ length: 2000 }, () => torch.zeros([8192]));
  const pin = tensors.pop()!;
  for (const t of tensors) t.dispose();
  const { runner, lines } = fakeRunner();
  new EmptyCacheHook().afterTrainEpoch(runner);
  pin.dispose();
  const m = lines.map((l) => LINE.exec(l)).find((x) => x !== null);
  assert.ok(m, `no DEBUG line in ${JSON.stringify(lines)}`);
  const [before, after] = [Number(m[2]), Number(m[3])];
  assert.ok(before - after > 30, `RSS ${before} -> ${after} MiB: expected more than 30 MiB back of the ~62 MiB freed`);
});

test('at INFO level nothing is printed', () => {
  const { runner, lines } = fakeRunner('INFO');
  new EmptyCacheHook().afterTrainEpoch(runner);
  assert.deepEqual(lines, []);
});

test('options are validated with key paths', () => {
  assert.throws(() => HOOKS.build({ type: 'EmptyCacheHook', after_iter: 'yes' }, { keyPath: ['custom_hooks', 1] }),
    (e: unknown) => e instanceof ConfigError && e.message === 'custom_hooks.1.after_iter: expected boolean, got "yes"');
  assert.throws(() => HOOKS.build({ type: 'EmptyCacheHook', after_epochs: true }, { keyPath: ['custom_hooks', 1] }),
    (e: unknown) => e instanceof ConfigError && e.message === "custom_hooks.1: unknown key 'after_epochs'");
  assert.equal((HOOKS.get('EmptyCacheHook') as unknown as typeof EmptyCacheHook).priority, 'NORMAL');
});
