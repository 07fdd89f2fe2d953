// Sliding-window extraction and its inverse (torch.nn.functional.unfold / fold, i.e. im2col / col2im).
import { type Tensor, op } from '../tensor.js';
import { expandInts, type IntTuple } from './args.js';

export interface FoldOptions {
  dilation?: IntTuple;
  padding?: IntTuple;
  stride?: IntTuple;
}

/** F.unfold: (N, C, H, W) -> (N, C * kH * kW, L) blocks. */
export function unfold(x: Tensor, kernelSize: IntTuple, opts: FoldOptions = {}): Tensor {
  return op('im2col', x, expandInts(kernelSize, 2, 'unfold: kernelSize'), expandInts(opts.dilation ?? 1, 2, 'unfold: dilation'),
    expandInts(opts.padding ?? 0, 2, 'unfold: padding'), expandInts(opts.stride ?? 1, 2, 'unfold: stride'));
}

/** F.fold: (N, C * kH * kW, L) blocks summed back into (N, C, outputSize). */
export function fold(x: Tensor, outputSize: IntTuple, kernelSize: IntTuple, opts: FoldOptions = {}): Tensor {
  return op('col2im', x, expandInts(outputSize, 2, 'fold: outputSize'), expandInts(kernelSize, 2, 'fold: kernelSize'),
    expandInts(opts.dilation ?? 1, 2, 'fold: dilation'), expandInts(opts.padding ?? 0, 2, 'fold: padding'),
    expandInts(opts.stride ?? 1, 2, 'fold: stride'));
}
