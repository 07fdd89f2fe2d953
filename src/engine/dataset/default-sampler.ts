// DefaultSampler: MMEngine's epoch sampler (optional shuffle reseeded per epoch, round-up across ranks), resumable mid-epoch.
import { z } from 'zod';
import { parseOptions } from '../config/errors.js';
import { DATA_SAMPLERS } from '../registry/index.js';
import { SeededRandom } from './random.js';
import { syncRandomSeed } from '../runner/dist-env.js';
import { distInfo, stateInt, type DistInfo, type Sampler, type SamplerState, type Sized } from './sampler.js';

export const defaultSamplerSchema = z.object({
  shuffle: z.boolean().default(true),
  /** null: a random seed (MMEngine's sync_random_seed); the Runner passes its `randomness.seed`. */
  seed: z.number().int().nullable().default(null),
  /** Repeat the first indices so every rank gets the same count. */
  round_up: z.boolean().default(true),
}).strict();
export type DefaultSamplerOptions = z.input<typeof defaultSamplerSchema>;

export class DefaultSampler implements Sampler {
  readonly shuffle: boolean;
  seed: number;
  readonly roundUp: boolean;
  readonly rank: number;
  readonly worldSize: number;
  /** Indices this rank yields per epoch. */
  readonly numSamples: number;
  /** Indices over all ranks per epoch. */
  readonly totalSize: number;
  readonly #size: number;
  #epoch = 0;
  /** Indices of this epoch already handed out (on this rank). */
  #position = 0;

  constructor(options: unknown, dataset: Sized, dist: DistInfo = {}) {
    const opts = parseOptions(defaultSamplerSchema, options);
    ({ rank: this.rank, worldSize: this.worldSize } = distInfo('DefaultSampler', dist));
    this.shuffle = opts.shuffle;
    this.seed = opts.seed ?? syncRandomSeed();
    this.roundUp = opts.round_up;
    this.#size = dataset.length;
    if (this.roundUp) {
      this.numSamples = Math.ceil(this.#size / this.worldSize);
      this.totalSize = this.numSamples * this.worldSize;
    } else {
      this.numSamples = Math.max(0, Math.ceil((this.#size - this.rank) / this.worldSize));
      this.totalSize = this.#size;
    }
  }

  get length(): number {
    return this.numSamples;
  }

  get epoch(): number {
    return this.#epoch;
  }

  /** A different epoch starts over with that epoch's order; the same epoch keeps a resumed position. */
  setEpoch(epoch: number): void {
    if (!Number.isInteger(epoch) || epoch < 0) throw new RangeError(`DefaultSampler.setEpoch: expected an integer >= 0, got ${epoch}`);
    if (epoch !== this.#epoch) this.#position = 0;
    this.#epoch = epoch;
  }

  /** This rank's indices for the current epoch, in order: permuted with seed + epoch, rounded up, strided by rank. */
  epochIndices(): Uint32Array {
    const base = this.shuffle ? new SeededRandom(this.seed + this.#epoch).permutation(this.#size) : Uint32Array.from({ length: this.#size }, (_, i) => i);
    const out = new Uint32Array(this.numSamples);
    for (let k = 0; k < this.numSamples; k++) out[k] = base[(this.rank + k * this.worldSize) % this.#size]!;
    return out;
  }

  /**
   * Yields the rest of the current epoch from the saved position; an iterator started after the
   * epoch was used up runs the same epoch again from its start, as PyTorch's samplers do.
   */
  *[Symbol.iterator](): Iterator<number> {
    if (this.#position >= this.numSamples) this.#position = 0;
    const indices = this.epochIndices();
    while (this.#position < indices.length) {
      const index = indices[this.#position]!;
      this.#position++;
      yield index;
    }
  }

  stateDict(): SamplerState {
    return { epoch: this.#epoch, position: this.#position, seed: this.seed };
  }

  loadStateDict(state: SamplerState): void {
    this.#epoch = stateInt('DefaultSampler', state, 'epoch', 0);
    this.#position = stateInt('DefaultSampler', state, 'position', 0, this.numSamples);
    this.seed = stateInt('DefaultSampler', state, 'seed', Number.MIN_SAFE_INTEGER);
  }
}

DATA_SAMPLERS.register(DefaultSampler);
