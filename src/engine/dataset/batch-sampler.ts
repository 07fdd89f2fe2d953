// BatchSampler: groups a sampler's indices into batches (PyTorch's torch.utils.data.BatchSampler).
import { z } from 'zod';
import { parseOptions } from '../config/errors.js';
import { DATA_SAMPLERS } from '../registry/index.js';
import type { BatchSamplerLike, Sampler, SamplerState } from './sampler.js';

export const batchSamplerSchema = z.object({
  batch_size: z.number().int().positive(),
  drop_last: z.boolean().default(false),
}).strict();
export type BatchSamplerOptions = z.input<typeof batchSamplerSchema>;

/**
 * Built as `new BatchSampler({ batch_size, drop_last }, sampler)`: a config's `batch_sampler` gets
 * the loader's `batch_size` and sampler as MMEngine's default_args. Its state is the sampler's.
 */
export class BatchSampler implements BatchSamplerLike {
  readonly batchSize: number;
  readonly dropLast: boolean;

  constructor(options: unknown, readonly sampler: Sampler) {
    const opts = parseOptions(batchSamplerSchema, options);
    this.batchSize = opts.batch_size;
    this.dropLast = opts.drop_last;
  }

  get length(): number {
    return this.dropLast ? Math.floor(this.sampler.length / this.batchSize) : Math.ceil(this.sampler.length / this.batchSize);
  }

  *[Symbol.iterator](): Iterator<number[]> {
    let batch: number[] = [];
    for (const index of this.sampler) {
      batch.push(index);
      if (batch.length === this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0 && !this.dropLast) yield batch;
  }

  stateDict(): SamplerState {
    if (!this.sampler.stateDict) throw new Error(`BatchSampler: its sampler ${this.sampler.constructor.name} has no stateDict(), so it cannot be resumed`);
    return this.sampler.stateDict();
  }

  loadStateDict(state: SamplerState): void {
    if (!this.sampler.loadStateDict) throw new Error(`BatchSampler: its sampler ${this.sampler.constructor.name} has no loadStateDict(), so it cannot be resumed`);
    this.sampler.loadStateDict(state);
  }
}

DATA_SAMPLERS.register(BatchSampler);
