// Conv2d and ConvTranspose2d layers (torch.nn.Conv2d / ConvTranspose2d, PyTorch 1.13 defaults).
import type { Tensor } from '../tensor.js';
import { empty } from '../creation.js';
import type { DType } from '../dtype.js';
import type { Generator } from '../runtime.js';
import * as F from '../functional/index.js';
import { expandInts, type IntTuple } from '../functional/args.js';
import { Module } from './module.js';
import type { Parameter } from './parameter.js';
import { resetWeightAndBias_ } from './init.js';

export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';
const PADDING_MODES: readonly PaddingMode[] = ['zeros', 'reflect', 'replicate', 'circular'];

/** Options shared by every layer that allocates parameters. */
export interface FactoryOptions {
  dtype?: DType;
  device?: string;
  /** Draws the initial weights from this generator instead of the global one. */
  generator?: Generator;
}

export interface Conv2dOptions extends FactoryOptions {
  stride?: IntTuple;
  padding?: IntTuple | 'same' | 'valid';
  dilation?: IntTuple;
  groups?: number;
  bias?: boolean;
  paddingMode?: PaddingMode;
}

export interface ConvTranspose2dOptions extends FactoryOptions {
  stride?: IntTuple;
  padding?: IntTuple;
  outputPadding?: IntTuple;
  groups?: number;
  bias?: boolean;
  dilation?: IntTuple;
  paddingMode?: 'zeros';
}

const tuple = (v: readonly number[]): string => `(${v.join(', ')})`;

function checkChannels(layer: string, inChannels: number, outChannels: number, groups: number): void {
  for (const [name, v] of [['in_channels', inChannels], ['out_channels', outChannels], ['groups', groups]] as const) {
    if (!Number.isInteger(v) || v < (name === 'groups' ? 1 : 0)) throw new RangeError(`${layer}: ${name} must be a ${name === 'groups' ? 'positive' : 'non-negative'} integer, got ${v}`);
  }
  if (inChannels % groups !== 0) throw new RangeError(`${layer}: in_channels must be divisible by groups (got ${inChannels} and ${groups})`);
  if (outChannels % groups !== 0) throw new RangeError(`${layer}: out_channels must be divisible by groups (got ${outChannels} and ${groups})`);
}

