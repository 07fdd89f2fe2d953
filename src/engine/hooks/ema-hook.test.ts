// EMAHook: averaging from begin_iter / start_iters / begin_epoch, val/test swaps, checkpoint layout, load and resume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../torch/index.js';
import { nn, type Tensor } from '../../torch/index.js';
import { ConfigError } from '../config/errors.js';
import { MMLogger } from '../logging/logger.js';
import { MessageHub } from '../logging/message-hub.js';
import { LogProcessor } from '../logging/log-processor.js';
import { Visualizer } from '../visualization/visualizer.js';
import type { BaseModel } from '../model/base-model.js';
import { HOOKS } from '../registry/index.js';
import { Runner } from '../runner/runner.js';
import type { BaseTrainLoop } from '../runner/train-loops.js';
import { loadOrResume, resumeFrom, saveCheckpoint } from '../runner/checkpoint.js';
import { loadCheckpointFile } from '../runner/checkpoint-file.js';
import { registerHookConfig } from '../runner/build.js';
import { EMAHook } from './ema-hook.js';
import { StochasticWeightAverage } from '../model/averaged-model.js';

class Net extends nn.Module {
  w: Tensor;
  running: Tensor;
  constructor() {
    super();
    this.w = this.registerParameter('w', torch.tensor([1, 2]));
    this.running = this.registerBuffer('running', torch.tensor([0, 0]));
  }
  forward(x: Tensor): Tensor {
    return x.mul(this.w);
  }
}

let runnerCount = 0;
interface Progress {
  iter: number; epoch: number; maxIters: number; maxEpochs: number; dataloader: { length: number };
  restoreProgress(iter: number, epoch: number): void;
}

/** A real Runner around `net`, with a stand-in train loop whose progress the test sets; log lines are captured. */
function makeRunner(net: Net, cfg: Record<string, unknown> = {}): { runner: Runner; progress: Progress; lines: string[]; dir: string } {
  const n = runnerCount++;
  const dir = mkdtempSync(join(tmpdir(), 'segkit-ema-hook-'));
  const lines: string[] = [];
  const runner = new Runner({
    cfg, model: net as unknown as BaseModel, workDir: dir, logDir: dir, timestamp: 't', expName: `ema-${n}`,
    logger: new MMLogger(`ema-hook-test-${n}`, { stream: { write: (s: string) => void lines.push(s) }, color: false, logLevel: 'DEBUG' }),
    messageHub: new MessageHub(`ema-hook-test-${n}`), visualizer: new Visualizer({ name: `ema-hook-test-${n}` }),
    logProcessor: new LogProcessor(), seed: 0, device: 'cpu',
  });
  const progress: Progress = {
    iter: 0, epoch: 0, maxIters: 100, maxEpochs: 10, dataloader: { length: 10 },
    restoreProgress(iter, epoch) {
      this.iter = iter;
      this.epoch = epoch;
    },
  };
  runner.trainLoop = progress as unknown as BaseTrainLoop;
  return { runner, progress, lines, dir };
}

const set = (t: Tensor, values: number[]): void => void torch.noGrad(() => torch.tidy(() => {
  t.copy_(torch.tensor(values));
}));
const emaW = (hook: EMAHook): number[] => hook.emaModel!.module.getParameter('w').toArray();

/** Runs train iterations with the given source weights, as the loop does (hook, then iter + 1). */
function trainIters(hook: EMAHook, runner: Runner, progress: Progress, weights: number[][]): number[][] {
  return weights.map((w) => {
    set((runner.model as unknown as Net).w, w);
    hook.afterTrainIter(runner);
    progress.iter++;
    return emaW(hook);
  });
}

test('copies the weights until begin_iter, then averages with momentum', () => {
  const { runner, progress } = makeRunner(new Net());
  const hook = new EMAHook({ momentum: 0.5, begin_iter: 3 });
  hook.beforeRun(runner);
  hook.beforeTrain(runner);
  const seen = trainIters(hook, runner, progress, [[1, 1], [2, 2], [4, 4], [8, 8], [0, 0]]);
  // iter 0, 1: copy; iter 2 (iter + 1 >= 3): first update copies (steps 0); then 0.5 * ema + 0.5 * w.
  assert.deepEqual(seen, [[1, 1], [2, 2], [4, 4], [6, 6], [3, 3]]);
  assert.equal(hook.emaModel!.steps.item(), 3);
});

test("the seed's start_iters works as begin_iter (with priority from the config)", () => {
  const { runner, progress } = makeRunner(new Net());
  registerHookConfig(runner, { type: 'EMAHook', start_iters: 3, momentum: 0.5, priority: 'NORMAL' }, ['custom_hooks', 0]);
  const hook = runner.hooks[0] as EMAHook;
  assert.equal(hook.beginIter, 3);
  assert.equal(hook.priority, 50);
  hook.beforeRun(runner);
  assert.deepEqual(trainIters(hook, runner, progress, [[1, 1], [2, 2], [4, 4], [8, 8], [0, 0]]), [[1, 1], [2, 2], [4, 4], [6, 6], [3, 3]]);
  assert.equal(new EMAHook({ start_iters: 500, begin_iter: 500 }).beginIter, 500);
});

