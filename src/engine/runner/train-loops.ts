// MMEngine's training loops: IterBasedTrainLoop and EpochBasedTrainLoop.
import { z } from 'zod';
import { LOOPS } from '../registry/index.js';
import { parseOptions } from '../config/errors.js';
import type { Runner } from './runner.js';
import type { DataBatch } from '../model/base-model.js';
import { InfiniteBatches, type DataLoaderLike } from './data-source.js';
import * as torch from '../../torch/index.js';
import { anyRank } from './dist-env.js';

const dynamicIntervals = z.array(z.tuple([z.number().int().nonnegative(), z.number().int().positive()])).optional();

export abstract class BaseTrainLoop {
  stopTraining = false;
  protected iterCount = 0;
  protected epochCount = 0;
  abstract readonly maxIters: number;
  abstract readonly maxEpochs: number;
  abstract readonly valBegin: number;
  valInterval: number;
  protected readonly dynamicMilestones: number[];
  protected readonly dynamicIntervals: number[];

  constructor(readonly runner: Runner, readonly dataloader: DataLoaderLike, valInterval: number, dynamic: [number, number][] | undefined) {
    this.valInterval = valInterval;
    const pairs = dynamic ?? [];
    this.dynamicMilestones = [0, ...pairs.map(([m]) => m)];
    this.dynamicIntervals = [valInterval, ...pairs.map(([, v]) => v)];
  }

  get iter(): number {
    return this.iterCount;
  }
  get epoch(): number {
    return this.epochCount;
  }
  /** Restores the counters from a checkpoint (resume). */
  restoreProgress(iter: number, epoch: number): void {
    this.iterCount = iter;
    this.epochCount = epoch;
  }

  /** MMEngine's dynamic_intervals: the interval of the last milestone <= progress + 1 (bisect_right). */
  protected decideValInterval(progress: number): void {
    let idx = 0;
    for (let i = 0; i < this.dynamicMilestones.length; i++) if (this.dynamicMilestones[i]! <= progress + 1) idx = i;
    this.valInterval = this.dynamicIntervals[idx]!;
  }

  /** Restores a resumed loader position (after beforeTrainEpoch hooks have set the sampler's epoch). */
  protected applyPendingLoaderState(): void {
    const state = this.runner.pendingLoaderState;
    if (state === undefined) return;
    this.runner.pendingLoaderState = undefined;
    if (!this.dataloader.loadStateDict) {
      this.runner.logger.warning('the train data loader cannot restore its position; resumed training restarts its data order');
      return;
    }
    this.dataloader.loadStateDict(state);
  }

  protected async runIter(batchIdx: number, data: DataBatch): Promise<void> {
    const runner = this.runner;
    await runner.callHook('beforeTrainIter', batchIdx, data);
    const outputs = runner.trainModel.trainStep(data, runner.optimWrapper!);
    await runner.callHook('afterTrainIter', batchIdx, data, outputs);
    this.iterCount++;
    // A signal may reach the ranks at different iterations: all stop after the same one.
    if (runner.distributed) runner.stopRequested = await anyRank(runner.stopRequested);
    // A loop of resolved promises never reaches the event loop: signals, timers, progress
    // output and N-API finalizers would all wait until training ends.
    await torch.yieldToEventLoop();
  }

  abstract run(): Promise<void>;
}

const iterLoopSchema = z.object({
  max_iters: z.number().int().positive(),
  val_begin: z.number().int().nonnegative().default(1),
  val_interval: z.number().int().positive().default(1000),
  dynamic_intervals: dynamicIntervals,
}).strict();

export class IterBasedTrainLoop extends BaseTrainLoop {
  readonly maxIters: number;
  readonly maxEpochs = 1;
  readonly valBegin: number;

  constructor(options: unknown, runner: Runner, dataloader: DataLoaderLike) {
    const o = parseOptions(iterLoopSchema, options);
    super(runner, dataloader, o.val_interval, o.dynamic_intervals);
    this.maxIters = o.max_iters;
    this.valBegin = o.val_begin;
  }

  async run(): Promise<void> {
    const runner = this.runner;
    await runner.callHook('beforeTrain');
    await runner.callHook('beforeTrainEpoch');
    this.applyPendingLoaderState();
    if (this.iterCount > 0) {
      // The sampler's restored position already skips consumed batches: no re-reading.
      runner.logger.info(`Resuming at iteration ${this.iterCount}: the data loader continues from its saved position.`);
    }
    const batches = new InfiniteBatches(this.dataloader);
    try {
      while (this.iterCount < this.maxIters && !this.stopTraining && !runner.stopRequested) {
        runner.model.train();
        const data = await batches.next();
        await this.runIter(this.iterCount, data);
        this.decideValInterval(this.iterCount);
        if (runner.valLoop && this.iterCount >= this.valBegin
          && (this.iterCount % this.valInterval === 0 || this.iterCount === this.maxIters)) {
          await runner.valLoop.run();
        }
      }
    } finally {
      await batches.close();
    }
    await runner.callHook('afterTrainEpoch');
    await runner.callHook('afterTrain');
  }
}
LOOPS.register(IterBasedTrainLoop);

const epochLoopSchema = z.object({
  max_epochs: z.number().int().positive(),
  val_begin: z.number().int().nonnegative().default(1),
  val_interval: z.number().int().positive().default(1),
  dynamic_intervals: dynamicIntervals,
}).strict();

export class EpochBasedTrainLoop extends BaseTrainLoop {
  readonly maxEpochs: number;
  readonly maxIters: number;
  readonly valBegin: number;

  constructor(options: unknown, runner: Runner, dataloader: DataLoaderLike) {
    const o = parseOptions(epochLoopSchema, options);
    super(runner, dataloader, o.val_interval, o.dynamic_intervals);
    this.maxEpochs = o.max_epochs;
    this.maxIters = o.max_epochs * dataloader.length;
    this.valBegin = o.val_begin;
  }

  async run(): Promise<void> {
    const runner = this.runner;
    await runner.callHook('beforeTrain');
    while (this.epochCount < this.maxEpochs && !this.stopTraining && !runner.stopRequested) {
      await this.runEpoch();
      this.decideValInterval(this.epochCount);
      if (runner.valLoop && this.epochCount >= this.valBegin
        && (this.epochCount % this.valInterval === 0 || this.epochCount === this.maxEpochs)) {
        await runner.valLoop.run();
      }
    }
    await runner.callHook('afterTrain');
  }

  async runEpoch(): Promise<void> {
    const runner = this.runner;
    await runner.callHook('beforeTrainEpoch');
    this.applyPendingLoaderState();
    runner.model.train();
    // A resumed epoch starts part-way: the sampler's saved position skips what was consumed.
    let idx = this.iterCount - this.epochCount * this.dataloader.length;
    if (idx < 0) idx = 0;
    const it = this.dataloader[Symbol.asyncIterator]();
    try {
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        await this.runIter(idx++, r.value);
        if (this.stopTraining || runner.stopRequested) break;
      }
    } finally {
      await it.return?.();
    }
    if (runner.stopRequested && idx < this.dataloader.length) return;
    await runner.callHook('afterTrainEpoch');
    this.epochCount++;
  }
}
LOOPS.register(EpochBasedTrainLoop);