/** 2-D convolution over (N, C, H, W): weight [out, in / groups, kH, kW]. */
export class Conv2d extends Module {
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[] | 'same' | 'valid';
  readonly dilation: number[];
  readonly groups: number;
  readonly paddingMode: PaddingMode;
  /** F.pad amounts for non-zero padding modes, last dimension first. */
  readonly #padAmounts: number[];
  weight: Parameter;
  bias: Parameter | null;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: IntTuple, opts: Conv2dOptions = {}) {
    super();
    this.groups = opts.groups ?? 1;
    checkChannels('Conv2d', inChannels, outChannels, this.groups);
    this.kernelSize = expandInts(kernelSize, 2, 'Conv2d: kernel_size');
    this.stride = expandInts(opts.stride ?? 1, 2, 'Conv2d: stride');
    this.dilation = expandInts(opts.dilation ?? 1, 2, 'Conv2d: dilation');
    this.paddingMode = opts.paddingMode ?? 'zeros';
    if (!PADDING_MODES.includes(this.paddingMode)) {
      throw new TypeError(`Conv2d: padding_mode must be one of ${PADDING_MODES.join(' | ')}, got '${String(this.paddingMode)}'`);
    }
    const padding = opts.padding ?? 0;
    if (typeof padding === 'string') {
      if (padding !== 'same' && padding !== 'valid') throw new TypeError(`Conv2d: invalid padding string '${String(padding)}', expected 'same' | 'valid'`);
      if (padding === 'same' && this.stride.some((s) => s !== 1)) throw new RangeError("Conv2d: padding='same' is not supported for strided convolutions");
      this.padding = padding;
    } else {
      this.padding = expandInts(padding, 2, 'Conv2d: padding');
    }
    this.#padAmounts = [];
    for (let d = 1; d >= 0; d--) {
      if (this.padding === 'valid') this.#padAmounts.push(0, 0);
      else if (this.padding === 'same') {
        const total = this.dilation[d]! * (this.kernelSize[d]! - 1);
        const left = Math.floor(total / 2);
        this.#padAmounts.push(left, total - left);
      } else this.#padAmounts.push(this.padding[d]!, this.padding[d]!);
    }
    const factory = { dtype: opts.dtype, device: opts.device };
    this.weight = this.registerParameter('weight', empty([outChannels, inChannels / this.groups, ...this.kernelSize], factory));
    this.bias = this.registerParameter('bias', opts.bias === false ? null : empty([outChannels], factory));
    this.resetParameters(opts.generator);
  }

  resetParameters(generator?: Generator): void {
    resetWeightAndBias_(this.weight, this.bias, generator);
  }

  forward(x: Tensor): Tensor {
    if (this.paddingMode === 'zeros') {
      return F.conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
    }
    const padded = F.pad(x, this.#padAmounts, this.paddingMode);
    try {
      return F.conv2d(padded, this.weight, this.bias, { stride: this.stride, padding: 0, dilation: this.dilation, groups: this.groups });
    } finally {
      padded.dispose();
    }
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${tuple(this.kernelSize)}, stride=${tuple(this.stride)}`;
    if (typeof this.padding === 'string') s += `, padding=${this.padding}`;
    else if (this.padding.some((p) => p !== 0)) s += `, padding=${tuple(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${tuple(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=False';
    if (this.paddingMode !== 'zeros') s += `, padding_mode=${this.paddingMode}`;
    return s;
  }
}

/** Transposed 2-D convolution ("deconvolution"): weight [in, out / groups, kH, kW]. */
export class ConvTranspose2d extends Module {
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly outputPadding: number[];
  readonly dilation: number[];
  readonly groups: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: IntTuple, opts: ConvTranspose2dOptions = {}) {
    super();
    if ((opts.paddingMode ?? 'zeros') !== 'zeros') {
      throw new TypeError(`ConvTranspose2d: only padding_mode 'zeros' is supported, got '${String(opts.paddingMode)}'`);
    }
    this.groups = opts.groups ?? 1;
    checkChannels('ConvTranspose2d', inChannels, outChannels, this.groups);
    this.kernelSize = expandInts(kernelSize, 2, 'ConvTranspose2d: kernel_size');
    this.stride = expandInts(opts.stride ?? 1, 2, 'ConvTranspose2d: stride');
    this.padding = expandInts(opts.padding ?? 0, 2, 'ConvTranspose2d: padding');
    this.outputPadding = expandInts(opts.outputPadding ?? 0, 2, 'ConvTranspose2d: output_padding');
    this.dilation = expandInts(opts.dilation ?? 1, 2, 'ConvTranspose2d: dilation');
    const factory = { dtype: opts.dtype, device: opts.device };
    this.weight = this.registerParameter('weight', empty([inChannels, outChannels / this.groups, ...this.kernelSize], factory));
    this.bias = this.registerParameter('bias', opts.bias === false ? null : empty([outChannels], factory));
    this.resetParameters(opts.generator);
  }

  resetParameters(generator?: Generator): void {
    resetWeightAndBias_(this.weight, this.bias, generator);
  }

  /** The output padding that makes the result `outputSize` ([H, W], or with N and C in front). */
  outputPaddingFor(x: Tensor, outputSize?: number[] | null): number[] {
    if (!outputSize) return this.outputPadding;
    const size = outputSize.length === 4 ? outputSize.slice(2) : outputSize;
    if (size.length !== 2) throw new RangeError(`ConvTranspose2d: output_size must have 2 or 4 elements, got [${outputSize.join(', ')}]`);
    return size.map((want, d) => {
      const min = (x.size(x.ndim - 2 + d) - 1) * this.stride[d]! - 2 * this.padding[d]! + this.dilation[d]! * (this.kernelSize[d]! - 1) + 1;
      const max = min + this.stride[d]! - 1;
      if (want < min || want > max) {
        throw new RangeError(`ConvTranspose2d: requested output size [${size.join(', ')}] is not reachable: dimension ${d} must be in ${min}..${max} for input of shape [${x.shape.join(', ')}]`);
      }
      return want - min;
    });
  }

  forward(x: Tensor, outputSize?: number[] | null): Tensor {
    return F.convTranspose2d(x, this.weight, this.bias, {
      stride: this.stride, padding: this.padding, outputPadding: this.outputPaddingFor(x, outputSize),
      groups: this.groups, dilation: this.dilation,
    });
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${tuple(this.kernelSize)}, stride=${tuple(this.stride)}`;
    if (this.padding.some((p) => p !== 0)) s += `, padding=${tuple(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${tuple(this.dilation)}`;
    if (this.outputPadding.some((p) => p !== 0)) s += `, output_padding=${tuple(this.outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=False';
    return s;
  }
}
