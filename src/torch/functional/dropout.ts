// Dropout variants: elementwise, channel-wise (dropout2d) and per-sample stochastic depth (dropPath).
import { type Tensor, op } from '../tensor.js';
import { tidy } from '../memory.js';
import { rand } from '../creation.js';
import { checkProbability } from './args.js';

/** F.dropout: zeroes elements with probability p and scales the rest by 1 / (1 - p). */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  checkProbability(p, 'dropout');
  return op('dropout', x, p, training);
}

/** F.dropout2d: zeroes whole channels of (N, C, H, W) (or (N, C, L) for 3-D input, as PyTorch 1.13). */
export function dropout2d(x: Tensor, p = 0.5, training = true): Tensor {
  checkProbability(p, 'dropout2d');
  return op('feature_dropout', x, p, training);
}

/**
 * Stochastic depth (timm / mmcv drop_path): each sample of the batch is dropped
 * whole with probability dropProb and the survivors are scaled by 1 / keepProb,
 * so the expectation is unchanged. Returns `x` itself when not training or dropProb is 0.
 */
export function dropPath(x: Tensor, dropProb = 0, training = false): Tensor {
  checkProbability(dropProb, 'dropPath', 'dropProb');
  if (dropProb === 0 || !training) return x;
  const keepProb = 1 - dropProb;
  return tidy(() => {
    const shape = [x.size(0), ...new Array<number>(x.ndim - 1).fill(1)];
    // floor(keepProb + U[0, 1)) is 1 with probability keepProb: a Bernoulli mask of shape [N, 1, 1, ...].
    const mask = rand(shape, { dtype: x.dtype, device: x.device }).add(keepProb).floor();
    // dropProb 1 drops everything; dividing by keepProb = 0 would give NaN (0 * inf).
    return keepProb > 0 ? x.div(keepProb).mul(mask) : x.mul(mask);
  });
}
