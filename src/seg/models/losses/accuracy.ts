// accuracy: MMSeg's top-k pixel accuracy in percent, skipping ignore_index pixels (the decode heads' acc_seg).
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import { FLOAT32_EPS } from './utils.js';

export interface AccuracyOptions {
  /** Predictions at or below this score do not count as correct. */
  thresh?: number | null;
  ignoreIndex?: number | null;
}

/**
 * Top-k accuracy of `pred` [N, C, ...] for `target` [N, ...], in percent, as a 1-element tensor
 * (one per k when `topk` is a list). Ignored pixels count in neither numerator nor total.
 */
export function accuracy(pred: Tensor, target: Tensor, topk?: number, opts?: AccuracyOptions): Tensor;
export function accuracy(pred: Tensor, target: Tensor, topk: number[], opts?: AccuracyOptions): Tensor[];
export function accuracy(pred: Tensor, target: Tensor, topk: number | number[] = 1, opts: AccuracyOptions = {}): Tensor | Tensor[] {
  const ks = typeof topk === 'number' ? [topk] : topk;
  const maxk = Math.max(...ks);
  if (pred.size(0) === 0) {
    const zeros = ks.map(() => torch.zeros([], { dtype: pred.dtype, device: pred.device }));
    return typeof topk === 'number' ? zeros[0]! : zeros;
  }
  if (pred.ndim !== target.ndim + 1) throw new RangeError(`accuracy: pred [${pred.shape.join(', ')}] must have one dimension more than target [${target.shape.join(', ')}]`);
  if (pred.size(0) !== target.size(0)) throw new RangeError(`accuracy: batch sizes differ (pred ${pred.size(0)}, target ${target.size(0)})`);
  if (maxk > pred.size(1)) throw new RangeError(`accuracy: maxk ${maxk} exceeds pred dimension ${pred.size(1)}`);
  const res = torch.tidy(() => torch.noGrad(() => {
    const { values, indices } = pred.topk(maxk, 1);
    const predLabel = indices.transpose(0, 1);
    let correct = predLabel.eq(target.unsqueeze(0).expandAs(predLabel));
    if (opts.thresh !== undefined && opts.thresh !== null) correct = correct.logicalAnd(values.gt(opts.thresh).transpose(0, 1));
    const ignore = opts.ignoreIndex ?? null;
    let total = target.numel;
    if (ignore !== null) {
      // Masking instead of MMSeg's boolean indexing counts the same pixels without gathering them.
      const valid = target.ne(ignore);
      correct = correct.logicalAnd(valid.unsqueeze(0));
      total = valid.sum().item();
    }
    return ks.map((k) => correct.slice(0, 0, k).reshape(-1).float().sum(0, { keepdim: true }).add(FLOAT32_EPS).mul(100 / (total + FLOAT32_EPS)));
  }));
  return typeof topk === 'number' ? res[0]! : res;
}
