// Affine map y = x W^T + b (torch.nn.functional.linear).
import { type Tensor, op } from '../tensor.js';
import { shapeStr } from './args.js';

/** F.linear: input (*, in_features), weight (out_features, in_features), bias (out_features). */
export function linear(input: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  if (weight.ndim === 2 && input.ndim >= 1 && input.size(-1) !== weight.size(1)) {
    throw new RangeError(`linear: input's last dimension is ${input.size(-1)} (shape ${shapeStr(input)}) but weight of shape ${shapeStr(weight)} expects ${weight.size(1)}`);
  }
  return op('linear', input, weight, bias);
}
