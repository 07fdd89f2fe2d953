// OneCycleParamScheduler / OneCycleLR: the 1cycle policy (lr up from eta_max/div_factor to
// eta_max, then down to initial/final_div_factor); not chainable, lr only.
import { z } from 'zod';
import { PARAM_SCHEDULERS } from '../../registry/index.js';
import { ConfigError, parseOptions } from '../../config/errors.js';
import { ParamScheduler, schedulerOptions, type CommonOptions, type OptimizerLike } from './param-scheduler.js';
import type { StateReader } from './state.js';

export const OneCycleOptions = schedulerOptions({
  /** The peak value, one for all groups or one per group. */
  eta_max: z.union([z.number(), z.array(z.number())]).default(0),
  /** Steps in the cycle; unset means end - begin. */
  total_steps: z.number().int().positive().nullable().optional(),
  pct_start: z.number().min(0, 'expected a fraction between 0 and 1').max(1, 'expected a fraction between 0 and 1').default(0.3),
  anneal_strategy: z.enum(['cos', 'linear']).default('cos'),
  div_factor: z.number().default(25),
  final_div_factor: z.number().default(1e4),
  three_phase: z.boolean().default(false),
});
export type OneCycleOptions = z.input<typeof OneCycleOptions>;

/** A phase ends at `end_step`, moving from the group key `start_<param>` names to `end_<param>`'s. */
export interface OneCyclePhase {
  end_step: number;
  start: string;
  end: string;
}

const annealCos = (start: number, end: number, pct: number): number => end + ((start - end) / 2.0) * (Math.cos(Math.PI * pct) + 1);
const annealLinear = (start: number, end: number, pct: number): number => (end - start) * pct + start;

export class OneCycleParamScheduler extends ParamScheduler {
  static override readonly options = OneCycleOptions;
  etaMax: number | number[];
  divFactor: number;
  finalDivFactor: number;
  totalSteps: number;
  annealStrategy: 'cos' | 'linear';
  phases: OneCyclePhase[];

  constructor(options: unknown, optimizer: OptimizerLike) {
    const o = parseOptions(OneCycleOptions, options);
    const param = new.target.scheduledParam ?? o.param_name;
    if (param !== undefined && param !== 'lr') throw new ConfigError(['param_name'], `OneCycle only schedules 'lr', got '${param}'`);
    const groups = optimizer?.paramGroups ?? [];
    const maxValues = Array.isArray(o.eta_max) ? o.eta_max : groups.map(() => o.eta_max as number);
    if (maxValues.length !== groups.length) throw new ConfigError(['eta_max'], `expected ${groups.length} values (one per param group), got ${maxValues.length}`);
    if (o.last_step === -1) {
      // The cycle's own initial/max/min values live in the groups, as in MMEngine (and PyTorch).
      groups.forEach((group, i) => {
        group.initial_lr = maxValues[i]! / o.div_factor;
        group.max_lr = maxValues[i]!;
        group.min_lr = (group.initial_lr as number) / o.final_div_factor;
      });
    }
    super(optimizer, o, new.target);
    this.etaMax = o.eta_max;
    this.divFactor = o.div_factor;
    this.finalDivFactor = o.final_div_factor;
    this.totalSteps = o.total_steps ?? o.end - o.begin;
    this.annealStrategy = o.anneal_strategy;
    const p = this.paramName;
    const warm = o.pct_start * this.totalSteps;
    this.phases = o.three_phase
      ? [
          { end_step: warm - 1, start: `initial_${p}`, end: `max_${p}` },
          { end_step: 2 * warm - 2, start: `max_${p}`, end: `initial_${p}` },
          { end_step: this.totalSteps - 1, start: `initial_${p}`, end: `min_${p}` },
        ]
      : [
          { end_step: warm - 1, start: `initial_${p}`, end: `max_${p}` },
          { end_step: this.totalSteps - 1, start: `max_${p}`, end: `min_${p}` },
        ];
    this.step();
  }

  protected getValue(): number[] {
    const s = this.lastStep;
    if (s > this.totalSteps) throw new RangeError(`${this.constructor.name}: tried to step ${s + 1} times; the specified number of total steps is ${this.totalSteps}`);
    const anneal = this.annealStrategy === 'cos' ? annealCos : annealLinear;
    return this.groups.map((group, gi) => {
      let start = 0;
      for (let i = 0; i < this.phases.length; i++) {
        const phase = this.phases[i]!;
        if (s <= phase.end_step || i === this.phases.length - 1) {
          if (phase.end_step === start) {
            throw new RangeError(`${this.constructor.name}: phase ${i} has no steps (total_steps ${this.totalSteps} too small for pct_start); MMEngine divides by zero here`);
          }
          const pct = (s - start) / (phase.end_step - start);
          const from = group[phase.start];
          const to = group[phase.end];
          if (typeof from !== 'number' || typeof to !== 'number') throw new TypeError(`${this.constructor.name}: param_groups[${gi}] lacks '${phase.start}' / '${phase.end}'`);
          return anneal(from, to, pct);
        }
        start = phase.end_step;
      }
      throw new Error('unreachable: the last phase always matches');
    });
  }

  /** OneCycle is not chainable: its value is already a function of the step. */
  override closedForm(lastStep: number): number[] {
    const saved = this.lastStep;
    this.lastStep = lastStep;
    try {
      return this.getValue();
    } finally {
      this.lastStep = saved;
    }
  }

  protected override ownState(): Record<string, unknown> {
    return {
      eta_max: Array.isArray(this.etaMax) ? [...this.etaMax] : this.etaMax,
      div_factor: this.divFactor,
      final_div_factor: this.finalDivFactor,
      total_steps: this.totalSteps,
      anneal_strategy: this.annealStrategy,
      _schedule_phases: this.phases.map((ph) => ({ end_step: ph.end_step, [`start_${this.paramName}`]: ph.start, [`end_${this.paramName}`]: ph.end })),
    };
  }

  protected override loadOwnState(r: StateReader): void {
    const etaMax = r.state.eta_max;
    if (typeof etaMax === 'number' || (Array.isArray(etaMax) && etaMax.every((v) => typeof v === 'number'))) this.etaMax = etaMax as number | number[];
    this.divFactor = r.number('div_factor', this.divFactor);
    this.finalDivFactor = r.number('final_div_factor', this.finalDivFactor);
    this.totalSteps = r.number('total_steps', this.totalSteps);
    const strategy = r.string('anneal_strategy', this.annealStrategy);
    if (strategy !== 'cos' && strategy !== 'linear') throw new TypeError(`${r.where}: 'anneal_strategy' should be 'cos' or 'linear', got '${strategy}'`);
    this.annealStrategy = strategy;
    const phases = r.objects<Record<string, unknown>>('_schedule_phases', []);
    if (phases.length > 0) {
      this.phases = phases.map((ph) => ({
        end_step: ph.end_step as number,
        start: ph[`start_${this.paramName}`] as string,
        end: ph[`end_${this.paramName}`] as string,
      }));
    }
  }

  static override iterBasedOptions(o: CommonOptions, epochLength: number): CommonOptions {
    const total = (o as CommonOptions & { total_steps?: number | null }).total_steps;
    const converted = super.iterBasedOptions(o, epochLength) as CommonOptions & { total_steps?: number | null };
    if (total !== undefined && total !== null) converted.total_steps = total * epochLength;
    return converted;
  }
}

export class OneCycleLR extends OneCycleParamScheduler {
  static override readonly scheduledParam = 'lr';
}

PARAM_SCHEDULERS.register(OneCycleParamScheduler);
PARAM_SCHEDULERS.register(OneCycleLR);
