// The base of every hook: the full grid of hook points, all no-ops, plus MMEngine's helpers.
// Subclasses override the points they need; async methods are awaited in priority order.
import type { Runner } from '../runner/runner.js';
import type { DataBatch } from '../model/base-model.js';

export type Mode = 'train' | 'val' | 'test';
export type Metrics = Record<string, number | number[] | string>;

/** Every hook point, in the order a reader meets them in a run. */
export const HOOK_POINTS = [
  'beforeRun',
  'beforeTrain', 'beforeTrainEpoch', 'beforeTrainIter', 'afterBackward', 'beforeOptimizerStep', 'afterTrainIter', 'afterTrainEpoch',
  'beforeVal', 'beforeValEpoch', 'beforeValIter', 'afterValIter', 'afterValEpoch', 'afterVal',
  'afterTrain',
  'beforeTest', 'beforeTestEpoch', 'beforeTestIter', 'afterTestIter', 'afterTestEpoch', 'afterTest',
  'beforeSaveCheckpoint', 'afterLoadCheckpoint',
  'onException',
  'afterRun',
] as const;
export type HookPoint = (typeof HOOK_POINTS)[number];

/** A checkpoint as it is being written or after it was read (see runner/checkpoint.ts). */
export type Checkpoint = Record<string, unknown>;

export abstract class Hook {
  /** Default priority of this kind of hook; a config's `priority` overrides it per instance. */
  static priority: number | string = 'NORMAL';
  /** Set by the runner at registration (MMEngine's hook.priority). */
  priority = 50;

  get name(): string {
    return this.constructor.name;
  }

  beforeRun(_runner: Runner): void | Promise<void> {}
  afterRun(_runner: Runner): void | Promise<void> {}
  beforeTrain(_runner: Runner): void | Promise<void> {}
  afterTrain(_runner: Runner): void | Promise<void> {}
  beforeVal(_runner: Runner): void | Promise<void> {}
  afterVal(_runner: Runner): void | Promise<void> {}
  beforeTest(_runner: Runner): void | Promise<void> {}
  afterTest(_runner: Runner): void | Promise<void> {}
  beforeTrainEpoch(_runner: Runner): void | Promise<void> {}
  afterTrainEpoch(_runner: Runner): void | Promise<void> {}
  beforeValEpoch(_runner: Runner): void | Promise<void> {}
  afterValEpoch(_runner: Runner, _metrics: Metrics): void | Promise<void> {}
  beforeTestEpoch(_runner: Runner): void | Promise<void> {}
  afterTestEpoch(_runner: Runner, _metrics: Metrics): void | Promise<void> {}
  beforeTrainIter(_runner: Runner, _batchIdx: number, _dataBatch: DataBatch): void | Promise<void> {}
  afterTrainIter(_runner: Runner, _batchIdx: number, _dataBatch: DataBatch, _outputs: Record<string, number>): void | Promise<void> {}
  beforeValIter(_runner: Runner, _batchIdx: number, _dataBatch: DataBatch): void | Promise<void> {}
  afterValIter(_runner: Runner, _batchIdx: number, _dataBatch: DataBatch, _outputs: unknown[]): void | Promise<void> {}
  beforeTestIter(_runner: Runner, _batchIdx: number, _dataBatch: DataBatch): void | Promise<void> {}
  afterTestIter(_runner: Runner, _batchIdx: number, _dataBatch: DataBatch, _outputs: unknown[]): void | Promise<void> {}
  /**
   * Between backward and the optimizer step (segkit addition). Synchronous: it runs inside
   * the optimizer wrapper's update, where gradients exist.
   */
  afterBackward(_runner: Runner, _batchIdx: number): void {}
  /** Right before the optimizer steps (after unscaling and clipping); synchronous. */
  beforeOptimizerStep(_runner: Runner, _batchIdx: number): void {}
  beforeSaveCheckpoint(_runner: Runner, _checkpoint: Checkpoint): void | Promise<void> {}
  afterLoadCheckpoint(_runner: Runner, _checkpoint: Checkpoint): void | Promise<void> {}
  /** Called when a run fails, before the error propagates (e.g. to save an emergency checkpoint). */
  onException(_runner: Runner, _error: unknown): void | Promise<void> {}

  /** State saved in checkpoints under this hook's key (Lightning-style); undefined for none. */
  stateDict(): unknown {
    return undefined;
  }
  loadStateDict(_state: unknown): void {}

  // ---- MMEngine's helpers ------------------------------------------------------
  everyNEpochs(runner: Runner, n: number, start = 0): boolean {
    const dividend = runner.epoch + 1 - start;
    return n > 0 && runner.epoch + 1 >= start && dividend % n === 0;
  }
  everyNInnerIters(batchIdx: number, n: number): boolean {
    return n > 0 && (batchIdx + 1) % n === 0;
  }
  everyNTrainIters(runner: Runner, n: number, start = 0): boolean {
    const dividend = runner.iter + 1 - start;
    return n > 0 && runner.iter + 1 >= start && dividend % n === 0;
  }
  endOfEpoch(dataloader: { length: number }, batchIdx: number): boolean {
    return batchIdx + 1 === dataloader.length;
  }
  isLastTrainEpoch(runner: Runner): boolean {
    return runner.epoch + 1 === runner.maxEpochs;
  }
  isLastTrainIter(runner: Runner): boolean {
    return runner.iter + 1 === runner.maxIters;
  }

  /** The hook points this hook overrides (for runner.hooksInfo()). */
  triggeredStages(): HookPoint[] {
    return HOOK_POINTS.filter((point) => (this as unknown as Record<string, unknown>)[point] !== (Hook.prototype as unknown as Record<string, unknown>)[point]);
  }
}
