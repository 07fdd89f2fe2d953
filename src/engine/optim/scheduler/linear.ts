// LinearParamScheduler / LinearLR / LinearMomentum: the factor moves linearly from start_factor to
// end_factor over [begin, end), reaching end_factor one step early (MMEngine's end - begin - 1).
import { z } from 'zod';
import { PARAM_SCHEDULERS } from '../../registry/index.js';
import { parseOptions } from '../../config/errors.js';
import { ParamScheduler, schedulerOptions, unitFactor, type OptimizerLike } from './param-scheduler.js';
import type { StateReader } from './state.js';

export const LinearOptions = schedulerOptions({
  start_factor: unitFactor().default(1 / 3),
  end_factor: unitFactor().default(1.0),
});
export type LinearOptions = z.input<typeof LinearOptions>;

export class LinearParamScheduler extends ParamScheduler {
  static override readonly options = LinearOptions;
  startFactor: number;
  endFactor: number;
  /** end - begin - 1: the factor reaches end_factor at this step. */
  totalIters: number;

  constructor(options: unknown, optimizer: OptimizerLike) {
    const o = parseOptions(LinearOptions, options);
    super(optimizer, o, new.target);
    this.startFactor = o.start_factor;
    this.endFactor = o.end_factor;
    this.totalIters = o.end - o.begin - 1;
    this.step();
  }

  protected getValue(): number[] {
    const current = this.currentValues();
    if (this.lastStep === 0) return current.map((v) => v * this.startFactor);
    const slope = this.endFactor - this.startFactor;
    // The ratio of this step's factor to the previous one, in MMEngine's operation order.
    const denominator = this.totalIters * this.startFactor + (this.lastStep - 1) * slope;
    if (denominator === 0) {
      throw new RangeError(`${this.constructor.name}: division by zero at step ${this.lastStep} (start_factor ${this.startFactor}; MMEngine raises ZeroDivisionError here too: use a small positive start_factor)`);
    }
    return current.map((v) => v * (1 + slope / denominator));
  }

  override closedForm(lastStep: number): number[] {
    const t = Math.min(this.totalIters, lastStep);
    return this.baseValues.map((b) => b * (this.startFactor + ((this.endFactor - this.startFactor) * t) / this.totalIters));
  }

  protected override ownState(): Record<string, unknown> {
    return { start_factor: this.startFactor, end_factor: this.endFactor, total_iters: this.totalIters };
  }

  protected override loadOwnState(r: StateReader): void {
    this.startFactor = r.number('start_factor', this.startFactor);
    this.endFactor = r.number('end_factor', this.endFactor);
    this.totalIters = r.number('total_iters', this.totalIters);
  }
}

export class LinearLR extends LinearParamScheduler {
  static override readonly scheduledParam = 'lr';
}

export class LinearMomentum extends LinearParamScheduler {
  static override readonly scheduledParam = 'momentum';
}

PARAM_SCHEDULERS.register(LinearParamScheduler);
PARAM_SCHEDULERS.register(LinearLR);
PARAM_SCHEDULERS.register(LinearMomentum);
