// CosineAnnealingParamScheduler / CosineAnnealingLR / CosineAnnealingMomentum: SGDR's cosine
// annealing (without restarts) from the initial value to eta_min over T_max steps.
import { z } from 'zod';
import { PARAM_SCHEDULERS } from '../../registry/index.js';
import { ConfigError, parseOptions } from '../../config/errors.js';
import { ParamScheduler, schedulerOptions, type CommonOptions, type OptimizerLike } from './param-scheduler.js';
import type { StateReader } from './state.js';

export const CosineAnnealingOptions = schedulerOptions({
  /** Steps of the half cosine; unset (or 0) means end - begin. */
  T_max: z.number().positive().nullable().optional(),
  eta_min: z.number().nullable().optional(),
  /** eta_min as a fraction of each group's initial value; exclusive with eta_min. */
  eta_min_ratio: z.number().nullable().optional(),
});
export type CosineAnnealingOptions = z.input<typeof CosineAnnealingOptions>;

/** Either eta_min or eta_min_ratio (MMEngine's assertion); neither means eta_min 0. */
export function etaMinChoice(o: { eta_min?: number | null; eta_min_ratio?: number | null }, defaultEtaMin: number | null): { etaMin: number | null; etaMinRatio: number | null } {
  const etaMinRatio = o.eta_min_ratio ?? null;
  const etaMin = o.eta_min ?? (etaMinRatio === null ? defaultEtaMin : null);
  if ((etaMin === null) === (etaMinRatio === null)) {
    throw new ConfigError(['eta_min'], `set exactly one of eta_min and eta_min_ratio, got eta_min=${o.eta_min ?? 'nothing'}, eta_min_ratio=${o.eta_min_ratio ?? 'nothing'}`);
  }
  return { etaMin, etaMinRatio };
}

export class CosineAnnealingParamScheduler extends ParamScheduler {
  static override readonly options = CosineAnnealingOptions;
  tMax: number;
  etaMin: number | null;
  etaMinRatio: number | null;

  constructor(options: unknown, optimizer: OptimizerLike) {
    const o = parseOptions(CosineAnnealingOptions, options);
    const { etaMin, etaMinRatio } = etaMinChoice(o, 0);
    super(optimizer, o, new.target);
    this.tMax = o.T_max || o.end - o.begin;
    this.etaMin = etaMin;
    this.etaMinRatio = etaMinRatio;
    this.step();
  }

  private etaMinOf(base: number): number {
    return this.etaMinRatio === null ? this.etaMin! : base * this.etaMinRatio;
  }

  protected getValue(): number[] {
    const current = this.currentValues();
    const s = this.lastStep;
    const T = this.tMax;
    if (s === 0) return current;
    if ((s - 1 - T) % (2 * T) === 0) {
      // Where the recurrence's denominator vanishes (the bottom of the cosine), step up directly.
      return current.map((v, i) => v + ((this.baseValues[i]! - this.etaMinOf(this.baseValues[i]!)) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    return current.map((v, i) => {
      const etaMin = this.etaMinOf(this.baseValues[i]!);
      return ((1 + Math.cos((Math.PI * s) / T)) / (1 + Math.cos((Math.PI * (s - 1)) / T))) * (v - etaMin) + etaMin;
    });
  }

  override closedForm(lastStep: number): number[] {
    return this.baseValues.map((b) => {
      const etaMin = this.etaMinOf(b);
      return etaMin + ((b - etaMin) * (1 + Math.cos((Math.PI * lastStep) / this.tMax))) / 2;
    });
  }

  protected override ownState(): Record<string, unknown> {
    return { T_max: this.tMax, eta_min: this.etaMin, eta_min_ratio: this.etaMinRatio };
  }

  protected override loadOwnState(r: StateReader): void {
    this.tMax = r.number('T_max', this.tMax);
    this.etaMin = r.nullableNumber('eta_min', this.etaMin);
    this.etaMinRatio = r.nullableNumber('eta_min_ratio', this.etaMinRatio);
  }

  static override iterBasedOptions(o: CommonOptions, epochLength: number): CommonOptions {
    const tMax = (o as CommonOptions & { T_max?: number | null }).T_max;
    const converted = super.iterBasedOptions(o, epochLength) as CommonOptions & { T_max?: number | null };
    if (tMax !== undefined && tMax !== null) converted.T_max = tMax * epochLength;
    return converted;
  }
}

export class CosineAnnealingLR extends CosineAnnealingParamScheduler {
  static override readonly scheduledParam = 'lr';
}

export class CosineAnnealingMomentum extends CosineAnnealingParamScheduler {
  static override readonly scheduledParam = 'momentum';
}

PARAM_SCHEDULERS.register(CosineAnnealingParamScheduler);
PARAM_SCHEDULERS.register(CosineAnnealingLR);
PARAM_SCHEDULERS.register(CosineAnnealingMomentum);
