// DistSamplerSeedHook: tells the train sampler the epoch so each epoch shuffles differently (MMEngine's DistSamplerSeedHook).
import { z } from 'zod';
import { parseOptions } from '../config/errors.js';
import { HOOKS } from '../registry/index.js';
import type { Runner } from '../runner/runner.js';
import { Hook } from './hook.js';

const distSamplerSeedSchema = z.object({}).strict();

interface EpochSampler {
  setEpoch(epoch: number): void;
}

const hasSetEpoch = (s: unknown): s is EpochSampler =>
  typeof s === 'object' && s !== null && typeof (s as { setEpoch?: unknown }).setEpoch === 'function';

/**
 * Before each train epoch, calls `setEpoch(runner.epoch)` on the train data loader's sampler, or
 * on the sampler inside its batch sampler when the loader exposes only that (as MMEngine checks
 * `dataloader.sampler`, then `dataloader.batch_sampler.sampler`). Loaders without an
 * epoch-aware sampler are left alone.
 */
export class DistSamplerSeedHook extends Hook {
  static override priority: number | string = 'NORMAL';

  constructor(options: unknown = {}) {
    super();
    parseOptions(distSamplerSeedSchema, options);
  }

  override beforeTrainEpoch(runner: Runner): void {
    const loader = runner.trainLoop?.dataloader as { sampler?: unknown; batchSampler?: { sampler?: unknown } } | undefined;
    if (!loader) return;
    if (hasSetEpoch(loader.sampler)) loader.sampler.setEpoch(runner.epoch);
    else if (hasSetEpoch(loader.batchSampler?.sampler)) loader.batchSampler.sampler.setEpoch(runner.epoch);
  }
}

HOOKS.register(DistSamplerSeedHook);
