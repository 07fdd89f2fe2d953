// train / val / test as MMEngine's Runner runs them: build what the mode needs, call
// before_run, load or resume, run the loop, call after_run. SIGINT/SIGTERM during training
// finish the current iteration, save a checkpoint and end the run with InterruptedError.
import { z } from 'zod';
import { ConfigError, parseOptions } from '../config/errors.js';
import { LOOPS } from '../registry/index.js';
import { buildEvaluator } from '../evaluator/index.js';
import { buildOptimWrapper } from '../optim/optimizer/index.js';
import { buildParamSchedulers } from '../optim/scheduler/index.js';
import { buildDataLoader, workerModules } from '../dataset/index.js';
import type { BaseTrainLoop } from './train-loops.js';
import './train-loops.js';
import type { ValLoop, TestLoop } from './val-test-loops.js';
import './val-test-loops.js';
import type { DataLoaderLike } from './data-source.js';
import type { Runner, RunnerOptimWrapper, RunnerParamScheduler } from './runner.js';
import { loadOrResume, saveCheckpoint, writeLastCheckpoint, CHECKPOINT_SUFFIX } from './checkpoint.js';
import type { MetricValues } from '../evaluator/metric.js';
import * as torch from '../../torch/index.js';
import { wrapModel, type TrainStepModel } from '../model/wrappers/distributed.js';

/** Training stopped by a signal after saving `checkpoint`. */
export class InterruptedError extends Error {
  constructor(readonly signal: string, readonly checkpoint: string | null) {
    super(`training interrupted by ${signal}${checkpoint ? `; checkpoint saved to ${checkpoint} (resume with resume=true)` : ''}`);
    this.name = 'InterruptedError';
  }
}

const autoScaleLrSchema = z.object({
  enable: z.boolean().default(false),
  base_batch_size: z.number().int().positive().optional(),
}).strict();

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function loader(runner: Runner, key: 'train_dataloader' | 'val_dataloader' | 'test_dataloader'): DataLoaderLike {
  const diffRankSeed = isPlainObject(runner.cfg.randomness) && runner.cfg.randomness.diff_rank_seed === true;
  // Samplers shard by rank (MMEngine's build_dataloader passes get_dist_info()).
  return buildDataLoader(runner.cfg[key], {
    keyPath: [key], seed: runner.seed, diffRankSeed, rank: runner.rank, worldSize: runner.worldSize, workerModules: workerModules(),
  }) as unknown as DataLoaderLike;
}

function requireKeys(runner: Runner, mode: string, keys: string[]): void {
  const missing = keys.filter((k) => runner.cfg[k] === undefined || runner.cfg[k] === null);
  if (missing.length === keys.length) throw new ConfigError([keys[0]!], `${mode} needs ${keys.join(', ')} in the config`);
  if (missing.length) throw new ConfigError([missing[0]!], `${mode} needs ${keys.join(', ')} together; ${missing.join(', ')} missing`);
}

function buildTrainLoop(runner: Runner): BaseTrainLoop {
  requireKeys(runner, 'training', ['train_dataloader', 'train_cfg', 'optim_wrapper']);
  const cfg = runner.cfg.train_cfg;
  if (!isPlainObject(cfg)) throw new ConfigError(['train_cfg'], 'expected an object');
  let loopCfg: Record<string, unknown>;
  if (cfg.type !== undefined) {
    loopCfg = cfg;
  } else {
    // MMEngine: without a type, by_epoch picks EpochBasedTrainLoop or IterBasedTrainLoop.
    const { by_epoch: byEpoch = true, ...rest } = cfg;
    loopCfg = { type: byEpoch ? 'EpochBasedTrainLoop' : 'IterBasedTrainLoop', ...rest };
  }
  return LOOPS.build<BaseTrainLoop>(loopCfg, { keyPath: ['train_cfg'], extraArgs: [runner, loader(runner, 'train_dataloader')] });
}

