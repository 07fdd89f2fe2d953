// 2-D max / average pooling and their adaptive forms.
import { type Tensor, op, callOp } from '../tensor.js';
import { expandInts, type IntTuple, shapeStr } from './args.js';

export interface MaxPool2dOptions {
  /** Defaults to kernelSize. */
  stride?: IntTuple | null;
  padding?: IntTuple;
  dilation?: IntTuple;
  ceilMode?: boolean;
}

export interface AvgPool2dOptions {
  /** Defaults to kernelSize. */
  stride?: IntTuple | null;
  padding?: IntTuple;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

/** An adaptive output size: one number for both sides, or [H, W] where null keeps the input's size. */
export type AdaptiveSize = number | readonly (number | null)[];

// An empty stride list tells ATen to use the kernel size, as PyTorch does for stride=None.
const strideArg = (stride: IntTuple | null | undefined, where: string): number[] =>
  stride === undefined || stride === null ? [] : expandInts(stride, 2, where);

function maxPoolArgs(kernelSize: IntTuple, opts: MaxPool2dOptions, where: string): unknown[] {
  return [
    expandInts(kernelSize, 2, `${where}: kernelSize`), strideArg(opts.stride, `${where}: stride`),
    expandInts(opts.padding ?? 0, 2, `${where}: padding`), expandInts(opts.dilation ?? 1, 2, `${where}: dilation`),
    opts.ceilMode ?? false,
  ];
}

/** F.max_pool2d. */
export function maxPool2d(x: Tensor, kernelSize: IntTuple, opts: MaxPool2dOptions = {}): Tensor {
  return op('max_pool2d', x, ...maxPoolArgs(kernelSize, opts, 'maxPool2d'));
}

/** F.max_pool2d(..., return_indices=True): the output and the flat (H * W) index of each maximum. */
export function maxPool2dWithIndices(x: Tensor, kernelSize: IntTuple, opts: MaxPool2dOptions = {}): { output: Tensor; indices: Tensor } {
  const [output, indices] = callOp('max_pool2d_with_indices', x, ...maxPoolArgs(kernelSize, opts, 'maxPool2dWithIndices')) as Tensor[];
  return { output: output!, indices: indices! };
}

/** F.avg_pool2d. */
export function avgPool2d(x: Tensor, kernelSize: IntTuple, opts: AvgPool2dOptions = {}): Tensor {
  return op('avg_pool2d', x, expandInts(kernelSize, 2, 'avgPool2d: kernelSize'), strideArg(opts.stride, 'avgPool2d: stride'),
    expandInts(opts.padding ?? 0, 2, 'avgPool2d: padding'), opts.ceilMode ?? false, opts.countIncludePad ?? true,
    opts.divisorOverride ?? null);
}

function adaptiveSize(x: Tensor, outputSize: AdaptiveSize, where: string): number[] {
  if (x.ndim !== 3 && x.ndim !== 4) throw new RangeError(`${where}: input must be 3-D or 4-D, got shape ${shapeStr(x)}`);
  const list = typeof outputSize === 'number' ? [outputSize, outputSize] : [...outputSize];
  if (list.length !== 2) throw new TypeError(`${where}: outputSize: expected a number or [H, W], got ${JSON.stringify(outputSize)}`);
  return list.map((v, i) => {
    if (v === null) return x.size(x.ndim - 2 + i);
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${where}: outputSize must hold non-negative integers, got ${JSON.stringify(outputSize)}`);
    return v;
  });
}

/** F.adaptive_avg_pool2d. */
export function adaptiveAvgPool2d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  return op('adaptive_avg_pool2d', x, adaptiveSize(x, outputSize, 'adaptiveAvgPool2d'));
}

/** F.adaptive_max_pool2d (values only). */
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  const [output, indices] = callOp('adaptive_max_pool2d', x, adaptiveSize(x, outputSize, 'adaptiveMaxPool2d')) as Tensor[];
  indices!.dispose();
  return output!;
}
