// SyncBuffersHook: averages model buffers (BN running stats) across processes each epoch (MMEngine's SyncBuffersHook).
import { z } from 'zod';
import type { nn } from '../../torch/index.js';
import { parseOptions } from '../config/errors.js';
import { HOOKS } from '../registry/index.js';
import type { Runner } from '../runner/runner.js';
import { Hook } from './hook.js';

const syncBuffersSchema = z.object({}).strict();

/**
 * All-reduces (mean) every buffer of `model` across `worldSize` processes. With one process
 * there is nothing to synchronise and it returns at once. The seam for the distributed issue:
 * with several processes it needs a c10d process group's all-reduce, which segkit does not
 * have yet, so it refuses rather than letting ranks drift apart silently.
 */
export function syncBuffers(model: nn.Module, worldSize: number): void {
  if (!Number.isInteger(worldSize) || worldSize < 1) throw new RangeError(`syncBuffers: worldSize must be a positive integer, got ${worldSize}`);
  if (worldSize === 1) return;
  throw new Error(`syncBuffers: cannot average the ${model.buffers().length} buffers of ${model.className} across ${worldSize} processes: `
    + 'segkit has no process-group all-reduce yet (distributed training is a separate issue)');
}

/** The number of processes of this run, as the launcher sets it (WORLD_SIZE, as the logger reads it). */
const worldSizeFromEnv = (): number => Number(process.env.WORLD_SIZE ?? 1);

/**
 * MMEngine's behaviour: after each train epoch the buffers are averaged across ranks; before a
 * val epoch too, unless the last train epoch already did it (IterBasedTrainLoop validates
 * without epoch ends). A no-op in a single process.
 */
export class SyncBuffersHook extends Hook {
  static override priority: number | string = 'NORMAL';

  readonly worldSize: number;
  readonly distributed: boolean;
  /** Whether after_train_epoch synchronised since the last validation. */
  calledInTrain = false;

  constructor(options: unknown = {}) {
    super();
    parseOptions(syncBuffersSchema, options);
    this.worldSize = worldSizeFromEnv();
    this.distributed = this.worldSize > 1;
  }

  override beforeValEpoch(runner: Runner): void {
    if (!this.distributed) return;
    if (!this.calledInTrain) syncBuffers(runner.model, this.worldSize);
    this.calledInTrain = false;
  }

  override afterTrainEpoch(runner: Runner): void {
    if (!this.distributed) return;
    syncBuffers(runner.model, this.worldSize);
    this.calledInTrain = true;
  }
}

HOOKS.register(SyncBuffersHook);
