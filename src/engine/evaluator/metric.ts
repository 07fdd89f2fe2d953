// MMEngine's BaseMetric: collects per-batch results in process(), reduces them in computeMetrics().
import type { DataBatch } from '../model/base-model.js';

export type MetricValues = Record<string, number | number[] | string>;

export interface BaseMetricOptions {
  collect_device?: 'cpu' | 'gpu';
  prefix?: string | null;
}

export abstract class BaseMetric {
  /** Used when the config gives no prefix (MMEngine's default_prefix). */
  static defaultPrefix: string | null = null;
  readonly prefix: string | null;
  readonly collectDevice: string;
  results: unknown[] = [];
  datasetMeta: Record<string, unknown> | null = null;

  constructor(opts: BaseMetricOptions = {}) {
    this.collectDevice = opts.collect_device ?? 'cpu';
    this.prefix = opts.prefix ?? (this.constructor as typeof BaseMetric).defaultPrefix;
  }

  /** Appends what computeMetrics needs from one batch to this.results. */
  abstract process(dataBatch: DataBatch, dataSamples: unknown[]): void;

  abstract computeMetrics(results: unknown[]): MetricValues;

  /**
   * Reduces the collected results (`size` samples in the whole split) and clears them.
   * Distributed collection across ranks joins here when the distributed issue lands.
   */
  evaluate(size: number): MetricValues {
    if (this.results.length === 0) {
      console.warn(`${this.constructor.name} got an empty results list: was process() called? (dataset size ${size})`);
    }
    const metrics = this.computeMetrics(this.results);
    this.results = [];
    if (!this.prefix) return metrics;
    return Object.fromEntries(Object.entries(metrics).map(([k, v]) => [`${this.prefix}/${k}`, v]));
  }
}
