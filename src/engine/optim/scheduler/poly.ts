// PolyParamScheduler / PolyLR / PolyMomentum: polynomial decay to eta_min over [begin, end),
// reaching eta_min one step early (MMEngine's end - begin - 1).
import { z } from 'zod';
import { PARAM_SCHEDULERS } from '../../registry/index.js';
import { parseOptions } from '../../config/errors.js';
import { ParamScheduler, schedulerOptions, type OptimizerLike } from './param-scheduler.js';
import type { StateReader } from './state.js';

export const PolyOptions = schedulerOptions({
  eta_min: z.number().default(0),
  power: z.number().default(1.0),
});
export type PolyOptions = z.input<typeof PolyOptions>;

export class PolyParamScheduler extends ParamScheduler {
  static override readonly options = PolyOptions;
  etaMin: number;
  power: number;
  /** end - begin - 1: the value reaches eta_min at this step. */
  totalIters: number;

  constructor(options: unknown, optimizer: OptimizerLike) {
    const o = parseOptions(PolyOptions, options);
    super(optimizer, o, new.target);
    this.etaMin = o.eta_min;
    this.power = o.power;
    this.totalIters = o.end - o.begin - 1;
    this.step();
  }

  protected getValue(): number[] {
    const current = this.currentValues();
    if (this.lastStep === 0) return current;
    const remaining = this.totalIters - this.lastStep + 1;
    if (remaining === 0) throw new RangeError(`${this.constructor.name}: division by zero at step ${this.lastStep} (past total_iters ${this.totalIters})`);
    return current.map((v) => (v - this.etaMin) * (1 - 1 / remaining) ** this.power + this.etaMin);
  }

  override closedForm(lastStep: number): number[] {
    const t = Math.min(this.totalIters, lastStep);
    return this.baseValues.map((b) => (b - this.etaMin) * (1 - t / this.totalIters) ** this.power + this.etaMin);
  }

  protected override ownState(): Record<string, unknown> {
    return { eta_min: this.etaMin, power: this.power, total_iters: this.totalIters };
  }

  protected override loadOwnState(r: StateReader): void {
    this.etaMin = r.number('eta_min', this.etaMin);
    this.power = r.number('power', this.power);
    this.totalIters = r.number('total_iters', this.totalIters);
  }
}

export class PolyLR extends PolyParamScheduler {
  static override readonly scheduledParam = 'lr';
}

export class PolyMomentum extends PolyParamScheduler {
  static override readonly scheduledParam = 'momentum';
}

PARAM_SCHEDULERS.register(PolyParamScheduler);
PARAM_SCHEDULERS.register(PolyLR);
PARAM_SCHEDULERS.register(PolyMomentum);
