// The base of every parameter scheduler (MMEngine's _ParamScheduler): begin/end windows, the
// step counters, initial values kept in the param groups, and the scheduler's own state dict.
import { z } from 'zod';
import { ConfigError } from '../../config/errors.js';
import { StateReader, readGroupValue, type SchedulerStateDict } from './state.js';

export { type SchedulerStateDict } from './state.js';

/** MMEngine's INF = int(1e9): the default `end`, and ReduceOnPlateau's starting `best`. */
export const INF = 1e9;

/**
 * What a scheduler drives: a torch.optim optimizer, or an OptimWrapper exposing the same
 * `paramGroups` (groups are plain mutable objects holding `lr`, `momentum` or `betas`, ...).
 */
export interface OptimizerLike {
  readonly paramGroups: Record<string, unknown>[];
  /** torch.optim's defaults: momentum schedulers look here for 'momentum' / 'betas' as MMEngine does. */
  readonly defaults?: object;
}

/** Options every scheduler takes (MMEngine's keyword names); families add their own. */
const COMMON_SHAPE = {
  /** Only on the *ParamScheduler classes; the *LR / *Momentum classes fix it. */
  param_name: z.string().optional(),
  begin: z.number().default(0),
  end: z.number().default(INF),
  last_step: z.number().int().min(-1).default(-1),
  by_epoch: z.boolean().default(true),
  verbose: z.boolean().default(false),
};

/** A multiplicative factor in [0, 1] (MMEngine raises ValueError outside). */
export const unitFactor = () => z.number().min(0, 'expected a factor between 0 and 1').max(1, 'expected a factor between 0 and 1');

/** A family's options schema: the common keys plus `shape`, unknown keys rejected. */
export function schedulerOptions<S extends z.ZodRawShape>(shape: S) {
  return z.object({ ...COMMON_SHAPE, ...shape }).strict();
}

const commonOptions = schedulerOptions({});
export type CommonOptions = z.output<typeof commonOptions>;

/** A scheduler class as the builder sees it: constructor plus the statics below. */
export interface SchedulerClass {
  new (options: unknown, optimizer: OptimizerLike): ParamScheduler;
  readonly name: string;
  readonly scheduledParam?: 'lr' | 'momentum';
  readonly options: z.ZodType;
  iterBasedOptions(options: CommonOptions, epochLength: number): CommonOptions;
}

/** Python's `f'{v:.4e}'` (two-digit exponent) for verbose messages. */
const pyExp4 = (v: number): string => v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');

export abstract class ParamScheduler {
  /** 'lr' for the *LR classes, 'momentum' for *Momentum ones; unset where `param_name` is an option. */
  static readonly scheduledParam?: 'lr' | 'momentum';
  /** The family's zod schema (overridden by each family). */
  static readonly options: z.ZodType = commonOptions;
  /** MMEngine's ParamSchedulerHook passes validation metrics to schedulers that set this. */
  readonly needValArgs: boolean = false;

  readonly optimizer: OptimizerLike;
  paramName: string;
  begin: number;
  end: number;
  byEpoch: boolean;
  verbose: boolean;
  /** Steps taken inside [begin, end): 0 after construction (MMEngine's last_step). */
  lastStep: number;
  /** `initial_<param>` of each group when the scheduler was built. */
  baseValues: number[];
  /** Every step() call, in or out of the window (MMEngine's _global_step). */
  protected globalStep = -1;
  protected lastValue: number[] = [];
  /** Momentum schedulers over Adam-like groups mirror `momentum` into `betas[0]`. */
  protected useBetas = false;

