// 2-D convolution and transposed convolution (torch.nn.functional.conv2d / conv_transpose2d).
import { type Tensor, op } from '../tensor.js';
import { expandInts, type IntTuple, shapeStr } from './args.js';

export interface Conv2dOptions {
  stride?: IntTuple;
  /** Zero padding per side, or 'same' / 'valid' as PyTorch (both need no stride for 'same'). */
  padding?: IntTuple | 'same' | 'valid';
  dilation?: IntTuple;
  groups?: number;
}

export interface ConvTranspose2dOptions {
  stride?: IntTuple;
  padding?: IntTuple;
  outputPadding?: IntTuple;
  groups?: number;
  dilation?: IntTuple;
}

/**
 * Checks the channel bookkeeping up front: libtorch's own message for a mismatch
 * ("Given groups=1, weight of size ...") does not say which call or argument was wrong.
 */
function checkShapes(name: string, input: Tensor, weight: Tensor, bias: Tensor | null, groups: number, transposed: boolean): void {
  if (!Number.isInteger(groups) || groups < 1) throw new RangeError(`${name}: groups must be a positive integer, got ${groups}`);
  if (input.ndim !== 3 && input.ndim !== 4) {
    throw new RangeError(`${name}: input must be 4-D (N, C, H, W) or 3-D (C, H, W), got shape ${shapeStr(input)}`);
  }
  if (weight.ndim !== 4) throw new RangeError(`${name}: weight must be 4-D, got shape ${shapeStr(weight)}`);
  const inChannels = input.size(-3);
  let expectedIn: number;
  let outChannels: number;
  if (transposed) {
    // weight: (in_channels, out_channels / groups, kH, kW)
    if (weight.size(0) % groups !== 0) {
      throw new RangeError(`${name}: in_channels (weight.size(0) = ${weight.size(0)}) must be divisible by groups (${groups})`);
    }
    expectedIn = weight.size(0);
    outChannels = weight.size(1) * groups;
  } else {
    // weight: (out_channels, in_channels / groups, kH, kW)
    if (weight.size(0) % groups !== 0) {
      throw new RangeError(`${name}: out_channels (weight.size(0) = ${weight.size(0)}) must be divisible by groups (${groups})`);
    }
    expectedIn = weight.size(1) * groups;
    outChannels = weight.size(0);
  }
  if (inChannels !== expectedIn) {
    throw new RangeError(
      `${name}: input has ${inChannels} channels (shape ${shapeStr(input)}) but weight of shape ${shapeStr(weight)} ` +
        `with groups=${groups} expects ${expectedIn}`,
    );
  }
  if (bias && (bias.ndim !== 1 || bias.size(0) !== outChannels)) {
    throw new RangeError(`${name}: bias must have shape [${outChannels}] (out_channels), got ${shapeStr(bias)}`);
  }
}

/** F.conv2d(input, weight, bias, stride, padding, dilation, groups). */
export function conv2d(input: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  const groups = opts.groups ?? 1;
  checkShapes('conv2d', input, weight, bias, groups, false);
  const stride = expandInts(opts.stride ?? 1, 2, 'conv2d: stride');
  const dilation = expandInts(opts.dilation ?? 1, 2, 'conv2d: dilation');
  const padding = opts.padding ?? 0;
  if (typeof padding === 'string') {
    if (padding !== 'same' && padding !== 'valid') {
      throw new TypeError(`conv2d: padding: expected 'same' | 'valid' or integers, got '${String(padding)}'`);
    }
    return op('conv2d.padding', input, weight, bias, stride, padding, dilation, groups);
  }
  return op('conv2d', input, weight, bias, stride, expandInts(padding, 2, 'conv2d: padding'), dilation, groups);
}

/** F.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation). */
export function convTranspose2d(input: Tensor, weight: Tensor, bias: Tensor | null = null, opts: ConvTranspose2dOptions = {}): Tensor {
  const groups = opts.groups ?? 1;
  checkShapes('convTranspose2d', input, weight, bias, groups, true);
  return op(
    'conv_transpose2d.input', input, weight, bias,
    expandInts(opts.stride ?? 1, 2, 'convTranspose2d: stride'),
    expandInts(opts.padding ?? 0, 2, 'convTranspose2d: padding'),
    expandInts(opts.outputPadding ?? 0, 2, 'convTranspose2d: outputPadding'),
    groups,
    expandInts(opts.dilation ?? 1, 2, 'convTranspose2d: dilation'),
  );
}
