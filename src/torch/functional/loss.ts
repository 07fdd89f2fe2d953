// Loss functions: cross entropy / NLL over class indices of any spatial rank, binary cross entropy, regression losses.
import { type Tensor, op, callOp } from '../tensor.js';
import { tidy } from '../memory.js';
import { isFloatingDType } from '../dtype.js';
import { checkProbability, type Reduction, reductionCode, sameShape, shapeStr } from './args.js';

export interface NllLossOptions {
  /** Per-class rescaling weight of C elements. */
  weight?: Tensor | null;
  /** Target value that contributes neither loss nor gradient (default -100). */
  ignoreIndex?: number;
  reduction?: Reduction;
}

export interface CrossEntropyOptions extends NllLossOptions {
  /** Mixes the target with the uniform distribution: (1 - s) * target + s / C. */
  labelSmoothing?: number;
}

export interface BinaryCrossEntropyOptions {
  /** Rescaling weight broadcast to the input's shape. */
  weight?: Tensor | null;
  reduction?: Reduction;
}

export interface BinaryCrossEntropyWithLogitsOptions extends BinaryCrossEntropyOptions {
  /** Weight of positive examples, broadcast along the class (last) dimension. */
  posWeight?: Tensor | null;
}

/** Class-index targets must be int64; floating targets of the input's shape are class probabilities. */
function checkTarget(where: string, input: Tensor, target: Tensor): void {
  if (isFloatingDType(target.dtype)) {
    if (where === 'crossEntropy' && sameShape(input, target)) return;
    if (where === 'crossEntropy') {
      throw new RangeError(`crossEntropy: probability targets must have the input's shape ${shapeStr(input)}, got ${shapeStr(target)}`);
    }
  }
  if (target.dtype !== 'int64') {
    throw new TypeError(`${where}: target must hold int64 class indices${where === 'crossEntropy' ? ' (or floating class probabilities)' : ''}, got ${target.dtype} (use .long())`);
  }
}

/**
 * F.cross_entropy: input (N, C) or (N, C, d1, ...) logits, target (N) or (N, d1, ...)
 * class indices, or class probabilities of the input's shape.
 */
export function crossEntropy(input: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  checkTarget('crossEntropy', input, target);
  const smoothing = opts.labelSmoothing ?? 0;
  checkProbability(smoothing, 'crossEntropy', 'labelSmoothing');
  return op('cross_entropy_loss', input, target, opts.weight ?? null, reductionCode(opts.reduction, 'crossEntropy'),
    opts.ignoreIndex ?? -100, smoothing);
}

/** F.nll_loss on log-probabilities, with the same target layout as crossEntropy (indices only). */
export function nllLoss(input: Tensor, target: Tensor, opts: NllLossOptions = {}): Tensor {
  checkTarget('nllLoss', input, target);
  return op('nll_loss_nd', input, target, opts.weight ?? null, reductionCode(opts.reduction, 'nllLoss'), opts.ignoreIndex ?? -100);
}

/** F.binary_cross_entropy_with_logits: sigmoid + BCE in one numerically stable step. */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, opts: BinaryCrossEntropyWithLogitsOptions = {}): Tensor {
  if (!sameShape(input, target)) {
    throw new RangeError(`binaryCrossEntropyWithLogits: target shape ${shapeStr(target)} must equal input shape ${shapeStr(input)}`);
  }
  return op('binary_cross_entropy_with_logits', input, target, opts.weight ?? null, opts.posWeight ?? null,
    reductionCode(opts.reduction, 'binaryCrossEntropyWithLogits'));
}

/** F.binary_cross_entropy on probabilities in [0, 1]. */
export function binaryCrossEntropy(input: Tensor, target: Tensor, opts: BinaryCrossEntropyOptions = {}): Tensor {
  if (!sameShape(input, target)) {
    throw new RangeError(`binaryCrossEntropy: target shape ${shapeStr(target)} must equal input shape ${shapeStr(input)}`);
  }
  const reduction = reductionCode(opts.reduction, 'binaryCrossEntropy');
  const weight = opts.weight ?? null;
  if (!weight) return op('binary_cross_entropy', input, target, null, reduction);
  return tidy(() => op('binary_cross_entropy', input, target, weight.expand(...target.shape), reduction));
}

/** Elementwise losses broadcast their operands first, as PyTorch does (with a warning there). */
function broadcastLoss(name: string, input: Tensor, target: Tensor, run: (a: Tensor, b: Tensor) => Tensor): Tensor {
  if (sameShape(input, target)) return run(input, target);
  return tidy(() => {
    const [a, b] = callOp('broadcast_tensors', [input, target]) as Tensor[];
    return run(a!, b!);
  }, name);
}

export const mseLoss = (input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor =>
  broadcastLoss('mseLoss', input, target, (a, b) => op('mse_loss', a, b, reductionCode(opts.reduction, 'mseLoss')));

export const l1Loss = (input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor =>
  broadcastLoss('l1Loss', input, target, (a, b) => op('l1_loss', a, b, reductionCode(opts.reduction, 'l1Loss')));

/** F.smooth_l1_loss: 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta. */
export const smoothL1Loss = (input: Tensor, target: Tensor, opts: { reduction?: Reduction; beta?: number } = {}): Tensor =>
  broadcastLoss('smoothL1Loss', input, target,
    (a, b) => op('smooth_l1_loss', a, b, reductionCode(opts.reduction, 'smoothL1Loss'), opts.beta ?? 1));
