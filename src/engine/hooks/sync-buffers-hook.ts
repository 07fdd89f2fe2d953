// SyncBuffersHook: averages model buffers (BN running stats) across processes each epoch (MMEngine's SyncBuffersHook).
import { z } from 'zod';
import * as torch from '../../torch/index.js';
import type { nn } from '../../torch/index.js';
import { parseOptions } from '../config/errors.js';
import { HOOKS } from '../registry/index.js';
import type { Runner } from '../runner/runner.js';
import { isDistributed } from '../runner/dist-env.js';
import { Hook } from './hook.js';

const syncBuffersSchema = z.object({}).strict();

const FLOAT_DTYPES = new Set(['float32', 'float64', 'float16', 'bfloat16']);

/**
 * All-reduces (mean) every floating-point buffer of `model` (BN running_mean / running_var)
 * across the ranks of the default process group; integer buffers (num_batches_tracked) are
 * left alone. Without a process group of several ranks it returns at once. Returns how many
 * buffers were averaged. Collective: every rank must call it.
 */
export function syncBuffers(model: nn.Module): number {
  if (!isDistributed()) return 0;
  const buffers = model.buffers().filter((b) => FLOAT_DTYPES.has(b.dtype));
  for (const b of buffers) torch.distributed.allReduceSync(b, 'avg');
  return buffers.length;
}

/**
 * MMEngine's behaviour: after each train epoch the buffers are averaged across ranks; before a
 * val epoch too, unless the last train epoch already did it (IterBasedTrainLoop validates
 * without epoch ends). A no-op in a single process.
 */
export class SyncBuffersHook extends Hook {
  static override priority: number | string = 'NORMAL';

  /** Whether after_train_epoch synchronised since the last validation. */
  calledInTrain = false;

  constructor(options: unknown = {}) {
    super();
    parseOptions(syncBuffersSchema, options);
  }

  /** Decided when the hook runs: the process group starts after the hooks are built. */
  get distributed(): boolean {
    return isDistributed();
  }

  override beforeValEpoch(runner: Runner): void {
    if (!this.distributed) return;
    if (!this.calledInTrain) syncBuffers(runner.model);
    this.calledInTrain = false;
  }

  override afterTrainEpoch(runner: Runner): void {
    if (!this.distributed) return;
    syncBuffers(runner.model);
    this.calledInTrain = true;
  }
}

HOOKS.register(SyncBuffersHook);
