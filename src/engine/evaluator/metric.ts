// MMEngine's BaseMetric: collects per-batch results in process(), reduces them in computeMetrics().
import type { DataBatch } from '../model/base-model.js';
import { isMainProcess } from '../runner/dist-env.js';
import { broadcastObjectSync, collectResults } from './collect-results.js';

export type MetricValues = Record<string, number | number[] | string>;

export interface BaseMetricOptions {
  /** Where results are gathered across ranks: accepted for MMEngine configs; segkit gathers through the process group's backend either way. */
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
   * Reduces the collected results (`size` samples in the whole split) and clears them. In a
   * distributed run every rank's results are gathered in dataset order (padding dropped), rank 0
   * computes the metrics and every rank returns rank 0's values (MMEngine's evaluate).
   */
  evaluate(size: number): MetricValues {
    if (this.results.length === 0) {
      console.warn(`${this.constructor.name} got an empty results list: was process() called? (dataset size ${size})`);
    }
    const results = collectResults(this.results, size);
    let metrics: MetricValues | null = null;
    if (isMainProcess()) {
      const computed = this.computeMetrics(results!);
      metrics = this.prefix ? Object.fromEntries(Object.entries(computed).map(([k, v]) => [`${this.prefix}/${k}`, v])) : computed;
    }
    this.results = [];
    return broadcastObjectSync(metrics, 0, `${this.constructor.name}.evaluate`)!;
  }
}
