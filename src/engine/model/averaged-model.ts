// MMEngine's averaged models (EMA, momentum-annealing EMA, SWA): a copy of a model's weights kept as a running average.
import { z } from 'zod';
import * as torch from '../../torch/index.js';
import { nn, type Tensor } from '../../torch/index.js';
import { parseOptions } from '../config/errors.js';
import { printLog } from '../logging/logger.js';
import { MODELS } from '../registry/index.js';

/**
 * The copied module tree: same children, parameters and buffers (with their persistence) under
 * the same names as the source, so `stateDict()` keys match it. It holds weights only; running
 * them goes through BaseAveragedModel.forward, which borrows the source model's computation.
 */
export class WeightCopy extends nn.Module {
  constructor(readonly sourceClassName: string) {
    super();
  }

  forward(): never {
    throw new Error(`WeightCopy of ${this.sourceClassName} holds weights only; call the averaged model's forward()`);
  }

  override extraRepr(): string {
    return `copy of ${this.sourceClassName}`;
  }
}

/** Deep copy of `source`'s module tree (shared modules and tensors stay shared, as copy.deepcopy), frozen. */
function copyWeights(source: nn.Module, device: string | null): WeightCopy {
  const tensors = new Map<Tensor, Tensor>();
  const modules = new Map<nn.Module, WeightCopy>();
  const copyTensor = (t: Tensor): Tensor => {
    let c = tensors.get(t);
    if (!c) {
      c = torch.noGrad(() => (device !== null && device !== t.device ? t.to({ device }) : t.clone()));
      tensors.set(t, c);
    }
    return c;
  };
  const copyModule = (m: nn.Module): WeightCopy => {
    const done = modules.get(m);
    if (done) return done;
    const copy = new WeightCopy(m.className);
    modules.set(m, copy);
    const local = m.localState();
    for (const [name, p] of local.parameters) copy.registerParameter(name, p === null ? null : nn.parameter(copyTensor(p), false));
    for (const [name, b, persistent] of local.buffers) copy.registerBuffer(name, b === null ? null : copyTensor(b), persistent);
    for (const [name, child] of local.modules) copy.registerModule(name, child === null ? null : copyModule(child));
    return copy;
  };
  return copyModule(source);
}

/** Swaps values pairwise in place (clone + two copies each), as MMEngine's EMAHook swap. */
export function swapValues(pairs: Iterable<[Tensor, Tensor]>): void {
  torch.tidy(() => torch.noGrad(() => {
    for (const [a, b] of pairs) {
      const tmp = a.clone();
      a.copy_(b);
      b.copy_(tmp);
      tmp.dispose(); // one tensor's worth of extra memory at a time, not a whole model
    }
  }));
}

/** Copies `source` into `target` in place for each pair, without gradients. */
export function copyValues(pairs: Iterable<[target: Tensor, source: Tensor]>): void {
  torch.tidy(() => torch.noGrad(() => {
    for (const [target, source] of pairs) target.copy_(source);
  }));
}

/** Pairs tensors of two same-shaped trees by name; a name missing on one side is an error. */
export function pairByName(averaged: [string, Tensor][], source: [string, Tensor][], what: string): [Tensor, Tensor][] {
  const bySource = new Map(source);
  return averaged.map(([name, t]) => {
    const s = bySource.get(name);
    if (!s) throw new Error(`averaged model: the source model has no ${what} '${name}' (was it changed after the copy?)`);
    return [t, s];
  });
}

export const baseAveragedSchema = z.object({
  interval: z.number().int().positive().default(1),
  device: z.string().nullable().default(null),
  update_buffers: z.boolean().default(false),
}).strict();

/**
 * MMEngine's BaseAveragedModel: `module` is a frozen copy of the model's weights, `steps` counts
 * updates. updateParameters() copies on the first call, then every `interval` steps applies
 * avgFunc in place to floating-point entries; without update_buffers the buffers just follow the
 * source. Built as `new Cls(options, model)` (MODELS.build(cfg, { extraArgs: [model] })).
 */
export abstract class BaseAveragedModel extends nn.Module {
  /** The options this class accepts (EMAHook validates its kwargs with it before building). */
  static schema: z.ZodType = baseAveragedSchema;

  readonly module: WeightCopy;
  readonly steps: Tensor;
  readonly interval: number;
  readonly updateBuffers: boolean;
  readonly device: string | null;
  /** The model this one averages; forward() runs its computation with the averaged weights. */
  readonly sourceModel: nn.Module;

  protected constructor(opts: z.output<typeof baseAveragedSchema>, model: nn.Module) {
    super();
    if (!(model instanceof nn.Module)) throw new TypeError(`${new.target.name}: expected the model to average (an nn.Module) as the second argument, got ${typeof model}`);
    this.sourceModel = model;
    this.interval = opts.interval;
    this.updateBuffers = opts.update_buffers;
    this.device = opts.device;
    this.module = this.registerModule('module', copyWeights(model, opts.device));
    // Kept on the CPU whatever the device: it is read every update, and a GPU scalar would sync.
    this.steps = this.registerBuffer('steps', torch.tensor(0, { dtype: 'int64' }));
  }

