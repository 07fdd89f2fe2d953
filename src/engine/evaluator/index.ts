// Evaluation: metrics and the evaluator that runs them.
export { BaseMetric, type BaseMetricOptions, type MetricValues } from './metric.js';
export { Evaluator, buildEvaluator } from './evaluator.js';
export { collectResults, allGatherObjectSync, broadcastObjectSync } from './collect-results.js';
