// Pooling layers: MaxPool2d, AvgPool2d and the adaptive forms (torch.nn names and defaults).
import type { Tensor } from '../tensor.js';
import * as F from '../functional/index.js';
import type { IntTuple } from '../functional/args.js';
import { Module } from './module.js';

const show = (v: IntTuple | null): string => (v === null ? 'None' : typeof v === 'number' ? String(v) : `(${v.join(', ')})`);
const pyBool = (b: boolean): string => (b ? 'True' : 'False');

export interface MaxPool2dOptions {
  /** Defaults to kernelSize. */
  stride?: IntTuple | null;
  padding?: IntTuple;
  dilation?: IntTuple;
  ceilMode?: boolean;
}

export class MaxPool2d extends Module {
  readonly stride: IntTuple | null;
  readonly padding: IntTuple;
  readonly dilation: IntTuple;
  readonly ceilMode: boolean;

  constructor(readonly kernelSize: IntTuple, opts: MaxPool2dOptions = {}) {
    super();
    this.stride = opts.stride ?? null;
    this.padding = opts.padding ?? 0;
    this.dilation = opts.dilation ?? 1;
    this.ceilMode = opts.ceilMode ?? false;
  }

  #opts(): MaxPool2dOptions {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode };
  }

  forward(x: Tensor): Tensor {
    return F.maxPool2d(x, this.kernelSize, this.#opts());
  }

  /** The output and the flat (H * W) index of each maximum (PyTorch's return_indices=True). */
  forwardWithIndices(x: Tensor): { output: Tensor; indices: Tensor } {
    return F.maxPool2dWithIndices(x, this.kernelSize, this.#opts());
  }

  override extraRepr(): string {
    return `kernel_size=${show(this.kernelSize)}, stride=${show(this.stride ?? this.kernelSize)}, padding=${show(this.padding)}, dilation=${show(this.dilation)}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

export interface AvgPool2dOptions {
  /** Defaults to kernelSize. */
  stride?: IntTuple | null;
  padding?: IntTuple;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

export class AvgPool2d extends Module {
  readonly stride: IntTuple | null;
  readonly padding: IntTuple;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;

  constructor(readonly kernelSize: IntTuple, opts: AvgPool2dOptions = {}) {
    super();
    this.stride = opts.stride ?? null;
    this.padding = opts.padding ?? 0;
    this.ceilMode = opts.ceilMode ?? false;
    this.countIncludePad = opts.countIncludePad ?? true;
    this.divisorOverride = opts.divisorOverride ?? null;
  }

  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, {
      stride: this.stride, padding: this.padding, ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad, divisorOverride: this.divisorOverride,
    });
  }

  override extraRepr(): string {
    return `kernel_size=${show(this.kernelSize)}, stride=${show(this.stride ?? this.kernelSize)}, padding=${show(this.padding)}`;
  }
}

const showSize = (s: F.AdaptiveSize): string => (typeof s === 'number' ? String(s) : `(${s.map((v) => v ?? 'None').join(', ')})`);

/** Average-pools to a fixed output size; [H, null] keeps the input's width. */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: F.AdaptiveSize) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.outputSize);
  }
  override extraRepr(): string {
    return `output_size=${showSize(this.outputSize)}`;
  }
}

/** Max-pools to a fixed output size; [H, null] keeps the input's width. */
export class AdaptiveMaxPool2d extends Module {
  constructor(readonly outputSize: F.AdaptiveSize) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.adaptiveMaxPool2d(x, this.outputSize);
  }
  override extraRepr(): string {
    return `output_size=${showSize(this.outputSize)}`;
  }
}
