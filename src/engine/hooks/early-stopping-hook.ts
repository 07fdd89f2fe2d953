// EarlyStoppingHook: stops training when a validation metric stops improving (or reaches a target,
// or stops being finite), as MMEngine's; its counters travel in checkpoints.
import { z } from 'zod';
import { ConfigError, parseOptions } from '../config/errors.js';
import { formatFixed, pyRepr } from '../logging/py-format.js';
import { HOOKS } from '../registry/index.js';
import type { Runner } from '../runner/runner.js';
import { Hook, type Metrics } from './hook.js';
import { inferRule, isBetter, metricNumber, worstValue, type Rule } from './metric-rule.js';

export const earlyStoppingHookSchema = z.object({
  /** The metric to watch, as the evaluator names it ('mIoU', 'loss', ...). */
  monitor: z.string().min(1),
  /** Inferred from `monitor` when null ('mIoU' -> greater, 'loss' -> less). */
  rule: z.enum(['greater', 'less']).nullable().default(null),
  /** An improvement smaller than this does not count (MMEngine's default is 0.1). */
  min_delta: z.number().default(0.1),
  /** Fail when `monitor` is missing from the metrics, instead of skipping with a warning. */
  strict: z.boolean().default(false),
  /** Stop as soon as the metric is NaN or infinite. */
  check_finite: z.boolean().default(true),
  /** Validations without improvement after which training stops. */
  patience: z.number().int().nonnegative().default(5),
  /** Stop once the metric is better than this. */
  stopping_threshold: z.number().nullable().default(null),
}).strict();

export type EarlyStoppingHookOptions = z.input<typeof earlyStoppingHookSchema>;

export interface EarlyStoppingState {
  wait_count: number;
  best_score: number;
}

export class EarlyStoppingHook extends Hook {
  static override priority = 'LOWEST';
  readonly monitor: string;
  readonly rule: Rule;
  /** Signed so that `best + minDelta` is the score to beat (negative for 'less'). */
  readonly minDelta: number;
  readonly strict: boolean;
  readonly checkFinite: boolean;
  readonly patience: number;
  readonly stoppingThreshold: number | null;
  waitCount = 0;
  bestScore: number;

  constructor(options: unknown = {}) {
    super();
    const o = parseOptions(earlyStoppingHookSchema, options);
    this.monitor = o.monitor;
    const rule = o.rule ?? inferRule(o.monitor);
    if (rule === null) throw new ConfigError(['rule'], `cannot infer the rule for monitor '${o.monitor}'; set rule: 'greater' or 'less'`);
    this.rule = rule;
    this.minDelta = rule === 'greater' ? o.min_delta : -o.min_delta;
    this.strict = o.strict;
    this.checkFinite = o.check_finite;
    this.patience = o.patience;
    this.stoppingThreshold = o.stopping_threshold;
    this.bestScore = worstValue(rule);
  }

  /** Whether to stop after a validation scoring `score`, and why (MMEngine's messages). */
  checkStopCondition(score: number): { stop: boolean; reason: string } {
    if (this.checkFinite && !Number.isFinite(score)) {
      return {
        stop: true,
        reason: `Monitored metric ${this.monitor} = ${pyRepr(score)} is infinite. Previous best value was ${formatFixed(this.bestScore, 3)}.`,
      };
    }
    if (this.stoppingThreshold !== null && isBetter(this.rule, score, this.stoppingThreshold)) {
      this.bestScore = score;
      return {
        stop: true,
        reason: `Stopping threshold reached: \`${this.monitor}\` = ${pyRepr(score)} is ${this.rule} than ${pyRepr(this.stoppingThreshold)}.`,
      };
    }
    if (isBetter(this.rule, this.bestScore + this.minDelta, score)) {
      this.waitCount += 1;
      if (this.waitCount >= this.patience) {
        return {
          stop: true,
          reason: `the monitored metric did not improve in the last ${this.waitCount} records. best score: ${formatFixed(this.bestScore, 3)}. `,
        };
      }
      return { stop: false, reason: '' };
    }
    this.bestScore = score;
    this.waitCount = 0;
    return { stop: false, reason: '' };
  }

  override afterValEpoch(runner: Runner, metrics: Metrics): void {
    // A standalone validation (no train loop) has no training to stop.
    if (!runner.trainLoop) return;
    if (!(this.monitor in metrics)) {
      const available = Object.keys(metrics).map((k) => `'${k}'`).join(', ') || 'none';
      if (this.strict) {
        throw new Error(`EarlyStoppingHook: monitor '${this.monitor}' is not in the validation metrics (${available}); ` +
          'check the metric name or set strict: false');
      }
      runner.logger.warning(`Skip early stopping process since the evaluation results (${available}) do not include \`monitor\` (${this.monitor}).`);
      return;
    }
    const score = metricNumber(metrics[this.monitor], `EarlyStoppingHook: metric '${this.monitor}'`);
    const { stop, reason } = this.checkStopCondition(score);
    if (stop) {
      runner.trainLoop.stopTraining = true;
      runner.logger.info(reason);
    }
  }

  override stateDict(): EarlyStoppingState {
    return { wait_count: this.waitCount, best_score: this.bestScore };
  }

  override loadStateDict(state: unknown): void {
    const s = state as Partial<EarlyStoppingState> | null;
    if (typeof s?.wait_count !== 'number' || typeof s.best_score !== 'number') {
      throw new TypeError(`EarlyStoppingHook.loadStateDict: expected { wait_count: number, best_score: number }, got ${JSON.stringify(state)}`);
    }
    this.waitCount = s.wait_count;
    this.bestScore = s.best_score;
  }
}

HOOKS.register(EarlyStoppingHook);
