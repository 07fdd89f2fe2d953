// ASGD (averaged SGD with a decaying step size) and Rprop (sign-based steps whose
// sizes grow while the gradient keeps its sign and shrink when it flips).
import type { Tensor } from '../tensor.js';
import { tensor, fullLike, zerosLike } from '../creation.js';
import { Optimizer, check, nextStep, resolveOptions, type ParamGroup, type ParamState, type ParamsInput } from './optimizer.js';

export interface ASGDOptions {
  lr: number;
  lambd: number;
  alpha: number;
  t0: number;
  weight_decay: number;
  foreach: boolean | null;
  maximize: boolean;
}

export class ASGD extends Optimizer<ASGDOptions> {
  constructor(params: ParamsInput, options: Partial<ASGDOptions> = {}) {
    const o = resolveOptions('ASGD', options, {
      lr: 1e-2, lambd: 1e-4, alpha: 0.75, t0: 1e6, weight_decay: 0, foreach: null, maximize: false,
    });
    check('ASGD', o.lr >= 0, `Invalid learning rate: ${o.lr}`);
    check('ASGD', o.weight_decay >= 0, `Invalid weight_decay value: ${o.weight_decay}`);
    super(params, o);
  }
  protected override stateKinds() { return { step: 'tensor' as const, eta: 'tensor' as const, mu: 'tensor' as const }; }
  protected initState(p: Tensor, g: ParamGroup<ASGDOptions>): ParamState {
    return { step: tensor(0), eta: tensor(g.lr), mu: tensor(1), ax: zerosLike(p) };
  }

  protected updateParam(p: Tensor, grad: Tensor, s: ParamState, g: ParamGroup<ASGDOptions>): void {
    const t = nextStep(s);
    let d = g.maximize ? grad.neg() : grad;
    if (g.weight_decay !== 0) d = d.add(p, g.weight_decay);
    const [eta, mu, ax] = [s.eta as Tensor, s.mu as Tensor, s.ax as Tensor];
    const etaValue = eta.item();
    p.mul_(1 - g.lambd * etaValue);
    p.add_(d, -etaValue);
    // ax is the running average of the iterates, which starts once t exceeds t0.
    if (mu.item() !== 1) ax.add_(p.sub(ax).mul(mu));
    else ax.copy_(p);
    eta.fill_(g.lr / (1 + g.lambd * g.lr * t) ** g.alpha);
    mu.fill_(1 / Math.max(1, t - g.t0));
  }
}

export interface RpropOptions {
  lr: number;
  etas: [number, number];
  step_sizes: [number, number];
  foreach: boolean | null;
  maximize: boolean;
}

export class Rprop extends Optimizer<RpropOptions> {
  constructor(params: ParamsInput, options: Partial<RpropOptions> = {}) {
    const o = resolveOptions('Rprop', options, { lr: 1e-2, etas: [0.5, 1.2], step_sizes: [1e-6, 50], foreach: null, maximize: false });
    check('Rprop', o.lr >= 0, `Invalid learning rate: ${o.lr}`);
    check('Rprop', 0 < o.etas[0] && o.etas[0] < 1 && 1 < o.etas[1], `Invalid eta values: ${o.etas[0]}, ${o.etas[1]}`);
    super(params, o);
  }
  protected override stateKinds() { return { step: 'number' as const }; }
  protected initState(p: Tensor, g: ParamGroup<RpropOptions>): ParamState {
    return { step: 0, prev: zerosLike(p), step_size: fullLike(p, g.lr) };
  }

  protected updateParam(p: Tensor, grad: Tensor, s: ParamState, g: ParamGroup<RpropOptions>): void {
    const [etaMinus, etaPlus] = g.etas;
    const [minStep, maxStep] = g.step_sizes;
    s.step = (s.step as number) + 1;
    const d = g.maximize ? grad.neg() : grad;
    const prev = s.prev as Tensor;
    // Per element: grow the step where the gradient kept its sign, shrink it where it flipped.
    const factor = d.mul(prev).sign();
    factor.maskedFill_(factor.gt(0), etaPlus);
    factor.maskedFill_(factor.lt(0), etaMinus);
    factor.maskedFill_(factor.eq(0), 1);
    const stepSize = (s.step_size as Tensor).mul_(factor).clamp_(minStep, maxStep);
    // After a sign flip, skip this element's update and forget its gradient.
    const kept = d.clone().maskedFill_(factor.eq(etaMinus), 0);
    p.addcmul_(kept.sign(), stepSize, -1);
    prev.copy_(kept);
  }
}
