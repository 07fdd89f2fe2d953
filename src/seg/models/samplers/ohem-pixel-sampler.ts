// OHEMPixelSampler: MMSeg's online hard example mining — weight 1 on the hardest pixels (low confidence or high loss), 0 elsewhere.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as F from '../../../torch/functional/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import type { BasePixelSampler, PixelSamplerContext } from './base-pixel-sampler.js';

export const ohemPixelSamplerSchema = z.object({
  /** Keep pixels whose true-class probability is below this (raised to the min_kept-th smallest); null ranks by loss instead. */
  thresh: z.number().nullable().default(null),
  /** Pixels kept per image at least. */
  min_kept: z.number().int().default(100000),
}).strict();

export type OHEMPixelSamplerOptions = z.input<typeof ohemPixelSamplerSchema>;

export class OHEMPixelSampler implements BasePixelSampler {
  readonly thresh: number | null;
  readonly minKept: number;

  /** Built from a head's `sampler` config with the head as `context` (MMSeg's build_pixel_sampler). */
  constructor(options: OHEMPixelSamplerOptions, readonly context: PixelSamplerContext) {
    const o = parseOptions(ohemPixelSamplerSchema, options);
    if (o.min_kept <= 1) throw new ConfigError(['min_kept'], `must be greater than 1, got ${o.min_kept}`);
    if (!context) throw new TypeError('OHEMPixelSampler: needs the decode head as context (build it from the head\'s sampler config)');
    this.thresh = o.thresh;
    this.minKept = o.min_kept;
  }

  sample(segLogit: Tensor, segLabel: Tensor): Tensor {
    if (segLabel.ndim !== 4 || segLabel.size(1) !== 1) throw new RangeError(`OHEMPixelSampler: seg_label must be [N, 1, H, W], got [${segLabel.shape.join(', ')}]`);
    if (segLogit.size(2) !== segLabel.size(2) || segLogit.size(3) !== segLabel.size(3)) {
      throw new RangeError(`OHEMPixelSampler: logits [${segLogit.shape.join(', ')}] and labels [${segLabel.shape.join(', ')}] differ in size`);
    }
    const ignore = this.context.ignoreIndex;
    return torch.tidy(() => torch.noGrad(() => {
      const label = segLabel.squeeze(1).long();
      const batchKept = this.minKept * label.size(0);
      const valid = label.ne(ignore);
      const segWeight = torch.zeros(label.shape, { dtype: segLogit.dtype, device: segLogit.device });
      let validWeight: Tensor;
      if (this.thresh !== null) {
        const prob = F.softmax(segLogit, 1);
        const safeLabel = label.where(valid, 0).unsqueeze(1);
        const trueProb = prob.gather(1, safeLabel).squeeze(1).index([valid]);
        const { values } = trueProb.sort();
        const minThreshold = values.numel > 0 ? values.select(0, Math.min(batchKept, values.numel - 1)).item() : 0;
        const threshold = Math.max(minThreshold, this.thresh);
        validWeight = trueProb.lt(threshold).to(segLogit.dtype);
      } else {
        let losses: Tensor | null = null;
        for (const loss of this.context.losses) {
          const l = loss.forward(segLogit, label, { weight: null, ignoreIndex: ignore, reductionOverride: 'none' });
          losses = losses ? losses.add(l) : l;
        }
        if (!losses) throw new Error('OHEMPixelSampler: the head has no decode loss to rank pixels by');
        const { indices } = losses.index([valid]).sort(0, true);
        validWeight = torch.zeros([indices.numel], { dtype: segLogit.dtype, device: segLogit.device });
        if (indices.numel > 0) validWeight.indexPut_([indices.narrow(0, 0, Math.min(batchKept, indices.numel))], torch.ones([], { dtype: segLogit.dtype }));
      }
      segWeight.indexPut_([valid], validWeight);
      return segWeight;
    }));
  }
}
MODELS.register(OHEMPixelSampler);
