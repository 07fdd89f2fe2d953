// ExponentialParamScheduler / ExponentialLR / ExponentialMomentum: the value times gamma every step.
import { z } from 'zod';
import { PARAM_SCHEDULERS } from '../../registry/index.js';
import { parseOptions } from '../../config/errors.js';
import { ParamScheduler, schedulerOptions, type OptimizerLike } from './param-scheduler.js';
import type { StateReader } from './state.js';

export const ExponentialOptions = schedulerOptions({
  gamma: z.number(),
});
export type ExponentialOptions = z.input<typeof ExponentialOptions>;

export class ExponentialParamScheduler extends ParamScheduler {
  static override readonly options = ExponentialOptions;
  gamma: number;

  constructor(options: unknown, optimizer: OptimizerLike) {
    const o = parseOptions(ExponentialOptions, options);
    super(optimizer, o, new.target);
    this.gamma = o.gamma;
    this.step();
  }

  protected getValue(): number[] {
    const current = this.currentValues();
    return this.lastStep === 0 ? current : current.map((v) => v * this.gamma);
  }

  override closedForm(lastStep: number): number[] {
    return this.baseValues.map((b) => b * this.gamma ** lastStep);
  }

  protected override ownState(): Record<string, unknown> {
    return { gamma: this.gamma };
  }

  protected override loadOwnState(r: StateReader): void {
    this.gamma = r.number('gamma', this.gamma);
  }
}

export class ExponentialLR extends ExponentialParamScheduler {
  static override readonly scheduledParam = 'lr';
}

export class ExponentialMomentum extends ExponentialParamScheduler {
  static override readonly scheduledParam = 'momentum';
}

PARAM_SCHEDULERS.register(ExponentialParamScheduler);
PARAM_SCHEDULERS.register(ExponentialLR);
PARAM_SCHEDULERS.register(ExponentialMomentum);
