// One-hot encoding of integer class labels (torch.nn.functional.one_hot).
import { type Tensor, op } from '../tensor.js';

/** int64 labels of any shape -> int64 (..., numClasses); numClasses -1 means max(labels) + 1. */
export function oneHot(labels: Tensor, numClasses = -1): Tensor {
  if (labels.dtype !== 'int64') throw new TypeError(`oneHot: labels must be int64 class indices, got ${labels.dtype} (use .long())`);
  return op('one_hot', labels, numClasses);
}
