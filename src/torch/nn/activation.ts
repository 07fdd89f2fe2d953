// Activation layers (ReLU ... Softmax, PReLU) and Flatten/Unflatten. Layers whose PyTorch arguments
// are all optional take either the first one positionally or an options object with PyTorch's
// names in camelCase, so `new LeakyReLU(0.2)` and a config's `{ negativeSlope: 0.2, inplace: true }` both work.
import { type Tensor, opInplace } from '../tensor.js';
import { split } from './args.js';
import { full } from '../creation.js';
import * as F from '../functional/index.js';
import { Module } from './module.js';
import type { Parameter } from './parameter.js';
import { constant_ } from './init.js';
import type { FactoryOptions } from './conv.js';

export interface InplaceOptions {
  /** Overwrite the input instead of allocating the output, as PyTorch's inplace=True. */
  inplace?: boolean;
}

/** Base of the elementwise activations that offer an in-place form. */
abstract class InplaceActivation extends Module {
  readonly inplace: boolean;
  constructor(opts: InplaceOptions = {}) {
    super();
    this.inplace = opts.inplace ?? false;
  }
  override extraRepr(): string {
    return this.inplace ? 'inplace=True' : '';
  }
}

export class ReLU extends InplaceActivation {
  forward(x: Tensor): Tensor {
    return this.inplace ? opInplace(x, 'relu_') : F.relu(x);
  }
}

/** min(max(x, 0), 6). */
export class ReLU6 extends InplaceActivation {
  forward(x: Tensor): Tensor {
    return this.inplace ? opInplace(x, 'hardtanh_', 0, 6) : F.relu6(x);
  }
}

export class SiLU extends InplaceActivation {
  forward(x: Tensor): Tensor {
    return this.inplace ? opInplace(x, 'silu_') : F.silu(x);
  }
}

export class Mish extends InplaceActivation {
  forward(x: Tensor): Tensor {
    return this.inplace ? opInplace(x, 'mish_') : F.mish(x);
  }
}

export class Hardswish extends InplaceActivation {
  forward(x: Tensor): Tensor {
    return this.inplace ? opInplace(x, 'hardswish_') : F.hardswish(x);
  }
}

export class Hardsigmoid extends InplaceActivation {
  forward(x: Tensor): Tensor {
    return this.inplace ? opInplace(x, 'hardsigmoid_') : F.hardsigmoid(x);
  }
}

export class LeakyReLU extends InplaceActivation {
  readonly negativeSlope: number;
  constructor(arg?: number | (InplaceOptions & { negativeSlope?: number })) {
    const [slope, opts] = split<'negativeSlope', number, InplaceOptions>(arg, 'negativeSlope');
    super(opts);
    this.negativeSlope = slope ?? 0.01;
  }
  forward(x: Tensor): Tensor {
    return this.inplace ? opInplace(x, 'leaky_relu_', this.negativeSlope) : F.leakyRelu(x, this.negativeSlope);
  }
  override extraRepr(): string {
    return `negative_slope=${this.negativeSlope}${this.inplace ? ', inplace=True' : ''}`;
  }
}

export class ELU extends InplaceActivation {
  readonly alpha: number;
  constructor(arg?: number | (InplaceOptions & { alpha?: number })) {
    const [alpha, opts] = split<'alpha', number, InplaceOptions>(arg, 'alpha');
    super(opts);
    this.alpha = alpha ?? 1;
  }
  forward(x: Tensor): Tensor {
    return this.inplace ? opInplace(x, 'elu_', this.alpha, 1, 1) : F.elu(x, this.alpha);
  }
  override extraRepr(): string {
    return `alpha=${this.alpha}${this.inplace ? ', inplace=True' : ''}`;
  }
}

export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';
  constructor(arg?: 'none' | 'tanh' | { approximate?: 'none' | 'tanh' }) {
    super();
    const [approximate] = split<'approximate', 'none' | 'tanh', object>(arg, 'approximate');
    this.approximate = approximate ?? 'none';
    if (this.approximate !== 'none' && this.approximate !== 'tanh') throw new TypeError(`GELU: approximate must be 'none' | 'tanh', got '${String(this.approximate)}'`);
  }
  forward(x: Tensor): Tensor {
    return F.gelu(x, this.approximate);
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return F.sigmoid(x);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return F.tanh(x);
  }
}

/** PyTorch's legacy choice when Softmax gets no dim: 0 for 0-, 1- and 3-D input, else 1. */
const implicitDim = (x: Tensor): number => (x.ndim === 0 || x.ndim === 1 || x.ndim === 3 ? 0 : 1);

export class Softmax extends Module {
  readonly dim: number | null;
  constructor(arg?: number | null | { dim?: number | null }) {
    super();
    const [dim] = split<'dim', number | null, object>(arg, 'dim');
    this.dim = dim ?? null;
  }
  forward(x: Tensor): Tensor {
    return F.softmax(x, this.dim ?? implicitDim(x));
  }
  override extraRepr(): string {
    return `dim=${this.dim ?? 'None'}`;
  }
}

export class LogSoftmax extends Softmax {
  override forward(x: Tensor): Tensor {
    return F.logSoftmax(x, this.dim ?? implicitDim(x));
  }
}

/** Leaky ReLU with a learnt slope: one shared (numParameters=1) or one per channel. */
export class PReLU extends Module {
  readonly numParameters: number;
  readonly init: number;
  weight: Parameter;
  constructor(opts: Omit<FactoryOptions, 'generator'> & { numParameters?: number; init?: number } = {}) {
    super();
    this.numParameters = opts.numParameters ?? 1;
    this.init = opts.init ?? 0.25;
    this.weight = this.registerParameter('weight', full([this.numParameters], this.init, { dtype: opts.dtype, device: opts.device }));
  }
  resetParameters(): void {
    constant_(this.weight, this.init);
  }
  forward(x: Tensor): Tensor {
    return F.prelu(x, this.weight);
  }
  override extraRepr(): string {
    return `num_parameters=${this.numParameters}`;
  }
}

/** Flattens dimensions startDim..endDim into one (default: all but the batch dimension). */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;
  constructor(opts: { startDim?: number; endDim?: number } = {}) {
    super();
    this.startDim = opts.startDim ?? 1;
    this.endDim = opts.endDim ?? -1;
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/** Splits dimension `dim` into `sizes`. */
export class Unflatten extends Module {
  constructor(readonly dim: number, readonly sizes: number[]) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.unflatten(this.dim, this.sizes);
  }
  override extraRepr(): string {
    return `dim=${this.dim}, unflattened_size=(${this.sizes.join(', ')})`;
  }
}
