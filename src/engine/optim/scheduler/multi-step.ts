// MultiStepParamScheduler / MultiStepLR / MultiStepMomentum: the value times gamma at each
// milestone (gamma^k where a milestone is listed k times, as MMEngine's Counter does).
import { z } from 'zod';
import { PARAM_SCHEDULERS } from '../../registry/index.js';
import { parseOptions } from '../../config/errors.js';
import { ParamScheduler, schedulerOptions, type CommonOptions, type OptimizerLike } from './param-scheduler.js';
import type { StateReader } from './state.js';

export const MultiStepOptions = schedulerOptions({
  milestones: z.array(z.number().int()),
  gamma: z.number().default(0.1),
});
export type MultiStepOptions = z.input<typeof MultiStepOptions>;

function countMilestones(milestones: number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const m of milestones) counts.set(m, (counts.get(m) ?? 0) + 1);
  return counts;
}

export class MultiStepParamScheduler extends ParamScheduler {
  static override readonly options = MultiStepOptions;
  /** milestone -> how many times it was listed. */
  milestones: Map<number, number>;
  gamma: number;

  constructor(options: unknown, optimizer: OptimizerLike) {
    const o = parseOptions(MultiStepOptions, options);
    super(optimizer, o, new.target);
    this.milestones = countMilestones(o.milestones);
    this.gamma = o.gamma;
    this.step();
  }

  protected getValue(): number[] {
    const current = this.currentValues();
    const count = this.milestones.get(this.lastStep);
    if (count === undefined) return current;
    return current.map((v) => v * this.gamma ** count);
  }

  override closedForm(lastStep: number): number[] {
    let passed = 0;
    for (const [m, count] of this.milestones) if (m <= lastStep) passed += count;
    return this.baseValues.map((b) => b * this.gamma ** passed);
  }

  protected override ownState(): Record<string, unknown> {
    // MMEngine keeps a Counter: saved as { milestone: count }.
    return { milestones: Object.fromEntries([...this.milestones].map(([m, c]) => [String(m), c])), gamma: this.gamma };
  }

  protected override loadOwnState(r: StateReader): void {
    const saved = r.state.milestones;
    if (saved !== undefined) {
      if (Array.isArray(saved) && saved.every((m) => typeof m === 'number')) this.milestones = countMilestones(saved as number[]);
      else if (saved !== null && typeof saved === 'object' && Object.values(saved).every((c) => typeof c === 'number')) {
        this.milestones = new Map(Object.entries(saved as Record<string, number>).map(([m, c]) => [Number(m), c]));
      } else throw new TypeError(`${r.where}: 'milestones' should be { milestone: count } or a list of milestones, got ${JSON.stringify(saved)}`);
    }
    this.gamma = r.number('gamma', this.gamma);
  }

  static override iterBasedOptions(o: CommonOptions, epochLength: number): CommonOptions {
    const ms = (o as CommonOptions & { milestones: number[] }).milestones;
    return { ...super.iterBasedOptions(o, epochLength), milestones: ms.map((m) => m * epochLength) } as CommonOptions;
  }
}

export class MultiStepLR extends MultiStepParamScheduler {
  static override readonly scheduledParam = 'lr';
}

export class MultiStepMomentum extends MultiStepParamScheduler {
  static override readonly scheduledParam = 'momentum';
}

PARAM_SCHEDULERS.register(MultiStepParamScheduler);
PARAM_SCHEDULERS.register(MultiStepLR);
PARAM_SCHEDULERS.register(MultiStepMomentum);
