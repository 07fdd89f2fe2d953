// MMEngine's Evaluator: runs several metrics over the same predictions and merges their results.
import { EVALUATOR, METRICS } from '../registry/index.js';
import { ConfigError, type KeyPath } from '../config/errors.js';
import type { DataBatch } from '../model/base-model.js';
import { BaseMetric, type MetricValues } from './metric.js';

export class Evaluator {
  readonly metrics: BaseMetric[];
  #datasetMeta: Record<string, unknown> | null = null;

  constructor(metrics: BaseMetric | BaseMetric[]) {
    this.metrics = Array.isArray(metrics) ? metrics : [metrics];
  }

  get datasetMeta(): Record<string, unknown> | null {
    return this.#datasetMeta;
  }
  set datasetMeta(meta: Record<string, unknown> | null) {
    this.#datasetMeta = meta;
    for (const m of this.metrics) m.datasetMeta = meta;
  }

  process(dataSamples: unknown[], dataBatch: DataBatch): void {
    for (const m of this.metrics) m.process(dataBatch, dataSamples);
  }

  /** Merged metrics of all metric objects; two metrics reporting the same key is an error. */
  evaluate(size: number): MetricValues {
    const merged: MetricValues = {};
    for (const m of this.metrics) {
      for (const [k, v] of Object.entries(m.evaluate(size))) {
        if (k in merged) throw new Error(`Evaluator: several metrics report '${k}'; give them different prefixes`);
        merged[k] = v;
      }
    }
    return merged;
  }
}
EVALUATOR.register(Evaluator);

/**
 * Builds an Evaluator from `val_evaluator`/`test_evaluator`: a metric config, a list of them,
 * or `{type: 'Evaluator', metrics: [...]}`.
 */
export function buildEvaluator(cfg: unknown, keyPath: KeyPath): Evaluator {
  if (cfg instanceof Evaluator) return cfg;
  if (Array.isArray(cfg)) {
    return new Evaluator(cfg.map((m, i) => (m instanceof BaseMetric ? m : METRICS.build<BaseMetric>(m, { keyPath: [...keyPath, i] }))));
  }
  if (cfg && typeof cfg === 'object') {
    const c = cfg as Record<string, unknown>;
    if (c.type === 'Evaluator' || c.type === Evaluator) {
      const metrics = c.metrics;
      if (metrics === undefined) throw new ConfigError([...keyPath, 'metrics'], 'expected a metric config or a list of them');
      return buildEvaluator(metrics, [...keyPath, 'metrics']);
    }
    return new Evaluator(cfg instanceof BaseMetric ? cfg : METRICS.build<BaseMetric>(cfg, { keyPath }));
  }
  throw new ConfigError(keyPath, `expected a metric config, a list of them or an Evaluator, got ${JSON.stringify(cfg)}`);
}
