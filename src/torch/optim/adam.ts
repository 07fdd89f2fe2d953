// Adam and its relatives, simple to complex: Adam, AdamW (decoupled weight decay),
// Adamax (infinity norm), NAdam (Nesterov momentum), RAdam (rectified variance).
import type { Tensor } from '../tensor.js';
import { op } from '../tensor.js';
import { tensor, zerosLike } from '../creation.js';
import { Optimizer, check, nextStep, resolveOptions, type ParamGroup, type ParamState, type ParamsInput } from './optimizer.js';

interface AdamFamilyOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weight_decay: number;
}

function checkAdamFamily(name: string, o: AdamFamilyOptions): void {
  check(name, o.lr >= 0, `Invalid learning rate: ${o.lr}`);
  check(name, o.eps >= 0, `Invalid epsilon value: ${o.eps}`);
  check(name, Array.isArray(o.betas) && o.betas.length === 2, `betas must be [beta1, beta2], got ${JSON.stringify(o.betas)}`);
  check(name, o.betas[0] >= 0 && o.betas[0] < 1, `Invalid beta parameter at index 0: ${o.betas[0]}`);
  check(name, o.betas[1] >= 0 && o.betas[1] < 1, `Invalid beta parameter at index 1: ${o.betas[1]}`);
  check(name, o.weight_decay >= 0, `Invalid weight_decay value: ${o.weight_decay}`);
}

/** Coupled (L2) weight decay: the decay joins the gradient. */
const l2 = (grad: Tensor, p: Tensor, wd: number): Tensor => (wd !== 0 ? grad.add(p, wd) : grad);

/** The Adam moment update and bias-corrected step shared by Adam and AdamW. */
function adamUpdate(p: Tensor, grad: Tensor, s: ParamState, g: AdamFamilyOptions & { amsgrad: boolean }, t: number): void {
  const [b1, b2] = g.betas;
  const expAvg = s.exp_avg as Tensor;
  const expAvgSq = s.exp_avg_sq as Tensor;
  expAvg.mul_(b1).add_(grad, 1 - b1);
  expAvgSq.mul_(b2).addcmul_(grad, grad, 1 - b2);
  const stepSize = g.lr / (1 - b1 ** t);
  const bc2Sqrt = Math.sqrt(1 - b2 ** t);
  let second = expAvgSq;
  if (g.amsgrad) second = op('maximum.out', s.max_exp_avg_sq, expAvgSq, s.max_exp_avg_sq);
  const denom = second.sqrt().div(bc2Sqrt).add_(g.eps);
  p.addcdiv_(expAvg, denom, -stepSize);
}

function adamState(p: Tensor, amsgrad: boolean): ParamState {
  const s: ParamState = { step: tensor(0), exp_avg: zerosLike(p), exp_avg_sq: zerosLike(p) };
  if (amsgrad) s.max_exp_avg_sq = zerosLike(p);
  return s;
}

export interface AdamOptions extends AdamFamilyOptions {
  amsgrad: boolean;
  maximize: boolean;
  foreach: boolean | null;
  capturable: boolean;
  differentiable: boolean;
  fused: boolean;
}

export class Adam extends Optimizer<AdamOptions> {
  constructor(params: ParamsInput, options: Partial<AdamOptions> = {}) {
    const o = resolveOptions('Adam', options, {
      lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false,
      maximize: false, foreach: null, capturable: false, differentiable: false, fused: false,
    });
    checkAdamFamily('Adam', o);
    super(params, o);
  }
  protected override stateKinds() { return { step: 'tensor' as const }; }
  protected initState(p: Tensor, g: ParamGroup<AdamOptions>): ParamState { return adamState(p, g.amsgrad); }

  protected updateParam(p: Tensor, grad: Tensor, s: ParamState, g: ParamGroup<AdamOptions>): void {
    const t = nextStep(s);
    adamUpdate(p, l2(g.maximize ? grad.neg() : grad, p, g.weight_decay), s, g, t);
  }
}

export interface AdamWOptions extends AdamFamilyOptions {
  amsgrad: boolean;
  foreach: boolean | null;
  maximize: boolean;
  capturable: boolean;
}

export class AdamW extends Optimizer<AdamWOptions> {
  constructor(params: ParamsInput, options: Partial<AdamWOptions> = {}) {
    const o = resolveOptions('AdamW', options, {
      lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 1e-2, amsgrad: false,
      foreach: null, maximize: false, capturable: false,
    });
    checkAdamFamily('AdamW', o);
    super(params, o);
  }
  protected override stateKinds() { return { step: 'tensor' as const }; }
  protected initState(p: Tensor, g: ParamGroup<AdamWOptions>): ParamState { return adamState(p, g.amsgrad); }

  protected updateParam(p: Tensor, grad: Tensor, s: ParamState, g: ParamGroup<AdamWOptions>): void {
    const t = nextStep(s);
    p.mul_(1 - g.lr * g.weight_decay);
    adamUpdate(p, g.maximize ? grad.neg() : grad, s, g, t);
  }
}

export interface AdamaxOptions extends AdamFamilyOptions {
  foreach: boolean | null;
  maximize: boolean;
}