  /**
   * Checks the window, prepares the groups (`initial_<param>`, momentum from betas) and reads the
   * base values. It does not take the first step: each family's constructor sets its own fields
   * and then calls `this.step()`, as MMEngine's __init__ does last.
   */
  protected constructor(optimizer: OptimizerLike, o: CommonOptions, cls: SchedulerClass) {
    if (!optimizer || !Array.isArray(optimizer.paramGroups)) {
      throw new TypeError(`${cls.name}: expected an optimizer (or OptimWrapper) with paramGroups, got ${optimizer === null ? 'null' : typeof optimizer}`);
    }
    this.optimizer = optimizer;
    this.paramName = resolveParamName(cls, o);
    if (o.end <= o.begin) throw new ConfigError(['end'], `end should be larger than begin, got begin=${o.begin}, end=${o.end}`);
    this.begin = o.begin;
    this.end = o.end;
    this.byEpoch = o.by_epoch;
    this.verbose = o.verbose;
    if (cls.scheduledParam === 'momentum') this.useBetas = prepareMomentum(optimizer, cls.name);
    const initialKey = `initial_${this.paramName}`;
    this.groups.forEach((group, i) => {
      if (o.last_step === -1) {
        // Never scheduled before: the current value becomes the initial one (kept if already there).
        if (!(initialKey in group)) group[initialKey] = readGroupValue(group, this.paramName, i, cls.name);
      } else if (!(initialKey in group)) {
        throw new ConfigError(['last_step'], `param '${initialKey}' is not specified in param_groups[${i}] when resuming an optimizer (last_step=${o.last_step})`);
      }
    });
    this.baseValues = this.groups.map((g, i) => readGroupValue(g, initialKey, i, cls.name));
    this.lastStep = o.last_step;
  }

  /** The optimizer's groups, read afresh each time (an OptimWrapper may build the list on access). */
  protected get groups(): Record<string, unknown>[] {
    return this.optimizer.paramGroups;
  }

  /** Current values of the scheduled parameter, one per group. */
  protected currentValues(): number[] {
    return this.groups.map((g, i) => readGroupValue(g, this.paramName, i, this.constructor.name));
  }

  /** The next values from the current ones (MMEngine's chainable `_get_value`). */
  protected abstract getValue(): number[];

  /**
   * The value each group would have after `lastStep` in-window steps if this scheduler alone set
   * the parameter from its base values (PyTorch's closed forms). MMEngine steps only the chainable
   * recurrence; this is for checking it and for plotting. Undefined where no closed form exists.
   */
  closedForm(_lastStep: number): number[] | undefined {
    return undefined;
  }

  /** Advances one step (an iteration or an epoch, per `byEpoch`) and updates the groups inside [begin, end). */
  step(): void {
    this.globalStep += 1;
    if (this.begin <= this.globalStep && this.globalStep < this.end) {
      this.lastStep += 1;
      this.applyValues(this.getValue());
    }
    this.lastValue = this.currentValues();
    this.syncBetas();
  }

  /** The values set by the last step, one per group. */
  getLastValue(): number[] {
    return [...this.lastValue];
  }

  protected applyValues(values: number[], accept: (current: number, next: number) => boolean = () => true): void {
    this.groups.forEach((group, i) => {
      const value = values[i]!;
      if (!accept(readGroupValue(group, this.paramName, i, this.constructor.name), value)) return;
      group[this.paramName] = value;
      if (this.verbose) console.info(this.verboseMessage(i, value));
    });
  }

  protected verboseMessage(group: number, value: number): string {
    return `Adjusting parameter value of group ${group} to ${pyExp4(value)}.`;
  }

  /** Adam-like groups keep momentum in betas[0]: copy the scheduled value there. */
  protected syncBetas(): void {
    if (!this.useBetas) return;
    for (const group of this.groups) {
      const betas = group.betas as number[];
      group.betas = [group.momentum as number, betas[1]!];
    }
  }

  /** The family's own attributes under MMEngine's names (e.g. start_factor, total_iters). */
  protected ownState(): Record<string, unknown> {
    return {};
  }

  protected loadOwnState(_state: StateReader): void {}

