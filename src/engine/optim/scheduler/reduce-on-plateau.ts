// ReduceOnPlateauParamScheduler / ReduceOnPlateauLR / ReduceOnPlateauMomentum: multiply the value
// by `factor` when a validation metric stops improving for `patience` epochs.
import { z } from 'zod';
import { PARAM_SCHEDULERS } from '../../registry/index.js';
import { ConfigError, parseOptions } from '../../config/errors.js';
import { INF, ParamScheduler, schedulerOptions, type CommonOptions, type OptimizerLike } from './param-scheduler.js';
import type { StateReader } from './state.js';

export const ReduceOnPlateauOptions = schedulerOptions({
  /** The metric key to read from the validation results, e.g. 'mIoU' or 'loss'. */
  monitor: z.string().default('loss'),
  rule: z.enum(['less', 'greater']).default('less'),
  factor: z.number().lt(1, 'factor should be < 1.0').default(0.1),
  patience: z.number().int().min(0).default(10),
  threshold: z.number().min(0, 'threshold should be >= 0').default(1e-4),
  threshold_rule: z.enum(['rel', 'abs']).default('rel'),
  cooldown: z.number().int().min(0).default(0),
  /** A lower bound, one for all groups or one per (optimizer) param group. */
  min_value: z.union([z.number(), z.array(z.number())]).default(0),
  eps: z.number().default(1e-8),
});
export type ReduceOnPlateauOptions = z.input<typeof ReduceOnPlateauOptions>;

/** Validation results as the hook passes them: metric name -> value (a number or a 0-d tensor). */
export type Metrics = Record<string, number | { item(): number }>;

/**
 * One lower bound per group. A list counts the optimizer's own groups; an OptimWrapper that
 * shows one extra (base) group gets the last bound repeated for it, as MMEngine does.
 */
function minValuesFor(optimizer: OptimizerLike, minValue: number | number[]): number[] {
  const groups = optimizer.paramGroups.length;
  if (!Array.isArray(minValue)) return Array.from({ length: groups }, () => minValue);
  const raw = (optimizer as { optimizer?: OptimizerLike }).optimizer?.paramGroups.length ?? groups;
  if (minValue.length !== raw) throw new ConfigError(['min_value'], `expected ${raw} min values (one per param group), got ${minValue.length}`);
  return groups === raw + 1 ? [...minValue, minValue[minValue.length - 1]!] : [...minValue];
}

export class ReduceOnPlateauParamScheduler extends ParamScheduler {
  static override readonly options = ReduceOnPlateauOptions;
  override readonly needValArgs = true;
  monitor: string;
  rule: 'less' | 'greater';
  factor: number;
  patience: number;
  threshold: number;
  thresholdRule: 'rel' | 'abs';
  cooldown: number;
  minValues: number[];
  eps: number;
  /** The starting `best`: +INF for 'less', -INF for 'greater' (MMEngine's INF is 1e9). */
  ruleWorse: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;

  constructor(options: unknown, optimizer: OptimizerLike) {
    const o = parseOptions(ReduceOnPlateauOptions, options);
    if (!o.by_epoch) throw new ConfigError(['by_epoch'], `${new.target.name} supports only by_epoch=true (it steps on validation results)`);
    super(optimizer, o, new.target);
    this.factor = o.factor;
    this.minValues = minValuesFor(optimizer, o.min_value);
    this.patience = o.patience;
    this.cooldown = o.cooldown;
    this.eps = o.eps;
    this.monitor = o.monitor;
    this.rule = o.rule;
    this.threshold = o.threshold;
    this.thresholdRule = o.threshold_rule;
    this.ruleWorse = o.rule === 'less' ? INF : -INF;
    this.best = this.ruleWorse;
    // No first step here (MMEngine): the counter starts at 0 and train epochs advance it.
    this.globalStep = 0;
    this.lastValue = this.currentValues();
  }