export class Adamax extends Optimizer<AdamaxOptions> {
  constructor(params: ParamsInput, options: Partial<AdamaxOptions> = {}) {
    const o = resolveOptions('Adamax', options, {
      lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, foreach: null, maximize: false,
    });
    checkAdamFamily('Adamax', o);
    super(params, o);
  }
  protected override stateKinds() { return { step: 'tensor' as const }; }
  protected initState(p: Tensor): ParamState {
    return { step: tensor(0), exp_avg: zerosLike(p), exp_inf: zerosLike(p) };
  }

  protected updateParam(p: Tensor, grad: Tensor, s: ParamState, g: ParamGroup<AdamaxOptions>): void {
    const [b1, b2] = g.betas;
    const t = nextStep(s);
    const d = l2(g.maximize ? grad.neg() : grad, p, g.weight_decay);
    const expAvg = (s.exp_avg as Tensor).mul_(b1).add_(d, 1 - b1);
    const expInf = (s.exp_inf as Tensor).mul_(b2);
    op('maximum.out', expInf, d.abs().add_(g.eps), expInf);
    p.addcdiv_(expAvg, expInf, -g.lr / (1 - b1 ** t));
  }
}

export interface NAdamOptions extends AdamFamilyOptions {
  momentum_decay: number;
  foreach: boolean | null;
}

export class NAdam extends Optimizer<NAdamOptions> {
  constructor(params: ParamsInput, options: Partial<NAdamOptions> = {}) {
    const o = resolveOptions('NAdam', options, {
      lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, momentum_decay: 4e-3, foreach: null,
    });
    checkAdamFamily('NAdam', o);
    check('NAdam', o.momentum_decay >= 0, `Invalid momentum_decay value: ${o.momentum_decay}`);
    super(params, o);
  }
  protected override stateKinds() { return { step: 'tensor' as const, mu_product: 'tensor' as const }; }
  protected initState(p: Tensor): ParamState {
    return { step: tensor(0), mu_product: tensor(1), exp_avg: zerosLike(p), exp_avg_sq: zerosLike(p) };
  }

  protected updateParam(p: Tensor, grad: Tensor, s: ParamState, g: ParamGroup<NAdamOptions>): void {
    const [b1, b2] = g.betas;
    const t = nextStep(s);
    const d = l2(grad, p, g.weight_decay);
    // The momentum schedule mu_t; its running product stays a float32 tensor as in PyTorch.
    const mu = b1 * (1 - 0.5 * 0.96 ** (t * g.momentum_decay));
    const muNext = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * g.momentum_decay));
    const muProduct = (s.mu_product as Tensor).mul_(mu);
    const muProductNext = muProduct.mul(mu).mul(muNext).item();
    const expAvg = (s.exp_avg as Tensor).mul_(b1).add_(d, 1 - b1);
    const expAvgSq = (s.exp_avg_sq as Tensor).mul_(b2).addcmul_(d, d, 1 - b2);
    const denom = expAvgSq.div(1 - b2 ** t).sqrt().add_(g.eps);
    p.addcdiv_(d, denom, (-g.lr * (1 - mu)) / (1 - muProduct.item()));
    p.addcdiv_(expAvg, denom, (-g.lr * muNext) / (1 - muProductNext));
  }
}

export interface RAdamOptions extends AdamFamilyOptions {
  foreach: boolean | null;
}

export class RAdam extends Optimizer<RAdamOptions> {
  constructor(params: ParamsInput, options: Partial<RAdamOptions> = {}) {
    const o = resolveOptions('RAdam', options, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, foreach: null });
    checkAdamFamily('RAdam', o);
    super(params, o);
  }
  protected override stateKinds() { return { step: 'tensor' as const }; }
  protected initState(p: Tensor): ParamState {
    return { step: tensor(0), exp_avg: zerosLike(p), exp_avg_sq: zerosLike(p) };
  }

  protected updateParam(p: Tensor, grad: Tensor, s: ParamState, g: ParamGroup<RAdamOptions>): void {
    const [b1, b2] = g.betas;
    const t = nextStep(s);
    const bc2 = 1 - b2 ** t;
    const d = l2(grad, p, g.weight_decay);
    const expAvg = (s.exp_avg as Tensor).mul_(b1).add_(d, 1 - b1);
    const expAvgSq = (s.exp_avg_sq as Tensor).mul_(b2).addcmul_(d, d, 1 - b2);
    const corrected = expAvg.div(1 - b1 ** t);
    // Length of the approximated simple moving average; the variance is tractable once it exceeds 5.
    const rhoInf = 2 / (1 - b2) - 1;
    const rhoT = rhoInf - (2 * t * b2 ** t) / bc2;
    if (rhoT > 5) {
      const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
      const adaptiveLr = expAvgSq.sqrt().add_(g.eps).reciprocal().mul(Math.sqrt(bc2));
      p.add_(corrected.mul(g.lr).mul(adaptiveLr).mul(rect), -1);
    } else {
      p.add_(corrected.mul(g.lr), -1);
    }
  }
}
