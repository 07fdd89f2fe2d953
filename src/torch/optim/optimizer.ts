// Optimizer base (torch.optim.Optimizer, PyTorch 1.13): param groups, per-parameter
// state, the shared step loop, zeroGrad and state dicts in Python's layout.
import { Tensor } from '../tensor.js';
import { tensor } from '../creation.js';
import { isFloatingDType } from '../dtype.js';
import { keep, tidy, unkeep } from '../memory.js';
import { enableGrad, noGrad } from '../autograd.js';

/** One parameter group: its tensors plus hyperparameters and any extra keys (lr_mult, initial_lr, ...). */
export type ParamGroup<H extends object = Record<string, unknown>> = H & { params: Tensor[]; [key: string]: unknown };
/** A group as given to the constructor or addParamGroup: missing hyperparameters take the defaults. */
export type ParamGroupInput = { params: Tensor | Tensor[]; [key: string]: unknown };
export type ParamsInput = Tensor[] | ParamGroupInput[];
/** Per-parameter state with PyTorch's key names (step, exp_avg, momentum_buffer, ...). */
export type ParamState = Record<string, Tensor | number | null>;

/** optimizer.state_dict() in Python's layout: parameters are numbered across groups in order. */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  param_groups: (Record<string, unknown> & { params: number[] })[];
}

export type OptimizerConstructor = new (params: ParamsInput, options?: Record<string, unknown>) => Optimizer;

/** A default every param group must then set itself (PyTorch's `required`, e.g. SGD's lr). */
export const REQUIRED = undefined as unknown as number;

/**
 * Merges user options over an optimizer's defaults, in the defaults' key order (so param
 * groups list keys as PyTorch does), rejecting keys the optimizer does not have.
 */
export function resolveOptions<H extends object>(name: string, options: Partial<H>, defaults: H): H {
  const known = Object.keys(defaults);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new TypeError(`${name}: unknown option '${key}' (expected one of ${known.join(', ')})`);
  }
  const out: Record<string, unknown> = {};
  for (const key of known) {
    const v = (options as Record<string, unknown>)[key];
    out[key] = v === undefined ? (defaults as Record<string, unknown>)[key] : v;
  }
  if (out.differentiable === true) throw new RangeError(`${name}: differentiable=true is not supported (steps run under noGrad)`);
  return out as H;
}

/** Throws PyTorch's message, prefixed with the optimizer's name, when `ok` is false. */
export function check(name: string, ok: boolean, message: string): void {
  if (!ok) throw new RangeError(`${name}: ${message}`);
}

/** Adds one to the 0-d float32 step tensor (PyTorch 1.13 keeps `step` as one) and returns the new count. */
export function nextStep(state: ParamState): number {
  const step = state.step as Tensor;
  step.add_(1);
  return step.item();
}

const copyValue = (v: unknown): unknown => (Array.isArray(v) ? v.map(copyValue) : v);

function keepTensors(state: ParamState): ParamState {
  for (const v of Object.values(state)) if (v instanceof Tensor) keep(v);
  return state;
}

function disposeState(state: ParamState): void {
  for (const v of Object.values(state)) {
    if (v instanceof Tensor) {
      unkeep(v);
      v.dispose();
    }
  }
}

export abstract class Optimizer<H extends object = Record<string, unknown>> {
  /** Hyperparameters used where a group does not set its own (undefined means required). */
  readonly defaults: Readonly<H>;
  /** Mutable: schedulers change group.lr (and others) between steps. */
  paramGroups: ParamGroup<H>[] = [];
  state = new Map<Tensor, ParamState>();

  constructor(params: ParamsInput, defaults: H) {
    this.defaults = defaults;
    if (params instanceof Tensor || !Array.isArray(params)) {
      throw new TypeError(`${this.name}: params should be an array of Tensors or param groups, got ${params instanceof Tensor ? 'a Tensor' : typeof params}`);
    }
    if (params.length === 0) throw new RangeError(`${this.name}: optimizer got an empty parameter list`);
    const groups = params[0] instanceof Tensor ? [{ params: params as Tensor[] }] : (params as ParamGroupInput[]);
    for (const g of groups) this.addParamGroup(g);
  }

  get name(): string {
    return this.constructor.name;
  }

  /** New state for a parameter seen for the first time (tensors are kept by the caller). */
  protected abstract initState(param: Tensor, group: ParamGroup<H>): ParamState;
  /** The update rule for one parameter, in place, under noGrad. */
  protected abstract updateParam(param: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<H>): void;
  /** State keys PyTorch keeps as 0-d float32 tensors ('tensor') or Python numbers ('number'); used when loading. */
  protected stateKinds(): Record<string, 'tensor' | 'number'> {
    return {};
  }

