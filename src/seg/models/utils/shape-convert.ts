// nlcToNchw / nchwToNlc: MMSeg's conversions between token sequences [B, L, C] and feature maps [B, C, H, W].
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';

/** [B, H*W, C] -> [B, C, H, W]. */
export function nlcToNchw(x: Tensor, hwShape: readonly [number, number] | readonly number[]): Tensor {
  const [H, W] = hwShape as [number, number];
  if (x.ndim !== 3) throw new RangeError(`nlcToNchw: expected a [B, L, C] tensor, got shape [${x.shape.join(', ')}]`);
  const [B, L, C] = x.shape as [number, number, number];
  if (L !== H * W) throw new RangeError(`nlcToNchw: sequence length ${L} does not match H x W = ${H} x ${W}`);
  return torch.tidy(() => x.transpose(1, 2).reshape(B, C, H, W));
}

/** [B, C, H, W] -> [B, H*W, C] (contiguous). */
export function nchwToNlc(x: Tensor): Tensor {
  if (x.ndim !== 4) throw new RangeError(`nchwToNlc: expected a [B, C, H, W] tensor, got shape [${x.shape.join(', ')}]`);
  return torch.tidy(() => x.flatten(2).transpose(1, 2).contiguous());
}