test('begin_epoch starts averaging when epoch + 1 reaches it', () => {
  const { runner, progress } = makeRunner(new Net());
  const hook = new EMAHook({ momentum: 0.5, begin_epoch: 2 });
  hook.beforeRun(runner);
  assert.deepEqual(trainIters(hook, runner, progress, [[2, 2], [4, 4]]), [[2, 2], [4, 4]]); // epoch 0: copying
  progress.epoch = 1;
  assert.deepEqual(trainIters(hook, runner, progress, [[6, 6], [8, 8]]), [[6, 6], [7, 7]]); // steps 0 copies, then averages
});

test('default options are MMEngine\'s: ExponentialMovingAverage with momentum 0.0002 from iteration 0', () => {
  const { runner, progress } = makeRunner(new Net());
  const hook = new EMAHook();
  hook.beforeRun(runner);
  trainIters(hook, runner, progress, [[1, 2], [10001, 2]]);
  const w = emaW(hook);
  assert.ok(Math.abs(w[0]! - 3) < 1e-4 && w[1] === 2, `got ${w}`);
  assert.equal(hook.emaModel!.className, 'ExponentialMovingAverage');
});

test('swaps the EMA weights in for val and test epochs and back after', async () => {
  const net = new Net();
  const { runner, progress } = makeRunner(net);
  const hook = new EMAHook({ momentum: 0.5 });
  runner.registerHook(hook, 50);
  await runner.callHook('beforeRun');
  set(net.running, [5, 5]);
  trainIters(hook, runner, progress, [[2, 2], [4, 4]]); // ema w [3, 3]; buffers follow the model
  for (const mode of ['Val', 'Test'] as const) {
    await runner.callHook(`before${mode}Epoch`);
    assert.deepEqual(net.w.toArray(), [3, 3], `${mode}: model holds EMA weights`);
    assert.deepEqual(emaW(hook), [4, 4], `${mode}: EMA holds the trained weights meanwhile`);
    await runner.callHook(`after${mode}Epoch`, {});
    assert.deepEqual(net.w.toArray(), [4, 4], `${mode}: trained weights back`);
    assert.deepEqual(emaW(hook), [3, 3]);
  }
  assert.ok(net.w.requiresGrad, 'the parameter is still a trainable leaf');
});

test('with update_buffers the buffers are averaged and swapped too', () => {
  const net = new Net();
  const { runner, progress } = makeRunner(net);
  const hook = new EMAHook({ momentum: 0.5, update_buffers: true });
  hook.beforeRun(runner);
  hook.afterTrainIter(runner); // steps 0: copies running [0, 0]
  progress.iter++;
  set(net.running, [4, 8]);
  hook.afterTrainIter(runner);
  assert.deepEqual(hook.emaModel!.module.getBuffer('running').toArray(), [2, 4]);
  hook.beforeValEpoch(runner);
  assert.deepEqual(net.running.toArray(), [2, 4]);
  hook.afterValEpoch(runner);
  assert.deepEqual(net.running.toArray(), [4, 8]);
});

test('checkpoint: ema_state_dict holds steps + module.* with the trained weights, state_dict the EMA weights', async () => {
  const net = new Net();
  const { runner, progress, dir } = makeRunner(net);
  const hook = new EMAHook({ momentum: 0.5 });
  runner.registerHook(hook, 50);
  await runner.callHook('beforeRun');
  trainIters(hook, runner, progress, [[2, 2], [4, 4], [8, 8]]); // ema w [3,3] then [5.5, 5.5]
  const file = await saveCheckpoint(runner, dir, 'iter_3.ckpt', { byEpoch: false });
  const ckpt = loadCheckpointFile(file);
  const ema = ckpt.ema_state_dict as Map<string, Tensor>;
  const state = ckpt.state_dict as Map<string, Tensor>;
  assert.deepEqual([...ema.keys()], ['steps', 'module.w', 'module.running']);
  assert.equal(ema.get('steps')!.item(), 3);
  assert.deepEqual(ema.get('module.w')!.toArray(), [8, 8], 'trained weights under ema_state_dict');
  assert.deepEqual(state.get('w')!.toArray(), [5.5, 5.5], 'EMA weights under state_dict (deployable)');
  assert.deepEqual(net.w.toArray(), [8, 8], 'saving does not change the live model');
  torch.dispose(ckpt);
});

