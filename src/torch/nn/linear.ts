// Linear (y = x W^T + b) and Identity layers (torch.nn.Linear / Identity).
import type { Tensor } from '../tensor.js';
import { empty } from '../creation.js';
import type { Generator } from '../runtime.js';
import * as F from '../functional/index.js';
import { Module } from './module.js';
import type { Parameter } from './parameter.js';
import { resetWeightAndBias_ } from './init.js';
import type { FactoryOptions } from './conv.js';

export interface LinearOptions extends FactoryOptions {
  bias?: boolean;
}

/** Affine map over the last dimension: weight [out_features, in_features], bias [out_features]. */
export class Linear extends Module {
  weight: Parameter;
  bias: Parameter | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: LinearOptions = {}) {
    super();
    for (const [name, v] of [['in_features', inFeatures], ['out_features', outFeatures]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`Linear: ${name} must be a non-negative integer, got ${v}`);
    }
    const factory = { dtype: opts.dtype, device: opts.device };
    this.weight = this.registerParameter('weight', empty([outFeatures, inFeatures], factory));
    this.bias = this.registerParameter('bias', opts.bias === false ? null : empty([outFeatures], factory));
    this.resetParameters(opts.generator);
  }

  resetParameters(generator?: Generator): void {
    resetWeightAndBias_(this.weight, this.bias, generator);
  }

  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias === null ? 'False' : 'True'}`;
  }
}

/** Returns its input unchanged (a placeholder that keeps a model's structure). */
export class Identity extends Module {
  forward<T>(x: T): T {
    return x;
  }
}
