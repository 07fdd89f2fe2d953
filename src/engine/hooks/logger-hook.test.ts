import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseDataPreprocessor, BaseModel, type DataBatch, type PreprocessedBatch } from '../model/base-model.js';
import { MessageHub } from '../logging/message-hub.js';
import { MMLogger } from '../logging/logger.js';
import { LogProcessor } from '../logging/log-processor.js';
import { Visualizer } from '../visualization/visualizer.js';
import { LocalVisBackend } from '../visualization/local-vis-backend.js';
import { Runner, type RunnerOptimWrapper } from '../runner/runner.js';
import { EpochBasedTrainLoop, IterBasedTrainLoop } from '../runner/train-loops.js';
import { TestLoop, ValLoop } from '../runner/val-test-loops.js';
import type { DataLoaderLike } from '../runner/data-source.js';
import type { Evaluator } from '../evaluator/index.js';
import { ConfigError } from '../config/errors.js';
import { HOOKS } from '../registry/index.js';
import type { Hook } from './hook.js';
import { getPriority } from './priority.js';
import { RuntimeInfoHook } from './runtime-info-hook.js';
import { IterTimerHook } from './iter-timer-hook.js';
import { LoggerHook } from './logger-hook.js';

class PassThrough extends BaseDataPreprocessor {
  forward(): PreprocessedBatch {
    throw new Error('not used: TinyModel overrides its steps');
  }
}

/** Reports the batch's `loss` as its log var; no tensors involved. */
class TinyModel extends BaseModel {
  readonly dataPreprocessor = new PassThrough();
  forward(): unknown {
    return {};
  }
  override trainStep(data: DataBatch): Record<string, number> {
    return { loss: data.loss as number };
  }
  override valStep(): unknown[] {
    return [];
  }
}

/** `length` batches per pass; batch i has loss 1 / (i + 1). */
function loader(length: number): DataLoaderLike {
  return {
    length,
    async *[Symbol.asyncIterator]() {
      for (let i = 0; i < length; i++) yield { loss: 1 / (i + 1) };
    },
  };
}

const evaluator = (...results: Record<string, unknown>[]) =>
  ({ process() {}, evaluate: () => results.shift() ?? {} }) as unknown as Evaluator;