  addParamGroup(input: ParamGroupInput): void {
    const list = input.params instanceof Tensor ? [input.params] : input.params;
    if (!Array.isArray(list)) throw new TypeError(`${this.name}: param group 'params' must be a Tensor or an array of Tensors`);
    list.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new TypeError(`${this.name}: optimizer can only optimize Tensors, but params[${i}] is ${typeof p}`);
      if (!p.isLeaf) throw new RangeError(`${this.name}: can't optimize a non-leaf Tensor (params[${i}])`);
    });
    const group: Record<string, unknown> = { ...input, params: [...list] };
    for (const [key, value] of Object.entries(this.defaults)) {
      if (group[key] !== undefined) continue;
      if (value === undefined) {
        throw new RangeError(`${this.name}: parameter group didn't specify a value of required optimization parameter ${key}`);
      }
      group[key] = copyValue(value);
    }
    if (new Set(list).size !== list.length) {
      process.emitWarning(`${this.name}: optimizer contains a parameter group with duplicate parameters`);
    }
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    if (list.some((p) => seen.has(p))) throw new RangeError(`${this.name}: some parameters appear in more than one parameter group`);
    this.paramGroups.push(group as ParamGroup<H>);
  }

  /** Sets grads to null (default, as PyTorch 2) or to zero in place. */
  zeroGrad(setToNone = true): void {
    tidy(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          const g = p.grad;
          if (g === null) continue;
          if (setToNone) {
            p.grad = null;
          } else {
            if (g.gradFn !== null) g.detach_();
            else g.requiresGrad_(false);
            g.zero_();
          }
        }
      }
    });
  }

  /** One optimization step over every parameter that has a grad; `closure` re-evaluates the loss with grad enabled. */
  step<L>(closure?: () => L): L | undefined {
    const loss = closure ? enableGrad(closure) : undefined;
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          tidy(() => {
            const grad = p.grad;
            if (grad === null) return;
            let state = this.state.get(p);
            if (state === undefined) {
              state = this.initState(p, group);
              this.state.set(p, state);
            }
            this.updateParam(p, grad, state, group);
            keepTensors(state);
          });
        }
      }
    });
    return loss;
  }

  /** PyTorch's layout. State tensors are the live ones (as in PyTorch): clone them to snapshot. */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    let start = 0;
    const param_groups = this.paramGroups.map((group) => {
      const packed: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(group)) if (k !== 'params') packed[k] = copyValue(v);
      group.params.forEach((p, i) => {
        if (!index.has(p)) index.set(p, start + i);
      });
      start += group.params.length;
      return { ...packed, params: group.params.map((p) => index.get(p)!) };
    });
    const state: Record<number, ParamState> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i !== undefined) state[i] = { ...s };
    }
    return { state, param_groups };
  }

  /** Restores hyperparameters and copies of the state tensors (cast to each parameter's dtype and device). */
  loadStateDict(sd: OptimizerStateDict): void {
    const where = `${this.name}.loadStateDict`;
    if (!sd || !Array.isArray(sd.param_groups) || typeof sd.state !== 'object' || sd.state === null) {
      throw new TypeError(`${where}: expected { state, param_groups }`);
    }
    const saved = sd.param_groups;
    if (saved.length !== this.paramGroups.length) {
      throw new RangeError(`${where}: loaded state dict has ${saved.length} parameter groups, optimizer has ${this.paramGroups.length}`);
    }
    this.paramGroups.forEach((g, i) => {
      const n = saved[i]!.params?.length;
      if (n !== g.params.length) {
        throw new RangeError(`${where}: param group ${i} has ${n} parameters in the state dict but ${g.params.length} in the optimizer`);
      }
    });
    const byIndex = new Map<number, Tensor>();
    saved.forEach((s, gi) => s.params.forEach((id, pi) => byIndex.set(Number(id), this.paramGroups[gi]!.params[pi]!)));
    const kinds = this.stateKinds();
    const state = new Map<Tensor, ParamState>();
    try {
      noGrad(() => {
        for (const [key, entry] of Object.entries(sd.state)) {
          const p = byIndex.get(Number(key));
          if (p === undefined) throw new RangeError(`${where}: state has an entry for parameter ${key}, which no param group lists`);
          state.set(p, keepTensors(this.castState(p, entry, kinds)));
        }
      });
    } catch (err) {
      for (const s of state.values()) disposeState(s);
      throw err;
    }
    for (const s of this.state.values()) disposeState(s);
    this.state = state;
    this.paramGroups.forEach((group, i) => {
      for (const k of Object.keys(group)) if (k !== 'params') delete group[k];
      for (const [k, v] of Object.entries(saved[i]!)) if (k !== 'params') (group as Record<string, unknown>)[k] = copyValue(v);
    });
  }

  private castState(p: Tensor, entry: ParamState, kinds: Record<string, 'tensor' | 'number'>): ParamState {
    const out: ParamState = {};
    for (const [k, v] of Object.entries(entry)) {
      if (v instanceof Tensor) {
        if (kinds[k] === 'number') out[k] = v.item();
        // As PyTorch, `step` stays where it was saved (on the CPU) and only floating state follows the parameter's dtype.
        else if (k === 'step') out[k] = v.clone();
        else if (!isFloatingDType(p.dtype)) out[k] = v.to({ device: p.device, copy: true });
        else out[k] = v.to({ dtype: p.dtype, device: p.device, copy: true });
      } else if (typeof v === 'number' && kinds[k] === 'tensor') {
        out[k] = tensor(v);
      } else {
        out[k] = v;
      }
    }
    return out;
  }

  /** Frees the state tensors; the optimizer is unusable afterwards. */
  dispose(): void {
    for (const s of this.state.values()) disposeState(s);
    this.state.clear();
  }
}
