// ConstantParamScheduler / ConstantLR / ConstantMomentum: the value times `factor` until
// end - begin - 1 steps have passed, then back to the full value.
import { z } from 'zod';
import { PARAM_SCHEDULERS } from '../../registry/index.js';
import { parseOptions } from '../../config/errors.js';
import { ParamScheduler, schedulerOptions, unitFactor, type OptimizerLike } from './param-scheduler.js';
import type { StateReader } from './state.js';

export const ConstantOptions = schedulerOptions({
  factor: unitFactor().default(1 / 3),
});
export type ConstantOptions = z.input<typeof ConstantOptions>;

export class ConstantParamScheduler extends ParamScheduler {
  static override readonly options = ConstantOptions;
  factor: number;
  /** end - begin - 1: the step at which the factor is undone. */
  totalIters: number;

  constructor(options: unknown, optimizer: OptimizerLike) {
    const o = parseOptions(ConstantOptions, options);
    super(optimizer, o, new.target);
    this.factor = o.factor;
    this.totalIters = o.end - o.begin - 1;
    this.step();
  }

  protected getValue(): number[] {
    const current = this.currentValues();
    if (this.lastStep === 0) return current.map((v) => v * this.factor);
    if (this.lastStep !== this.totalIters) return current;
    if (this.factor === 0) throw new RangeError(`${this.constructor.name}: factor 0 cannot be undone at step ${this.lastStep} (MMEngine divides by zero here)`);
    return current.map((v) => v * (1.0 / this.factor));
  }

  override closedForm(lastStep: number): number[] {
    return this.baseValues.map((b) => b * (lastStep >= this.totalIters ? 1 : this.factor));
  }

  protected override ownState(): Record<string, unknown> {
    return { factor: this.factor, total_iters: this.totalIters };
  }

  protected override loadOwnState(r: StateReader): void {
    this.factor = r.number('factor', this.factor);
    this.totalIters = r.number('total_iters', this.totalIters);
  }
}

export class ConstantLR extends ConstantParamScheduler {
  static override readonly scheduledParam = 'lr';
}

export class ConstantMomentum extends ConstantParamScheduler {
  static override readonly scheduledParam = 'momentum';
}

PARAM_SCHEDULERS.register(ConstantParamScheduler);
PARAM_SCHEDULERS.register(ConstantLR);
PARAM_SCHEDULERS.register(ConstantMomentum);