  /**
   * The scheduler's attributes under MMEngine's names (so checkpoints read the same), plus
   * `group_values`: the live values of the parameter when the state was taken. loadStateDict
   * writes them back, so a scheduler rebuilt over an optimizer whose state was loaded first
   * (whose construction step would otherwise rescale lr again: MMEngine issue #1542) resumes
   * exactly where it stopped.
   */
  stateDict(): SchedulerStateDict {
    const state: SchedulerStateDict = {
      param_name: this.paramName,
      begin: this.begin,
      end: this.end,
      by_epoch: this.byEpoch,
      base_values: [...this.baseValues],
      last_step: this.lastStep,
      _global_step: this.globalStep,
      verbose: this.verbose,
      _last_value: [...this.lastValue],
      ...this.ownState(),
      group_values: this.currentValues(),
    };
    if ((this.constructor as SchedulerClass).scheduledParam === 'momentum') state.use_betas = this.useBetas;
    return state;
  }

  /** Restores what stateDict returned (keys it lacks keep their current values, as MMEngine's dict update). */
  loadStateDict(state: SchedulerStateDict): void {
    const r = new StateReader(state, `${this.constructor.name}.loadStateDict`);
    const paramName = r.string('param_name', this.paramName);
    if (paramName !== this.paramName) {
      throw new Error(`${this.constructor.name}.loadStateDict: the state schedules '${paramName}' but this scheduler schedules '${this.paramName}' (are the schedulers in the same order as when saved?)`);
    }
    this.begin = r.number('begin', this.begin);
    this.end = r.number('end', this.end);
    this.byEpoch = r.boolean('by_epoch', this.byEpoch);
    this.baseValues = r.numbers('base_values', this.baseValues);
    this.lastStep = r.number('last_step', this.lastStep);
    this.globalStep = r.number('_global_step', this.globalStep);
    this.verbose = r.boolean('verbose', this.verbose);
    this.lastValue = r.numbers('_last_value', this.lastValue);
    this.loadOwnState(r);
    const live = r.numbers('group_values', []);
    if (live.length > 0) {
      if (live.length !== this.groups.length) {
        throw new RangeError(`${this.constructor.name}.loadStateDict: group_values has ${live.length} values, the optimizer has ${this.groups.length} param groups`);
      }
      this.groups.forEach((g, i) => (g[this.paramName] = live[i]));
      this.syncBetas();
    }
  }

  /** MMEngine's build_iter_from_epoch for the common keys: epochs become iterations. Families add theirs. */
  static iterBasedOptions(o: CommonOptions, epochLength: number): CommonOptions {
    return {
      ...o,
      by_epoch: false,
      begin: Math.trunc(o.begin * epochLength),
      end: o.end === INF ? INF : Math.trunc(o.end * epochLength),
    };
  }
}

function resolveParamName(cls: SchedulerClass, o: CommonOptions): string {
  const fixed = cls.scheduledParam;
  if (fixed !== undefined) {
    if (o.param_name !== undefined && o.param_name !== fixed) {
      throw new ConfigError(['param_name'], `${cls.name} always schedules '${fixed}', got '${o.param_name}' (use the *ParamScheduler class to pick the parameter)`);
    }
    return fixed;
  }
  if (o.param_name === undefined) throw new ConfigError(['param_name'], `expected string, got nothing (${cls.name} needs the name of the parameter to schedule, e.g. 'lr')`);
  return o.param_name;
}

/**
 * MMEngine's MomentumSchedulerMixin: SGD-like optimizers have `momentum`; for Adam-like ones the
 * momentum is betas[0], mirrored into a `momentum` key that the schedule then drives.
 */
function prepareMomentum(optimizer: OptimizerLike, name: string): boolean {
  const probe = (optimizer.defaults ?? optimizer.paramGroups[0] ?? {}) as Record<string, unknown>;
  if ('momentum' in probe) return false;
  if (!('betas' in probe)) throw new ConfigError([], `${name}: the optimizer must support momentum (have 'momentum' or 'betas') when using a momentum scheduler`);
  optimizer.paramGroups.forEach((group, i) => {
    const betas = group.betas;
    if (!Array.isArray(betas) || typeof betas[0] !== 'number') throw new TypeError(`${name}: param_groups[${i}].betas should be [beta1, beta2], got ${JSON.stringify(betas)}`);
    group.momentum = betas[0];
  });
  return true;
}
