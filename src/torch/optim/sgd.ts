// torch.optim.SGD: stochastic gradient descent with momentum, dampening and Nesterov.
import type { Tensor } from '../tensor.js';
import { Optimizer, REQUIRED, check, resolveOptions, type ParamGroup, type ParamState, type ParamsInput } from './optimizer.js';

export interface SGDOptions {
  /** Required: either here or in every param group. */
  lr: number;
  momentum: number;
  dampening: number;
  weight_decay: number;
  nesterov: boolean;
  maximize: boolean;
  foreach: boolean | null;
  differentiable: boolean;
}

export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsInput, options: Partial<SGDOptions> = {}) {
    const o = resolveOptions('SGD', options, {
      lr: REQUIRED, momentum: 0, dampening: 0, weight_decay: 0,
      nesterov: false, maximize: false, foreach: null, differentiable: false,
    });
    check('SGD', o.lr === undefined || o.lr >= 0, `Invalid learning rate: ${o.lr}`);
    check('SGD', o.momentum >= 0, `Invalid momentum value: ${o.momentum}`);
    check('SGD', o.weight_decay >= 0, `Invalid weight_decay value: ${o.weight_decay}`);
    check('SGD', !o.nesterov || (o.momentum > 0 && o.dampening === 0), 'Nesterov momentum requires a momentum and zero dampening');
    super(params, o);
  }

  protected initState(): ParamState {
    return { momentum_buffer: null };
  }

  protected updateParam(p: Tensor, grad: Tensor, s: ParamState, g: ParamGroup<SGDOptions>): void {
    let d = g.maximize ? grad.neg() : grad;
    if (g.weight_decay !== 0) d = d.add(p, g.weight_decay);
    if (g.momentum !== 0) {
      let buf = s.momentum_buffer as Tensor | null;
      if (buf === null) s.momentum_buffer = buf = d.clone();
      else buf.mul_(g.momentum).add_(d, 1 - g.dampening);
      d = g.nesterov ? d.add(buf, g.momentum) : buf;
    }
    p.add_(d, -g.lr);
  }
}
