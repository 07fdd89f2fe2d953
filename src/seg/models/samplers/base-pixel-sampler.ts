// BasePixelSampler: what a decode head needs from a pixel sampler (MMSeg's BasePixelSampler.sample(seg_logit, seg_label)).
import type { Tensor } from '../../../torch/index.js';
import type { DecodeLoss } from '../losses/utils.js';

/** The decode head as the sampler sees it (MMSeg passes the head as `context`). */
export interface PixelSamplerContext {
  readonly ignoreIndex: number;
  /** The head's decode losses (one or several). */
  readonly losses: readonly DecodeLoss[];
}

export interface BasePixelSampler {
  /** A per-pixel weight [N, H, W] for logits [N, C, H, W] and labels [N, 1, H, W]. */
  sample(segLogit: Tensor, segLabel: Tensor): Tensor;
}
