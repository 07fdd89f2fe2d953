// LayerNorm and GroupNorm layers (torch.nn.LayerNorm / GroupNorm, PyTorch 1.13 defaults).
import type { Tensor } from '../tensor.js';
import { ones, zeros } from '../creation.js';
import * as F from '../functional/index.js';
import { Module } from './module.js';
import type { Parameter } from './parameter.js';
import { ones_, zeros_ } from './init.js';
import { pyFloat } from './args.js';
import type { FactoryOptions } from './conv.js';

type Factory = Omit<FactoryOptions, 'generator'>;
const py = (b: boolean): string => (b ? 'True' : 'False');

/** Normalises over the trailing `normalizedShape` dimensions, with per-element weight and bias. */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(normalizedShape: number | number[], opts: Factory & { eps?: number; elementwiseAffine?: boolean } = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (this.normalizedShape.some((v) => !Number.isInteger(v) || v < 0)) {
      throw new RangeError(`LayerNorm: normalized_shape must hold non-negative integers, got ${JSON.stringify(normalizedShape)}`);
    }
    this.eps = opts.eps ?? 1e-5;
    this.elementwiseAffine = opts.elementwiseAffine ?? true;
    const factory = { dtype: opts.dtype, device: opts.device };
    this.weight = this.registerParameter('weight', this.elementwiseAffine ? ones(this.normalizedShape, factory) : null);
    this.bias = this.registerParameter('bias', this.elementwiseAffine ? zeros(this.normalizedShape, factory) : null);
  }

  resetParameters(): void {
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }

  forward(x: Tensor): Tensor {
    const n = this.normalizedShape.length;
    const tail = x.shape.slice(x.ndim - n);
    if (x.ndim < n || tail.some((v, i) => v !== this.normalizedShape[i])) {
      throw new RangeError(`LayerNorm: input of shape [${x.shape.join(', ')}] does not end with normalized_shape [${this.normalizedShape.join(', ')}]`);
    }
    return F.layerNorm(x, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  override extraRepr(): string {
    return `(${this.normalizedShape.join(', ')}${this.normalizedShape.length === 1 ? ',' : ''}), eps=${pyFloat(this.eps)}, elementwise_affine=${py(this.elementwiseAffine)}`;
  }
}

/** Splits channels into groups and normalises each group per sample; weight and bias per channel. */
export class GroupNorm extends Module {
  readonly eps: number;
  readonly affine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(readonly numGroups: number, readonly numChannels: number, opts: Factory & { eps?: number; affine?: boolean } = {}) {
    super();
    if (!Number.isInteger(numGroups) || numGroups < 1) throw new RangeError(`GroupNorm: num_groups must be a positive integer, got ${numGroups}`);
    if (numChannels % numGroups !== 0) {
      throw new RangeError(`GroupNorm: num_channels must be divisible by num_groups (got ${numChannels} and ${numGroups})`);
    }
    this.eps = opts.eps ?? 1e-5;
    this.affine = opts.affine ?? true;
    const factory = { dtype: opts.dtype, device: opts.device };
    this.weight = this.registerParameter('weight', this.affine ? ones([numChannels], factory) : null);
    this.bias = this.registerParameter('bias', this.affine ? zeros([numChannels], factory) : null);
  }

  resetParameters(): void {
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }

  forward(x: Tensor): Tensor {
    return F.groupNorm(x, this.numGroups, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${py(this.affine)}`;
  }
}
