// SlicedDataset: the first n items of a dataset (MMEngine's _SlicedDataset, behind a loader's num_batch_per_epoch).
import { datasetConfigOf, rememberDatasetConfig, type Dataset } from './build-dataset.js';

export class SlicedDataset<T = unknown> implements Dataset<T> {
  readonly length: number;

  constructor(readonly dataset: Dataset<T>, numSamples: number) {
    this.length = Math.min(numSamples, dataset.length);
    // Workers rebuild the inner dataset; the sampler never asks for indices past the slice.
    const cfg = datasetConfigOf(dataset);
    if (cfg) rememberDatasetConfig(this, cfg);
  }

  get metainfo(): Record<string, unknown> | undefined {
    return this.dataset.metainfo;
  }

  getItem(index: number): T | Promise<T> {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) throw new RangeError(`SlicedDataset: index ${index} is outside 0..${this.length - 1}`);
    return this.dataset.getItem(index);
  }

  /** The inner dataset's annotations, shared with workers. */
  sharedState(): unknown {
    return (this.dataset as { sharedState?: () => unknown }).sharedState?.() ?? null;
  }
}
