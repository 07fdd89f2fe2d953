// CosineRestartParamScheduler / CosineRestartLR / CosineRestartMomentum: cosine annealing in
// periods, each restarting from the initial value times its restart weight.
import { z } from 'zod';
import { PARAM_SCHEDULERS } from '../../registry/index.js';
import { ConfigError, parseOptions } from '../../config/errors.js';
import { ParamScheduler, schedulerOptions, type CommonOptions, type OptimizerLike } from './param-scheduler.js';
import { etaMinChoice } from './cosine-annealing.js';
import type { StateReader } from './state.js';

export const CosineRestartOptions = schedulerOptions({
  periods: z.array(z.number().positive()).min(1),
  restart_weights: z.array(z.number()).default([1]),
  eta_min: z.number().nullable().optional(),
  eta_min_ratio: z.number().nullable().optional(),
});
export type CosineRestartOptions = z.input<typeof CosineRestartOptions>;

export class CosineRestartParamScheduler extends ParamScheduler {
  static override readonly options = CosineRestartOptions;
  periods: number[];
  restartWeights: number[];
  /** Running sums of periods: step s is in period i where s < cumulativePeriods[i]. */
  cumulativePeriods: number[];
  etaMin: number | null;
  etaMinRatio: number | null;

  constructor(options: unknown, optimizer: OptimizerLike) {
    const o = parseOptions(CosineRestartOptions, options);
    // Unlike CosineAnnealing, MMEngine gives no eta_min default here: one of the two is required.
    const { etaMin, etaMinRatio } = etaMinChoice(o, null);
    if (o.periods.length !== o.restart_weights.length) {
      throw new ConfigError(['restart_weights'], `periods and restart_weights should have the same length, got ${o.periods.length} and ${o.restart_weights.length}`);
    }
    super(optimizer, o, new.target);
    this.periods = o.periods;
    this.restartWeights = o.restart_weights;
    let sum = 0;
    this.cumulativePeriods = o.periods.map((p) => (sum += p));
    this.etaMin = etaMin;
    this.etaMinRatio = etaMinRatio;
    this.step();
  }

  /** The index of the first cumulative period above `step`, or undefined past the last one. */
  static positionFromPeriods(step: number, cumulativePeriods: number[]): number | undefined {
    const i = cumulativePeriods.findIndex((p) => step < p);
    return i < 0 ? undefined : i;
  }

  private etaMinOf(base: number): number {
    return this.etaMinRatio === null ? this.etaMin! : base * this.etaMinRatio;
  }

  /** Where lastStep falls: period index, its length, steps since its restart. */
  private position(lastStep: number): { idx: number; period: number; step: number } | undefined {
    const idx = CosineRestartParamScheduler.positionFromPeriods(lastStep, this.cumulativePeriods);
    if (idx === undefined) return undefined;
    const restart = idx === 0 ? 0 : this.cumulativePeriods[idx - 1]!;
    return { idx, period: this.periods[idx]!, step: lastStep - restart };
  }

  protected getValue(): number[] {
    const current = this.currentValues();
    const at = this.position(this.lastStep);
    if (at === undefined) return current;
    const weight = this.restartWeights[at.idx]!;
    return current.map((v, i) => {
      const base = this.baseValues[i]!;
      const etaMin = this.etaMinOf(base);
      if (at.step === 0) return base * weight;
      return ((1 + Math.cos((Math.PI * at.step) / at.period)) / (1 + Math.cos((Math.PI * (at.step - 1)) / at.period))) * (v - etaMin) + etaMin;
    });
  }

  override closedForm(lastStep: number): number[] | undefined {
    const at = this.position(lastStep);
    if (at === undefined) return undefined;
    return this.baseValues.map((base) => {
      const etaMin = this.etaMinOf(base);
      return etaMin + ((base * this.restartWeights[at.idx]! - etaMin) * (1 + Math.cos((Math.PI * at.step) / at.period))) / 2;
    });
  }

  protected override ownState(): Record<string, unknown> {
    return {
      periods: [...this.periods], eta_min: this.etaMin, eta_min_ratio: this.etaMinRatio,
      restart_weights: [...this.restartWeights], cumulative_periods: [...this.cumulativePeriods],
    };
  }

  protected override loadOwnState(r: StateReader): void {
    this.periods = r.numbers('periods', this.periods);
    this.etaMin = r.nullableNumber('eta_min', this.etaMin);
    this.etaMinRatio = r.nullableNumber('eta_min_ratio', this.etaMinRatio);
    this.restartWeights = r.numbers('restart_weights', this.restartWeights);
    this.cumulativePeriods = r.numbers('cumulative_periods', this.cumulativePeriods);
  }

  static override iterBasedOptions(o: CommonOptions, epochLength: number): CommonOptions {
    const periods = (o as CommonOptions & { periods: number[] }).periods;
    return { ...super.iterBasedOptions(o, epochLength), periods: periods.map((p) => p * epochLength) } as CommonOptions;
  }
}

export class CosineRestartLR extends CosineRestartParamScheduler {
  static override readonly scheduledParam = 'lr';
}

export class CosineRestartMomentum extends CosineRestartParamScheduler {
  static override readonly scheduledParam = 'momentum';
}

PARAM_SCHEDULERS.register(CosineRestartParamScheduler);
PARAM_SCHEDULERS.register(CosineRestartLR);
PARAM_SCHEDULERS.register(CosineRestartMomentum);