function buildEvalLoop(runner: Runner, mode: 'val' | 'test'): ValLoop | TestLoop | null {
  const keys = [`${mode}_dataloader`, `${mode}_cfg`, `${mode}_evaluator`];
  if (keys.every((k) => runner.cfg[k] === undefined || runner.cfg[k] === null)) return null;
  requireKeys(runner, mode === 'val' ? 'validation' : 'testing', keys);
  const cfg = (runner.cfg[`${mode}_cfg`] ?? {}) as Record<string, unknown>;
  const evaluator = buildEvaluator(runner.cfg[`${mode}_evaluator`], [`${mode}_evaluator`]);
  const dl = loader(runner, `${mode}_dataloader` as 'val_dataloader');
  const loopCfg = { type: mode === 'val' ? 'ValLoop' : 'TestLoop', ...cfg };
  return LOOPS.build(loopCfg, { keyPath: [`${mode}_cfg`], extraArgs: [runner, dl, evaluator] });
}

/** MMEngine's auto_scale_lr: lr * (world_size * batch_size / base_batch_size). */
function scaleLr(runner: Runner, wrapper: RunnerOptimWrapper): void {
  if (runner.cfg.auto_scale_lr === undefined || runner.cfg.auto_scale_lr === null) return;
  const o = parseOptions(autoScaleLrSchema, runner.cfg.auto_scale_lr, ['auto_scale_lr']);
  if (!o.enable) return;
  if (o.base_batch_size === undefined) throw new ConfigError(['auto_scale_lr', 'base_batch_size'], 'required when enable is true');
  const batchSize = (runner.cfg.train_dataloader as Record<string, unknown>).batch_size as number;
  const worldSize = runner.worldSize;
  const ratio = (worldSize * batchSize) / o.base_batch_size;
  for (const group of wrapper.paramGroups) group.lr = (group.lr as number) * ratio;
  runner.logger.info(`auto_scale_lr: learning rates scaled by ${ratio} (batch ${worldSize} x ${batchSize}, base ${o.base_batch_size})`);
}

/** MMEngine's wrap_model for a distributed run: optional SyncBN conversion (`sync_bn: 'torch'`), then the wrapper. */
function wrapForDistributed(runner: Runner): TrainStepModel & { release?(): void } {
  const syncBn = runner.cfg.sync_bn;
  if (syncBn !== undefined && syncBn !== null) {
    if (syncBn !== 'torch') throw new ConfigError(['sync_bn'], `expected 'torch' (convert BatchNorm layers to SyncBatchNorm), got ${JSON.stringify(syncBn)}`);
    torch.distributed.SyncBatchNorm.convertSyncBatchnorm(runner.model);
  }
  const wrapped = wrapModel(runner.model, runner.cfg.model_wrapper_cfg, runner.cfg.find_unused_parameters);
  runner.logger.info(`Distributed training on ${runner.worldSize} processes: ${wrapped.constructor.name} over ${torch.distributed.getDefaultGroup().backend}`);
  return wrapped;
}

function loadSettings(runner: Runner): { resume: boolean | string; loadFrom: string | null } {
  const { resume = false, load_from: loadFrom = null } = runner.cfg as { resume?: unknown; load_from?: unknown };
  if (typeof resume !== 'boolean' && typeof resume !== 'string') throw new ConfigError(['resume'], `expected true, false or a checkpoint path, got ${JSON.stringify(resume)}`);
  if (loadFrom !== null && typeof loadFrom !== 'string') throw new ConfigError(['load_from'], `expected a checkpoint path or null, got ${JSON.stringify(loadFrom)}`);
  return { resume, loadFrom };
}

