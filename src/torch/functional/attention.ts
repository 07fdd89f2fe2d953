// Scaled dot-product attention on the explicit matmul + softmax path (libtorch 1.13 has no fused kernel).
import { type Tensor } from '../tensor.js';
import { tidy } from '../memory.js';
import { ones } from '../creation.js';
import { checkProbability } from './args.js';
import { softmax } from './activation.js';
import { dropout } from './dropout.js';

export interface ScaledDotProductAttentionOptions {
  /** Bool mask (true = attend) or an additive float bias, broadcastable to (..., L, S). */
  attnMask?: Tensor | null;
  /** Dropout on the attention weights; applied whenever > 0, as torch's version does. */
  dropoutP?: number;
  /** Each query i attends only to keys j <= i; cannot be combined with attnMask. */
  isCausal?: boolean;
  /** Multiplier of q k^T; defaults to 1 / sqrt(E). */
  scale?: number | null;
}

/** softmax(q k^T * scale + mask) v for q (..., L, E), k (..., S, E), v (..., S, Ev). */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: ScaledDotProductAttentionOptions = {}): Tensor {
  const dropoutP = opts.dropoutP ?? 0;
  checkProbability(dropoutP, 'scaledDotProductAttention', 'dropoutP');
  const mask = opts.attnMask ?? null;
  if (opts.isCausal && mask) throw new TypeError('scaledDotProductAttention: give either attnMask or isCausal, not both');
  if (q.size(-1) !== k.size(-1)) {
    throw new RangeError(`scaledDotProductAttention: q and k must share the last (embedding) dimension, got ${q.size(-1)} and ${k.size(-1)}`);
  }
  const scale = opts.scale ?? 1 / Math.sqrt(q.size(-1));
  return tidy(() => {
    let scores = q.matmul(k.transpose(-2, -1)).mul(scale);
    if (opts.isCausal) {
      const keepCausal = ones([q.size(-2), k.size(-2)], { dtype: 'bool', device: q.device }).tril();
      scores = scores.maskedFill(keepCausal.logicalNot(), -Infinity);
    }
    if (mask) scores = mask.dtype === 'bool' ? scores.maskedFill(mask.logicalNot(), -Infinity) : scores.add(mask);
    let weights = softmax(scores, -1);
    if (dropoutP > 0) weights = dropout(weights, dropoutP, true);
    return weights.matmul(v);
  });
}
