// Elementwise activations and (log-)softmax (torch.nn.functional names in camelCase).
import { type Tensor, op } from '../tensor.js';
import { dtypeCode, type DType } from '../dtype.js';

export const relu = (x: Tensor): Tensor => op('relu', x);
export const relu6 = (x: Tensor): Tensor => op('relu6', x);
export const leakyRelu = (x: Tensor, negativeSlope = 0.01): Tensor => op('leaky_relu', x, negativeSlope);
export const elu = (x: Tensor, alpha = 1): Tensor => op('elu', x, alpha, 1, 1);
export const hardtanh = (x: Tensor, minVal = -1, maxVal = 1): Tensor => op('hardtanh', x, minVal, maxVal);
export const softplus = (x: Tensor, beta = 1, threshold = 20): Tensor => op('softplus', x, beta, threshold);
/** PReLU with a learnable slope per channel (weight of 1 or C elements). */
export const prelu = (x: Tensor, weight: Tensor): Tensor => op('prelu', x, weight);

/** GELU, exact (erf) or with the tanh approximation. */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new TypeError(`gelu: approximate: expected 'none' | 'tanh', got '${String(approximate)}'`);
  }
  return op('gelu', x, approximate);
}

export const silu = (x: Tensor): Tensor => op('silu', x);
export const mish = (x: Tensor): Tensor => op('mish', x);
export const hardswish = (x: Tensor): Tensor => op('hardswish', x);
export const hardsigmoid = (x: Tensor): Tensor => op('hardsigmoid', x);
export const sigmoid = (x: Tensor): Tensor => op('sigmoid', x);
export const tanh = (x: Tensor): Tensor => op('tanh', x);

/** Softmax over `dim`; `dtype` casts the input first (e.g. 'float32' under autocast). */
export const softmax = (x: Tensor, dim: number, dtype?: DType): Tensor =>
  op('softmax.int', x, dim, dtype === undefined ? null : dtypeCode(dtype));
export const logSoftmax = (x: Tensor, dim: number, dtype?: DType): Tensor =>
  op('log_softmax.int', x, dim, dtype === undefined ? null : dtypeCode(dtype));
