// InfiniteSampler: MMEngine's endless index stream for iteration-based training, split across ranks, resumable.
import { z } from 'zod';
import { parseOptions } from '../config/errors.js';
import { DATA_SAMPLERS } from '../registry/index.js';
import { SeededRandom } from './random.js';
import { syncRandomSeed } from '../runner/dist-env.js';
import { distInfo, stateInt, type DistInfo, type Sampler, type SamplerState, type Sized } from './sampler.js';

export const infiniteSamplerSchema = z.object({
  shuffle: z.boolean().default(true),
  /** null: a random seed (MMEngine's sync_random_seed). */
  seed: z.number().int().nullable().default(null),
}).strict();
export type InfiniteSamplerOptions = z.input<typeof infiniteSamplerSchema>;

/**
 * The stream is pass after pass over the dataset (pass p permuted with seed + p when shuffling);
 * rank r takes stream elements r, r + world, r + 2 world, ... Iterators continue one another, as
 * MMEngine's single generator does, so `setEpoch` changes nothing.
 */
export class InfiniteSampler implements Sampler {
  readonly shuffle: boolean;
  seed: number;
  readonly rank: number;
  readonly worldSize: number;
  readonly size: number;
  /** Indices handed out so far on this rank. */
  #position = 0;
  #cachedPass = -1;
  #cachedOrder: Uint32Array = new Uint32Array(0);

  constructor(options: unknown, dataset: Sized, dist: DistInfo = {}) {
    const opts = parseOptions(infiniteSamplerSchema, options);
    ({ rank: this.rank, worldSize: this.worldSize } = distInfo('InfiniteSampler', dist));
    this.shuffle = opts.shuffle;
    this.seed = opts.seed ?? syncRandomSeed();
    this.size = dataset.length;
  }

  /** The dataset size, as MMEngine's __len__ (the stream itself never ends). */
  get length(): number {
    return this.size;
  }

  setEpoch(_epoch: number): void {}

  #order(pass: number): Uint32Array {
    if (pass !== this.#cachedPass) {
      this.#cachedOrder = this.shuffle ? new SeededRandom(this.seed + pass).permutation(this.size) : Uint32Array.from({ length: this.size }, (_, i) => i);
      this.#cachedPass = pass;
    }
    return this.#cachedOrder;
  }

  *[Symbol.iterator](): Iterator<number> {
    if (this.size === 0) throw new Error('InfiniteSampler: the dataset is empty, so there is nothing to repeat');
    for (;;) {
      const streamIndex = this.rank + this.#position * this.worldSize;
      const index = this.#order(Math.floor(streamIndex / this.size))[streamIndex % this.size]!;
      this.#position++;
      yield index;
    }
  }

  stateDict(): SamplerState {
    return { position: this.#position, seed: this.seed };
  }

  loadStateDict(state: SamplerState): void {
    this.#position = stateInt('InfiniteSampler', state, 'position', 0);
    this.seed = stateInt('InfiniteSampler', state, 'seed', Number.MIN_SAFE_INTEGER);
    this.#cachedPass = -1;
  }
}

DATA_SAMPLERS.register(InfiniteSampler);
