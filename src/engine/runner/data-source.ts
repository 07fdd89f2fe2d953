// What the loops need from a data loader (src/engine/dataset's DataLoader implements it).
import type { DataBatch } from '../model/base-model.js';

export interface SamplerLike {
  setEpoch?(epoch: number): void;
  stateDict?(): unknown;
  loadStateDict?(state: unknown): void;
}

export interface DataLoaderLike extends AsyncIterable<DataBatch> {
  /** Batches per epoch (Infinity for an endless sampler). */
  readonly length: number;
  readonly sampler?: SamplerLike;
  readonly dataset?: { metainfo?: Record<string, unknown>; length?: number };
  /** Whether stateDict/loadStateDict can save and restore the position of consumed batches. */
  readonly resumable?: boolean;
  stateDict?(): unknown;
  loadStateDict?(state: unknown): void;
  /** Stops worker threads; the loader may be iterated again afterwards. */
  close?(): Promise<void>;
}

/**
 * MMEngine's _InfiniteDataloaderIterator: endless batches from an epoch-based loader; at the end
 * of each pass it bumps the sampler's epoch so the next pass reshuffles.
 */
export class InfiniteBatches {
  #iterator: AsyncIterator<DataBatch> | null = null;
  #epoch = 0;

  constructor(readonly loader: DataLoaderLike) {}

  async next(): Promise<DataBatch> {
    for (let attempt = 0; attempt < 2; attempt++) {
      this.#iterator ??= this.loader[Symbol.asyncIterator]();
      const r = await this.#iterator.next();
      if (!r.done) return r.value;
      this.#iterator = null;
      // Continue from the sampler's own epoch: after a resume it is not the number of passes seen here.
      const current = (this.loader.sampler as { epoch?: number } | undefined)?.epoch;
      this.#epoch = (typeof current === 'number' ? current : this.#epoch) + 1;
      this.loader.sampler?.setEpoch?.(this.#epoch);
    }
    throw new Error('the training data loader yielded no batch (empty dataset, or drop_last with fewer samples than batch_size)');
  }

  async close(): Promise<void> {
    await this.#iterator?.return?.();
    this.#iterator = null;
  }
}