  /**
   * Without metrics (after a train epoch) only counts the epoch. With the validation metrics
   * (after a val epoch) and inside [begin, end): tracks the best monitored value and reduces the
   * parameter after more than `patience` epochs without improvement.
   */
  override step(metrics?: Metrics): void {
    if (metrics === undefined || metrics === null) {
      this.globalStep += 1;
      return;
    }
    if (typeof metrics !== 'object' || Array.isArray(metrics)) {
      throw new TypeError(`${this.constructor.name}.step: metrics should be an object of metric values, got ${Array.isArray(metrics) ? 'a list' : typeof metrics}`);
    }
    if (this.begin <= this.globalStep && this.globalStep < this.end) {
      this.lastStep += 1;
      const raw = metrics[this.monitor];
      if (raw === undefined || raw === null) {
        throw new Error(`${this.constructor.name}.step: monitor '${this.monitor}' is not in the metrics (got ${Object.keys(metrics).map((k) => `'${k}'`).join(', ') || 'none'})`);
      }
      const metric = typeof raw === 'number' ? raw : raw.item();
      if (this.isBetter(metric, this.best)) {
        this.best = metric;
        this.numBadEpochs = 0;
      } else {
        this.numBadEpochs += 1;
      }
      if (this.cooldownCounter > 0) {
        this.cooldownCounter -= 1;
        this.numBadEpochs = 0; // bad epochs during cooldown do not count
      }
      if (this.numBadEpochs > this.patience) {
        this.applyValues(this.getValue(), (current, next) => current - next > this.eps);
        this.cooldownCounter = this.cooldown;
        this.numBadEpochs = 0;
      }
    }
    this.lastValue = this.currentValues();
    this.syncBetas();
  }

  isBetter(a: number, best: number): boolean {
    if (this.rule === 'less') return this.thresholdRule === 'rel' ? a < best * (1 - this.threshold) : a < best - this.threshold;
    return this.thresholdRule === 'rel' ? a > best * (this.threshold + 1) : a > best + this.threshold;
  }

  protected getValue(): number[] {
    return this.currentValues().map((v, i) => Math.max(v * this.factor, this.minValues[i]!));
  }

  protected override verboseMessage(group: number, value: number): string {
    return `${super.verboseMessage(group, value).slice(0, -1)} in ${this.byEpoch ? 'epoch' : 'iter'} ${this.lastStep}.`;
  }

  protected override ownState(): Record<string, unknown> {
    return {
      factor: this.factor, min_values: [...this.minValues], patience: this.patience, cooldown: this.cooldown,
      cooldown_counter: this.cooldownCounter, rule_worse: this.ruleWorse, best: this.best,
      num_bad_epochs: this.numBadEpochs, eps: this.eps, monitor: this.monitor, rule: this.rule,
      threshold: this.threshold, threshold_rule: this.thresholdRule,
    };
  }

  protected override loadOwnState(r: StateReader): void {
    this.factor = r.number('factor', this.factor);
    this.minValues = r.numbers('min_values', this.minValues);
    this.patience = r.number('patience', this.patience);
    this.cooldown = r.number('cooldown', this.cooldown);
    this.cooldownCounter = r.number('cooldown_counter', this.cooldownCounter);
    this.ruleWorse = r.number('rule_worse', this.ruleWorse);
    this.best = r.number('best', this.best);
    this.numBadEpochs = r.number('num_bad_epochs', this.numBadEpochs);
    this.eps = r.number('eps', this.eps);
    this.monitor = r.string('monitor', this.monitor);
    const rule = r.string('rule', this.rule);
    const thresholdRule = r.string('threshold_rule', this.thresholdRule);
    if ((rule !== 'less' && rule !== 'greater') || (thresholdRule !== 'rel' && thresholdRule !== 'abs')) {
      throw new TypeError(`${r.where}: rule/threshold_rule should be 'less'|'greater' and 'rel'|'abs', got '${rule}', '${thresholdRule}'`);
    }
    this.rule = rule;
    this.thresholdRule = thresholdRule;
    this.threshold = r.number('threshold', this.threshold);
  }

  static override iterBasedOptions(_o: CommonOptions, _epochLength: number): CommonOptions {
    throw new ConfigError(['convert_to_iter_based'], `${this.name} cannot be converted to iter-based: it steps on validation results once per epoch (MMEngine has no build_iter_from_epoch for it)`);
  }
}

export class ReduceOnPlateauLR extends ReduceOnPlateauParamScheduler {
  static override readonly scheduledParam = 'lr';
}

export class ReduceOnPlateauMomentum extends ReduceOnPlateauParamScheduler {
  static override readonly scheduledParam = 'momentum';
}

PARAM_SCHEDULERS.register(ReduceOnPlateauParamScheduler);
PARAM_SCHEDULERS.register(ReduceOnPlateauLR);
PARAM_SCHEDULERS.register(ReduceOnPlateauMomentum);