test('resume restores the trained weights into the model and the EMA state into the hook', async () => {
  const src = makeRunner(new Net());
  const hook = new EMAHook({ momentum: 0.5 });
  src.runner.registerHook(hook, 50);
  await src.runner.callHook('beforeRun');
  trainIters(hook, src.runner, src.progress, [[2, 2], [4, 4], [8, 8]]);
  const file = await saveCheckpoint(src.runner, src.dir, 'iter_3.ckpt', { byEpoch: false });

  const net = new Net();
  const { runner } = makeRunner(net, { resume: true });
  const resumed = new EMAHook({ momentum: 0.5 });
  runner.registerHook(resumed, 50);
  await runner.callHook('beforeRun');
  await resumeFrom(runner, file);
  assert.deepEqual(net.w.toArray(), [8, 8], 'model: trained weights');
  assert.deepEqual(emaW(resumed), [5.5, 5.5], 'EMA: averaged weights');
  assert.equal(resumed.emaModel!.steps.item(), 3);
});

test('load_from without resume loads state_dict (the EMA weights) into the EMA model', async () => {
  const src = makeRunner(new Net());
  const hook = new EMAHook({ momentum: 0.5 });
  src.runner.registerHook(hook, 50);
  await src.runner.callHook('beforeRun');
  trainIters(hook, src.runner, src.progress, [[2, 2], [4, 4]]); // ema [3, 3]
  const file = await saveCheckpoint(src.runner, src.dir, 'iter_2.ckpt', { byEpoch: false });

  const net = new Net();
  const { runner } = makeRunner(net);
  const loaded = new EMAHook();
  runner.registerHook(loaded, 50);
  await runner.callHook('beforeRun');
  await loadOrResume(runner, { resume: false, loadFrom: file });
  assert.deepEqual(net.w.toArray(), [3, 3]);
  assert.deepEqual(emaW(loaded), [3, 3]);
  assert.equal(loaded.emaModel!.steps.item(), 0, 'steps are not part of state_dict');
});

test('resuming from a checkpoint without ema_state_dict copies state_dict into the EMA with a warning', async () => {
  const src = makeRunner(new Net());
  set((src.runner.model as unknown as Net).w, [7, 9]);
  const file = await saveCheckpoint(src.runner, src.dir, 'plain.ckpt', { byEpoch: false });

  const net = new Net();
  const { runner, lines } = makeRunner(net, { resume: true });
  const hook = new EMAHook();
  runner.registerHook(hook, 50);
  await runner.callHook('beforeRun');
  await resumeFrom(runner, file);
  assert.deepEqual(emaW(hook), [7, 9]);
  assert.deepEqual(net.w.toArray(), [7, 9]);
  assert.ok(lines.some((l) => l.includes('WARNING') && l.includes('There is no `ema_state_dict` in checkpoint')), lines.join(''));
});

test('begin_iter beyond max_iters fails before training', () => {
  const { runner } = makeRunner(new Net());
  assert.throws(() => new EMAHook({ begin_iter: 101 }).beforeTrain(runner), /begin_iter \(101\) must be at most max_iters \(100\)/);
  assert.throws(() => new EMAHook({ begin_epoch: 11 }).beforeTrain(runner), /begin_epoch \(11\) must be at most max_epochs \(10\)/);
});

test('config errors name the key path', () => {
  const build = (cfg: Record<string, unknown>): unknown => HOOKS.build({ type: 'EMAHook', ...cfg }, { keyPath: ['custom_hooks', 0] });
  const fails = (cfg: Record<string, unknown>, message: string): void =>
    assert.throws(() => build(cfg), (e: unknown) => e instanceof ConfigError && e.message === message, JSON.stringify(cfg));
  fails({ ema_type: 'ExponentialMovingAvg' },
    "custom_hooks.0.ema_type: 'ExponentialMovingAvg' is not in the MODELS registry; did you mean 'ExponentialMovingAverage'?");
  fails({ momentun: 0.1 }, "custom_hooks.0: unknown key 'momentun'");
  fails({ ema_type: 'StochasticWeightAverage', momentum: 0.1 }, "custom_hooks.0: unknown key 'momentum'");
  fails({ begin_iter: '10' }, 'custom_hooks.0.begin_iter: expected number, got "10"');
  fails({ start_iters: 5, begin_iter: 6 }, 'custom_hooks.0.start_iters: is an alias of begin_iter; got both (start_iters 5, begin_iter 6)');
  fails({ start_iters: 5, begin_epoch: 1 }, 'custom_hooks.0.start_iters: cannot be set together with begin_epoch (1); set one of them');
  assert.throws(() => build({ momentum: 1.5 }), (e: unknown) => e instanceof ConfigError && e.message.startsWith('custom_hooks.0.momentum: '));
  fails({ ema_type: class NotAveraged {} }, "custom_hooks.0.ema_type: expected an averaged model (ExponentialMovingAverage, MomentumAnnealingEMA, StochasticWeightAverage, ...), got 'NotAveraged'");
  assert.ok(build({ ema_type: 'MomentumAnnealingEMA', gamma: 50, interval: 2 }) instanceof EMAHook);
  assert.equal((build({ ema_type: StochasticWeightAverage }) as EMAHook).emaType, StochasticWeightAverage);
});
