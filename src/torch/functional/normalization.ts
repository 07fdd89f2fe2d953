// Normalisation layers as functions: batch, layer, group and instance norm, and F.normalize.
import { type Tensor, op } from '../tensor.js';
import { tidy } from '../memory.js';
import { shapeStr } from './args.js';
import { native } from '../native.js';

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Use batch statistics and update the running ones in place (default false, as PyTorch). */
  training?: boolean;
  momentum?: number;
  eps?: number;
}

export interface AffineNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  eps?: number;
}

export interface InstanceNormOptions extends AffineNormOptions {
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  useInputStats?: boolean;
  momentum?: number;
}

// cuDNN may be used where libtorch has it, as torch.backends.cudnn.enabled defaults to true.
const CUDNN_ENABLED = true;

/** Batch statistics need more than one value per channel. */
function verifyBatchSize(where: string, size: number[]): void {
  let n = size[0] ?? 1;
  for (let i = 2; i < size.length; i++) n *= size[i]!;
  if (n === 1) throw new RangeError(`${where}: expected more than 1 value per channel when training, got input size [${size.join(', ')}]`);
}

/**
 * F.batch_norm. With training=true the batch statistics normalise the input and
 * runningMean/runningVar (when given) are updated in place:
 * running = (1 - momentum) * running + momentum * batch (unbiased variance).
 */
export function batchNorm(input: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, opts: BatchNormOptions = {}): Tensor {
  const training = opts.training ?? false;
  if (input.ndim < 2) throw new RangeError(`batchNorm: input must have at least 2 dimensions (N, C, ...), got shape ${shapeStr(input)}`);
  if (training) verifyBatchSize('batchNorm', input.shape);
  else if (!runningMean || !runningVar) throw new TypeError('batchNorm: runningMean and runningVar are required when training is false');
  return op('batch_norm', input, opts.weight ?? null, opts.bias ?? null, runningMean, runningVar, training,
    opts.momentum ?? 0.1, opts.eps ?? 1e-5, CUDNN_ENABLED);
}

/** F.layer_norm over the trailing `normalizedShape` dimensions. */
/**
 * Under CPU autocast, libtorch 1.13 runs layer_norm/group_norm on a bfloat16 input with float32
 * weights and fails ("expected scalar type BFloat16 but found Float"); PyTorch 2.x's CPU autocast
 * runs them in float32. segkit follows 2.x: the low-precision input is upcast to the weight's dtype.
 */
function autocastNormInput(input: Tensor, weight: Tensor | null | undefined): Tensor {
  if (!weight || weight.dtype === input.dtype || input.device !== 'cpu') return input;
  if ((input.dtype === 'bfloat16' || input.dtype === 'float16') && native.autocastState(false).enabled) return input.to(weight.dtype);
  return input;
}

export function layerNorm(input: Tensor, normalizedShape: number[], opts: AffineNormOptions = {}): Tensor {
  input = autocastNormInput(input, opts.weight);
  return op('layer_norm', input, normalizedShape, opts.weight ?? null, opts.bias ?? null, opts.eps ?? 1e-5, CUDNN_ENABLED);
}

/** F.group_norm: channels split into `numGroups` groups, each normalised over (C / G, *spatial). */
export function groupNorm(input: Tensor, numGroups: number, opts: AffineNormOptions = {}): Tensor {
  if (input.ndim < 2) throw new RangeError(`groupNorm: input must have at least 2 dimensions (N, C, ...), got shape ${shapeStr(input)}`);
  const channels = input.size(1);
  if (!Number.isInteger(numGroups) || numGroups < 1 || channels % numGroups !== 0) {
    throw new RangeError(`groupNorm: the number of channels (${channels}, input shape ${shapeStr(input)}) must be divisible by numGroups (${numGroups})`);
  }
  const s = input.shape;
  verifyBatchSize('groupNorm', [s[0]! * Math.floor(channels / numGroups), numGroups, ...s.slice(2)]);
  input = autocastNormInput(input, opts.weight);
  return op('group_norm', input, numGroups, opts.weight ?? null, opts.bias ?? null, opts.eps ?? 1e-5, CUDNN_ENABLED);
}

/** F.instance_norm: each (sample, channel) plane normalised by its own statistics. */
export function instanceNorm(input: Tensor, opts: InstanceNormOptions = {}): Tensor {
  const useInputStats = opts.useInputStats ?? true;
  if (useInputStats) {
    const spatial = input.shape.slice(2).reduce((a, b) => a * b, 1);
    if (spatial === 1) throw new RangeError(`instanceNorm: expected more than 1 spatial element when training, got input size ${shapeStr(input)}`);
  }
  return op('instance_norm', input, opts.weight ?? null, opts.bias ?? null, opts.runningMean ?? null, opts.runningVar ?? null,
    useInputStats, opts.momentum ?? 0.1, opts.eps ?? 1e-5, CUDNN_ENABLED);
}

/** F.normalize: x / max(||x||_p over dim, eps). */
export function normalize(x: Tensor, opts: { p?: number; dim?: number; eps?: number } = {}): Tensor {
  return tidy(() => x.div(x.norm(opts.p ?? 2, opts.dim ?? 1, true).clamp(opts.eps ?? 1e-12, null)));
}