/** SIGINT/SIGTERM set runner.stopRequested; a second signal ends the process at once. */
function installSignalHandlers(runner: Runner): { remove(): void; received(): string | null } {
  let received: string | null = null;
  const handler = (signal: NodeJS.Signals): void => {
    if (received) {
      runner.logger.error(`${signal} again: exiting without saving`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    received = signal;
    runner.stopRequested = true;
    runner.logger.warning(`${signal} received: finishing the current iteration, then saving a checkpoint (send it again to exit at once)`);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    remove: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
    received: () => received,
  };
}

async function closeLoaders(runner: Runner): Promise<void> {
  for (const dl of [runner.trainDataloader, runner.valDataloader, runner.testDataloader]) await dl?.close?.();
}

async function guarded<T>(runner: Runner, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    await runner.callHook('onException', err);
    throw err;
  } finally {
    await closeLoaders(runner);
  }
}

export async function trainRun(runner: Runner): Promise<void> {
  const trainLoop = buildTrainLoop(runner);
  runner.trainLoop = trainLoop;
  const wrapper = buildOptimWrapper(runner.model, runner.cfg.optim_wrapper, { keyPath: ['optim_wrapper'] }) as unknown as RunnerOptimWrapper;
  wrapper.messageHub = runner.messageHub;
  (wrapper as { logger?: unknown }).logger = runner.logger;
  (wrapper as { stepHooks?: unknown }).stepHooks = {
    afterBackward: () => runner.callHookSync('afterBackward', runner.iter),
    beforeOptimizerStep: () => runner.callHookSync('beforeOptimizerStep', runner.iter),
  };
  runner.optimWrapper = wrapper;
  scaleLr(runner, wrapper);
  if (runner.cfg.param_scheduler !== undefined && runner.cfg.param_scheduler !== null) {
    runner.paramSchedulers = buildParamSchedulers(runner.cfg.param_scheduler, wrapper as never, {
      epochLength: trainLoop.dataloader.length, maxIters: trainLoop.maxIters, maxEpochs: trainLoop.maxEpochs,
    }) as unknown as RunnerParamScheduler[];
  }
  runner.valLoop = buildEvalLoop(runner, 'val') as ValLoop | null;
  const signals = installSignalHandlers(runner);
  await guarded(runner, async () => {
    await runner.callHook('beforeRun');
    runner.model.initWeights();
    await loadOrResume(runner, loadSettings(runner));
    wrapper.initializeCountStatus?.(runner.model, trainLoop.iter, trainLoop.maxIters);
    // Wrapped after init/load/resume: DDP starts every rank from rank 0's weights and buffers.
    if (runner.distributed) runner.wrappedModel = wrapForDistributed(runner);
    try {
      await trainLoop.run();
    } finally {
      signals.remove();
      runner.wrappedModel?.release?.();
    }
    if (runner.stopRequested) {
      const signal = signals.received() ?? 'a stop request';
      // Saved between iterations: the counters already count the finished iteration.
      const file = await saveCheckpoint(runner, runner.workDir, `iter_${runner.iter}${CHECKPOINT_SUFFIX}`,
        { meta: { iter: runner.iter, epoch: runner.epoch, interrupted: signal } });
      writeLastCheckpoint(runner.workDir, file);
      throw new InterruptedError(signal, file);
    }
    await runner.callHook('afterRun');
  });
  await runner.visualizer.close();
}

async function evalRun(runner: Runner, mode: 'val' | 'test'): Promise<MetricValues> {
  const loop = mode === 'val' ? (runner.valLoop ??= buildEvalLoop(runner, 'val') as ValLoop | null) : (runner.testLoop ??= buildEvalLoop(runner, 'test') as TestLoop | null);
  if (!loop) throw new ConfigError([`${mode}_dataloader`], `${mode === 'val' ? 'validation' : 'testing'} needs ${mode}_dataloader, ${mode}_cfg and ${mode}_evaluator in the config`);
  const metrics = await guarded(runner, async () => {
    await runner.callHook('beforeRun');
    const { loadFrom } = loadSettings(runner);
    await loadOrResume(runner, { resume: false, loadFrom });
    const m = await loop.run();
    await runner.callHook('afterRun');
    return m;
  });
  await runner.visualizer.close();
  return metrics;
}

export const valRun = (runner: Runner): Promise<MetricValues> => evalRun(runner, 'val');
export const testRun = (runner: Runner): Promise<MetricValues> => evalRun(runner, 'test');
