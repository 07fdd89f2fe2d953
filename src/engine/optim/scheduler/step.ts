// StepParamScheduler / StepLR / StepMomentum: the value times gamma every step_size steps.
import { z } from 'zod';
import { PARAM_SCHEDULERS } from '../../registry/index.js';
import { parseOptions } from '../../config/errors.js';
import { ParamScheduler, schedulerOptions, type CommonOptions, type OptimizerLike } from './param-scheduler.js';
import type { StateReader } from './state.js';

export const StepOptions = schedulerOptions({
  step_size: z.number().int().positive(),
  gamma: z.number().default(0.1),
});
export type StepOptions = z.input<typeof StepOptions>;

export class StepParamScheduler extends ParamScheduler {
  static override readonly options = StepOptions;
  stepSize: number;
  gamma: number;

  constructor(options: unknown, optimizer: OptimizerLike) {
    const o = parseOptions(StepOptions, options);
    super(optimizer, o, new.target);
    this.stepSize = o.step_size;
    this.gamma = o.gamma;
    this.step();
  }

  protected getValue(): number[] {
    const current = this.currentValues();
    if (this.lastStep === 0 || this.lastStep % this.stepSize !== 0) return current;
    return current.map((v) => v * this.gamma);
  }

  override closedForm(lastStep: number): number[] {
    return this.baseValues.map((b) => b * this.gamma ** Math.floor(lastStep / this.stepSize));
  }

  protected override ownState(): Record<string, unknown> {
    return { step_size: this.stepSize, gamma: this.gamma };
  }

  protected override loadOwnState(r: StateReader): void {
    this.stepSize = r.number('step_size', this.stepSize);
    this.gamma = r.number('gamma', this.gamma);
  }

  static override iterBasedOptions(o: CommonOptions, epochLength: number): CommonOptions {
    const step = o as CommonOptions & { step_size: number };
    return { ...super.iterBasedOptions(o, epochLength), step_size: step.step_size * epochLength } as CommonOptions;
  }
}

export class StepLR extends StepParamScheduler {
  static override readonly scheduledParam = 'lr';
}

export class StepMomentum extends StepParamScheduler {
  static override readonly scheduledParam = 'momentum';
}

PARAM_SCHEDULERS.register(StepParamScheduler);
PARAM_SCHEDULERS.register(StepLR);
PARAM_SCHEDULERS.register(StepMomentum);