  /** In-place average of one entry: `averaged` <- f(averaged, source, steps). */
  protected abstract avgFunc(averaged: Tensor, source: Tensor, steps: number): void;

  /**
   * The entries that are averaged: parameters, or with update_buffers the whole state dict (as
   * MMEngine). A tensor shared by two modules is listed once: MMEngine's state-dict walk would
   * average it twice per update.
   */
  #averagedEntries(m: nn.Module): [string, Tensor][] {
    if (!this.updateBuffers) return m.namedParameters();
    const seen = new Set<Tensor>();
    return [...m.stateDict({ keepVars: true })].filter(([, t]) => !seen.has(t) && Boolean(seen.add(t)));
  }

  /** One averaging step from `model` (MMEngine's update_parameters). */
  updateParameters(model: nn.Module): void {
    const steps = this.steps.item();
    torch.tidy(() => torch.noGrad(() => {
      const pairs = pairByName(this.#averagedEntries(this.module), this.#averagedEntries(model), 'entry');
      if (steps === 0) {
        for (const [avg, src] of pairs) avg.copy_(src);
      } else if (steps % this.interval === 0) {
        for (const [avg, src] of pairs) {
          if (!torch.isFloatingDType(avg.dtype)) continue;
          this.avgFunc(avg, avg.device === src.device ? src : src.to({ device: avg.device }), steps);
        }
      }
      if (!this.updateBuffers) {
        for (const [avg, src] of pairByName(this.module.namedBuffers(), model.namedBuffers(), 'buffer')) avg.copy_(src);
      }
      this.steps.add_(1);
    }), 'averagedModel.update');
  }

  /**
   * Runs the source model's forward with the averaged weights (parameters and buffers) swapped
   * in, without gradients, and swaps back after, so the copy can serve as an EMA teacher.
   */
  forward(...args: unknown[]): unknown {
    const pairs = [
      ...pairByName(this.module.namedParameters(), this.sourceModel.namedParameters(), 'parameter'),
      ...pairByName(this.module.namedBuffers(), this.sourceModel.namedBuffers(), 'buffer'),
    ];
    swapValues(pairs);
    try {
      return torch.noGrad(() => this.sourceModel.forward(...args));
    } finally {
      swapValues(pairs);
    }
  }
}

/** Stochastic weight averaging: the running mean of the weights seen at every `interval` updates. */
export class StochasticWeightAverage extends BaseAveragedModel {
  static override schema: z.ZodType = baseAveragedSchema;

  constructor(options: unknown, model: nn.Module) {
    super(parseOptions(baseAveragedSchema, options ?? {}), model);
  }

  protected avgFunc(averaged: Tensor, source: Tensor, steps: number): void {
    const delta = source.sub(averaged);
    averaged.add_(delta, 1 / (Math.floor(steps / this.interval) + 1));
    delta.dispose();
  }
}

export const emaSchema = baseAveragedSchema.extend({
  momentum: z.number().gt(0).lt(1).default(0.0002),
}).strict();

/**
 * Exponential moving average with MMEngine's momentum convention:
 * `averaged = (1 - momentum) * averaged + momentum * source` (small momentum = slow average).
 */
export class ExponentialMovingAverage extends BaseAveragedModel {
  static override schema: z.ZodType = emaSchema;

  readonly momentum: number;

  constructor(options: unknown, model: nn.Module) {
    const opts = parseOptions(emaSchema, options ?? {});
    super(opts, model);
    this.momentum = opts.momentum;
    if (opts.momentum > 0.5) {
      printLog('The value of momentum in EMA is usually a small number, which is different from the conventional '
        + `notion of momentum but got ${opts.momentum}. Please make sure the value is correct.`, 'current', 'WARNING');
    }
  }

  protected avgFunc(averaged: Tensor, source: Tensor, _steps: number): void {
    averaged.lerp_(source, this.momentum);
  }
}

export const annealingEmaSchema = emaSchema.extend({
  gamma: z.number().gt(0).default(100),
}).strict();

/** EMA whose momentum starts large and anneals: max(momentum, gamma / (gamma + steps)). */
export class MomentumAnnealingEMA extends ExponentialMovingAverage {
  static override schema: z.ZodType = annealingEmaSchema;

  readonly gamma: number;

  constructor(options: unknown, model: nn.Module) {
    const { gamma, ...rest } = parseOptions(annealingEmaSchema, options ?? {});
    super(rest, model);
    this.gamma = gamma;
  }

  /** The momentum used by the update at `steps`. */
  momentumAt(steps: number): number {
    return Math.max(this.momentum, this.gamma / (this.gamma + steps));
  }

  protected override avgFunc(averaged: Tensor, source: Tensor, steps: number): void {
    averaged.lerp_(source, this.momentumAt(steps));
  }
}

MODELS.register(StochasticWeightAverage);
MODELS.register(ExponentialMovingAverage);
MODELS.register(MomentumAnnealingEMA);