let runs = 0;
function makeRunner(opts: { byEpoch: boolean }) {
  const workDir = join(mkdtempSync(join(tmpdir(), 'segkit-logger-hook-')), 'exp1');
  const timestamp = '20240102_030405';
  const logDir = join(workDir, timestamp);
  const lines: string[] = [];
  const name = `logger-hook-test-${++runs}`;
  const runner = new Runner({
    cfg: {}, model: new TinyModel(), workDir, logDir, timestamp, expName: 'exp1', seed: 0, device: 'cpu',
    logger: new MMLogger(name, { stream: { write: (t: string) => lines.push(t) }, color: false, logFile: join(logDir, `${timestamp}.log`) }),
    messageHub: new MessageHub(name),
    visualizer: new Visualizer({ name, vis_backends: [new LocalVisBackend({ save_dir: join(logDir, 'vis_data') })] }),
    logProcessor: new LogProcessor({ by_epoch: opts.byEpoch }),
  });
  runner.optimWrapper = { getLr: () => ({ lr: [0.01] }) } as unknown as RunnerOptimWrapper;
  /** Messages (without time and level) logged at INFO. */
  const messages = () => lines.map((l) => /- INFO - (.*)\n$/.exec(l)?.[1]).filter((m): m is string => m !== undefined);
  const scalars = (file = 'scalars.json') =>
    readFileSync(join(logDir, 'vis_data', file), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  return { runner, workDir, logDir, timestamp, messages, scalars };
}

/** Registers the hooks at their default priorities, then runs beforeRun, the train loop and afterRun. */
async function run(runner: Runner, hooks: Hook[]): Promise<void> {
  for (const hook of [new RuntimeInfoHook(), new IterTimerHook(), ...hooks]) {
    runner.registerHook(hook, getPriority((hook.constructor as typeof Hook).priority));
  }
  await runner.callHook('beforeRun');
  await runner.trainLoop!.run();
  await runner.callHook('afterRun');
}

test('built from HOOKS with MMEngine defaults; bad options name the key', () => {
  const hook = HOOKS.build<LoggerHook>({ type: 'LoggerHook' });
  assert.equal(LoggerHook.priority, 'BELOW_NORMAL');
  assert.deepEqual([hook.interval, hook.ignoreLast, hook.intervalExpName, hook.outRoot, hook.keepLocal, hook.logMetricByEpoch],
    [10, true, 1000, null, true, true]);
  assert.deepEqual(hook.outSuffix, ['.json', '.log', '.py', 'yaml']);
  assert.throws(() => new LoggerHook({ interval: 0 }), (e: unknown) => e instanceof ConfigError && /^interval:/.test(e.message));
  assert.throws(() => new LoggerHook({ file_client_args: { backend: 'disk' } }), /file_client_args: should be null when out_dir is not set/);
});

test('iteration-based: a train line and scalars every interval; val metrics at the iteration when log_metric_by_epoch is false', async () => {
  const { runner, messages, scalars, timestamp } = makeRunner({ byEpoch: false });
  runner.trainLoop = new IterBasedTrainLoop({ max_iters: 25, val_interval: 10 }, runner, loader(12));
  runner.valLoop = new ValLoop({}, runner, loader(3), evaluator({ mIoU: 40 }, { mIoU: 45 }, { mIoU: 50 }));
  await run(runner, [new LoggerHook({ log_metric_by_epoch: false })]);

  const trainLines = messages().filter((m) => m.startsWith('Iter(train)'));
  assert.equal(trainLines.length, 2);
  assert.match(trainLines[0]!, /^Iter\(train\) \[10\/25\]  lr: 1\.0000e-02  eta: 0:00:\d\d  time: [\d.]+  data_time: [\d.]+  memory: \d+  loss: 0\.\d{4}$/);
  assert.match(trainLines[1]!, /^Iter\(train\) \[20\/25\]/);
  // The train loader's epoch ends at iteration 12 (batch index 11): the experiment name is printed there.
  assert.deepEqual(messages().filter((m) => m.startsWith('Exp name')), ['Exp name: exp1']);
  assert.deepEqual(messages().filter((m) => m.startsWith('Iter(val) [3/3]')).map((m) => m.match(/mIoU: [\d.]+/)?.[0]),
    ['mIoU: 40.0000', 'mIoU: 45.0000', 'mIoU: 50.0000']);

  const records = scalars();
  assert.deepEqual(records.map((r) => r.step), [10, 10, 20, 20, 25]);
  assert.deepEqual(records.filter((r) => 'mIoU' in r).map((r) => [r.mIoU, r.step]), [[40, 10], [45, 20], [50, 25]]);
  const train = records[0]!;
  assert.deepEqual(Object.keys(train).sort(), ['data_time', 'iter', 'loss', 'lr', 'memory', 'step', 'time']);
  assert.equal(train.lr, 0.01);
  assert.equal(train.iter, 10);
  // Losses of iterations 1..10: batches 0..9 of 12, smoothed over a window of 10.
  const expected = Array.from({ length: 10 }, (_, i) => 1 / (i + 1)).reduce((a, b) => a + b) / 10;
  assert.ok(Math.abs(train.loss! - expected) < 1e-12);
  // The same records go to <timestamp>.json beside scalars.json.
  assert.deepEqual(scalars(`${timestamp}.json`), records);
});

test('ignore_last false also logs the short tail of each epoch; val metrics at the epoch', async () => {
  const { runner, messages, scalars } = makeRunner({ byEpoch: true });
  runner.trainLoop = new EpochBasedTrainLoop({ max_epochs: 2 }, runner, loader(5));
  runner.valLoop = new ValLoop({}, runner, loader(2), evaluator({ mIoU: 30 }, { mIoU: 35 }));
  await run(runner, [new LoggerHook({ interval: 2, ignore_last: false })]);
  const heads = messages().filter((m) => m.startsWith('Epoch(train)')).map((m) => m.slice(0, 'Epoch(train) [1][2/5]'.length));
  assert.deepEqual(heads, ['Epoch(train) [1][2/5]', 'Epoch(train) [1][4/5]', 'Epoch(train) [1][5/5]',
    'Epoch(train) [2][2/5]', 'Epoch(train) [2][4/5]', 'Epoch(train) [2][5/5]']);
  // Per epoch: the line of val batch 2 (every 2 inner iterations) and the metrics line.
  assert.equal(messages().filter((m) => m.startsWith('Epoch(val) [1][2/2]')).length, 2);
  const records = scalars();
  assert.deepEqual(records.filter((r) => !('mIoU' in r)).map((r) => [r.step, r.epoch]), [[2, 1], [4, 1], [5, 1], [7, 2], [9, 2], [10, 2]]);
  assert.deepEqual(records.filter((r) => 'mIoU' in r).map((r) => [r.mIoU, r.step]), [[30, 1], [35, 2]]);
});

test('ignore_last (default) skips the tail shorter than interval', async () => {
  const { runner, messages } = makeRunner({ byEpoch: true });
  runner.trainLoop = new EpochBasedTrainLoop({ max_epochs: 1 }, runner, loader(5));
  await run(runner, [new LoggerHook({ interval: 2 })]);
  assert.deepEqual(messages().filter((m) => m.startsWith('Epoch(train)')).map((m) => m.slice(13, 21)), ['[1][2/5]', '[1][4/5]']);
});

test('an epoch shorter than interval is still logged at its end despite ignore_last', async () => {
  const { runner, messages } = makeRunner({ byEpoch: true });
  runner.trainLoop = new EpochBasedTrainLoop({ max_epochs: 2 }, runner, loader(3));
  await run(runner, [new LoggerHook({ interval: 10 })]);
  assert.deepEqual(messages().filter((m) => m.startsWith('Epoch(train)')).map((m) => m.slice(13, 21)), ['[1][3/3]', '[2][3/3]']);
});

test('the experiment name is printed every interval_exp_name iterations', async () => {
  const { runner, messages } = makeRunner({ byEpoch: false });
  runner.trainLoop = new IterBasedTrainLoop({ max_iters: 9 }, runner, loader(100));
  await run(runner, [new LoggerHook({ interval_exp_name: 3 })]);
  assert.equal(messages().filter((m) => m === 'Exp name: exp1').length, 3);
});

test('test metrics, non-scalars included, go to <log_dir>/<timestamp>.json', async () => {
  const { runner, logDir, timestamp, messages } = makeRunner({ byEpoch: false });
  runner.testLoop = new TestLoop({}, runner, loader(2), evaluator({ mIoU: 50.5, IoU: [40, 61] }));
  for (const hook of [new RuntimeInfoHook(), new LoggerHook()]) runner.registerHook(hook, getPriority((hook.constructor as typeof Hook).priority));
  await runner.testLoop.run();
  const dumped = JSON.parse(readFileSync(join(logDir, `${timestamp}.json`), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(dumped, { mIoU: 50.5, IoU: [40, 61] });
  assert.deepEqual(messages(), ['Iter(test) [2/2]    mIoU: 50.5000  IoU: [40, 61]']);
});

test('after the run, log files are copied to out_dir/<work dir name>; keep_local false removes them', async () => {
  const { runner, workDir, logDir, timestamp, messages } = makeRunner({ byEpoch: false });
  const outRoot = mkdtempSync(join(tmpdir(), 'segkit-logger-out-'));
  runner.trainLoop = new IterBasedTrainLoop({ max_iters: 2 }, runner, loader(4));
  await run(runner, [new LoggerHook({ interval: 1, out_dir: outRoot, keep_local: false })]);
  const outDir = join(outRoot, 'exp1');
  assert.ok(messages().includes(`Text logs will be saved to ${outDir} after the training process.`));
  for (const file of [`${timestamp}.log`, join('vis_data', 'scalars.json'), join('vis_data', `${timestamp}.json`)]) {
    assert.ok(existsSync(join(outDir, file)), `${file} copied`);
    assert.equal(existsSync(join(logDir, file)), false, `${file} removed locally`);
  }
  assert.match(readFileSync(join(outDir, `${timestamp}.log`), 'utf8'), /Iter\(train\) \[2\/2\]/);
  assert.equal(readFileSync(join(outDir, 'vis_data', 'scalars.json'), 'utf8').trim().split('\n').length, 2);
  assert.ok(existsSync(workDir));
});

test('keep_local (default) leaves the local files in place', async () => {
  const { runner, logDir, timestamp } = makeRunner({ byEpoch: false });
  const outRoot = mkdtempSync(join(tmpdir(), 'segkit-logger-out-'));
  runner.trainLoop = new IterBasedTrainLoop({ max_iters: 1 }, runner, loader(4));
  await run(runner, [new LoggerHook({ interval: 1, out_dir: outRoot, out_suffix: '.log' })]);
  assert.ok(existsSync(join(logDir, `${timestamp}.log`)));
  assert.ok(existsSync(join(outRoot, 'exp1', `${timestamp}.log`)));
  assert.equal(existsSync(join(outRoot, 'exp1', 'vis_data')), false);
});
