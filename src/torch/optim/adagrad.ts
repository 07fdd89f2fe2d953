// Optimizers that scale steps by a running average of squared gradients:
// Adagrad (sum of squares), Adadelta (plus a running average of updates), RMSprop.
import { op, type Tensor } from '../tensor.js';
import { tensor, fullLike, zerosLike } from '../creation.js';
import { keep } from '../memory.js';
import { noGrad } from '../autograd.js';
import { Optimizer, check, nextStep, resolveOptions, type ParamGroup, type ParamState, type ParamsInput } from './optimizer.js';

/** Coupled (L2) weight decay after the optional sign flip for maximize. */
function decayed(grad: Tensor, p: Tensor, g: { maximize: boolean; weight_decay: number }): Tensor {
  const d = g.maximize ? grad.neg() : grad;
  return g.weight_decay !== 0 ? d.add(p, g.weight_decay) : d;
}

export interface AdagradOptions {
  lr: number;
  lr_decay: number;
  eps: number;
  weight_decay: number;
  initial_accumulator_value: number;
  foreach: boolean | null;
  maximize: boolean;
}

export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: ParamsInput, options: Partial<AdagradOptions> = {}) {
    const o = resolveOptions('Adagrad', options, {
      lr: 1e-2, lr_decay: 0, eps: 1e-10, weight_decay: 0, initial_accumulator_value: 0, foreach: null, maximize: false,
    });
    check('Adagrad', o.lr >= 0, `Invalid learning rate: ${o.lr}`);
    check('Adagrad', o.lr_decay >= 0, `Invalid lr_decay value: ${o.lr_decay}`);
    check('Adagrad', o.weight_decay >= 0, `Invalid weight_decay value: ${o.weight_decay}`);
    check('Adagrad', o.initial_accumulator_value >= 0, `Invalid initial_accumulator_value value: ${o.initial_accumulator_value}`);
    check('Adagrad', o.eps >= 0, `Invalid epsilon value: ${o.eps}`);
    super(params, o);
    // PyTorch fills Adagrad's state for every parameter up front, so the state dict has it before any step.
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          const s = this.initState(p, group);
          for (const v of Object.values(s)) keep(v as Tensor);
          this.state.set(p, s);
        }
      }
    });
  }
  protected override stateKinds() { return { step: 'tensor' as const }; }
  protected initState(p: Tensor, g: ParamGroup<AdagradOptions>): ParamState {
    return { step: tensor(0), sum: fullLike(p, g.initial_accumulator_value) };
  }

  protected updateParam(p: Tensor, grad: Tensor, s: ParamState, g: ParamGroup<AdagradOptions>): void {
    const t = nextStep(s);
    const d = decayed(grad, p, g);
    const clr = g.lr / (1 + (t - 1) * g.lr_decay);
    const sum = (s.sum as Tensor).addcmul_(d, d, 1);
    p.addcdiv_(d, sum.sqrt().add_(g.eps), -clr);
  }
}

export interface AdadeltaOptions {
  lr: number;
  rho: number;
  eps: number;
  weight_decay: number;
  maximize: boolean;
  foreach: boolean | null;
}

export class Adadelta extends Optimizer<AdadeltaOptions> {
  constructor(params: ParamsInput, options: Partial<AdadeltaOptions> = {}) {
    const o = resolveOptions('Adadelta', options, { lr: 1.0, rho: 0.9, eps: 1e-6, weight_decay: 0, maximize: false, foreach: null });
    check('Adadelta', o.lr >= 0, `Invalid learning rate: ${o.lr}`);
    check('Adadelta', o.rho >= 0 && o.rho <= 1, `Invalid rho value: ${o.rho}`);
    check('Adadelta', o.eps >= 0, `Invalid epsilon value: ${o.eps}`);
    check('Adadelta', o.weight_decay >= 0, `Invalid weight_decay value: ${o.weight_decay}`);
    super(params, o);
  }
  protected override stateKinds() { return { step: 'number' as const }; }
  protected initState(p: Tensor): ParamState {
    return { step: 0, square_avg: zerosLike(p), acc_delta: zerosLike(p) };
  }

  protected updateParam(p: Tensor, grad: Tensor, s: ParamState, g: ParamGroup<AdadeltaOptions>): void {
    s.step = (s.step as number) + 1;
    const d = decayed(grad, p, g);
    const squareAvg = (s.square_avg as Tensor).mul_(g.rho).addcmul_(d, d, 1 - g.rho);
    const accDelta = s.acc_delta as Tensor;
    const std = squareAvg.add(g.eps).sqrt_();
    const delta = accDelta.add(g.eps).sqrt_().div_(std).mul_(d);
    accDelta.mul_(g.rho).addcmul_(delta, delta, 1 - g.rho);
    p.add_(delta, -g.lr);
  }
}

export interface RMSpropOptions {
  lr: number;
  momentum: number;
  alpha: number;
  eps: number;
  centered: boolean;
  weight_decay: number;
  foreach: boolean | null;
  maximize: boolean;
  differentiable: boolean;
}

export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: ParamsInput, options: Partial<RMSpropOptions> = {}) {
    const o = resolveOptions('RMSprop', options, {
      lr: 1e-2, momentum: 0, alpha: 0.99, eps: 1e-8, centered: false, weight_decay: 0,
      foreach: null, maximize: false, differentiable: false,
    });
    check('RMSprop', o.lr >= 0, `Invalid learning rate: ${o.lr}`);
    check('RMSprop', o.eps >= 0, `Invalid epsilon value: ${o.eps}`);
    check('RMSprop', o.momentum >= 0, `Invalid momentum value: ${o.momentum}`);
    check('RMSprop', o.weight_decay >= 0, `Invalid weight_decay value: ${o.weight_decay}`);
    check('RMSprop', o.alpha >= 0, `Invalid alpha value: ${o.alpha}`);
    super(params, o);
  }
  protected override stateKinds() { return { step: 'number' as const }; }
  protected initState(p: Tensor, g: ParamGroup<RMSpropOptions>): ParamState {
    const s: ParamState = { step: 0, square_avg: zerosLike(p) };
    if (g.momentum > 0) s.momentum_buffer = zerosLike(p);
    if (g.centered) s.grad_avg = zerosLike(p);
    return s;
  }

  protected updateParam(p: Tensor, grad: Tensor, s: ParamState, g: ParamGroup<RMSpropOptions>): void {
    s.step = (s.step as number) + 1;
    const d = decayed(grad, p, g);
    const squareAvg = (s.square_avg as Tensor).mul_(g.alpha).addcmul_(d, d, 1 - g.alpha);
    let avg: Tensor;
    if (g.centered) {
      // Centered: divide by the variance estimate E[g^2] - E[g]^2 instead of E[g^2].
      const gradAvg = (s.grad_avg as Tensor).mul_(g.alpha).add_(d, 1 - g.alpha);
      avg = op('addcmul', squareAvg, gradAvg, gradAvg, -1).sqrt_();
    } else {
      avg = squareAvg.sqrt();
    }
    avg.add_(g.eps);
    if (g.momentum > 0) {
      const buf = (s.momentum_buffer as Tensor).mul_(g.momentum).addcdiv_(d, avg);
      p.add_(buf, -g.lr);
    } else {
      p.addcdiv_(d, avg, -g.lr);
    }
  }
}
