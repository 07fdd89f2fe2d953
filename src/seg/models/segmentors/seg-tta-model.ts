// SegTTAModel: MMSeg's test-time-augmentation segmentor — averages each image's class probabilities
// over its augmentations (each already un-flipped and resized to ori_shape by the segmentor) and
// predicts from the average.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as F from '../../../torch/functional/index.js';
import { MODELS } from '../../../engine/registry/index.js';
import { parseOptions } from '../../../engine/config/errors.js';
import { BaseTTAModel, baseTTAModelSchema, type BaseTTAModelOptions } from '../../../engine/model/base-tta-model.js';
import type { SegDataSample, SegMetaInfo } from '../../structures/seg-data-sample.js';

/** Metainfo keys that describe one augmentation, not the image: the merged sample drops them. */
const AUGMENTATION_KEYS = ['img_shape', 'pad_shape', 'batch_input_shape', 'padding_size', 'img_padding_size', 'scale', 'scale_factor', 'keep_ratio', 'flip', 'flip_direction'];

/** What merging reads from the wrapped segmentor (EncoderDecoder has both). */
interface SegmentorLike {
  outChannels?: number;
  threshold?: number | null;
}

export const segTTAModelSchema = baseTTAModelSchema.extend({
  /**
   * MMSeg 1.2.2 applies sigmoid to one-channel seg_logits that its segmentors have already turned
   * into probabilities, so every averaged value is >= 0.5 and a threshold below that marks every
   * pixel as foreground. segkit averages the probabilities as they are; true restores MMSeg's.
   */
  mmseg_double_sigmoid: z.boolean().default(false),
}).strict();
export type SegTTAModelOptions = BaseTTAModelOptions & z.input<typeof segTTAModelSchema>;

export class SegTTAModel extends BaseTTAModel {
  readonly mmsegDoubleSigmoid: boolean;

  constructor(options: SegTTAModelOptions) {
    super(options, segTTAModelSchema);
    this.mmsegDoubleSigmoid = parseOptions(segTTAModelSchema, options).mmseg_double_sigmoid;
  }

  /**
   * Per image: the mean over augmentations of softmax(seg_logits) over classes (sigmoid when
   * the segmentor has one output channel), then argmax — or `> decode_head.threshold` for one
   * channel. One-channel seg_logits are already probabilities (the segmentor's postprocessing
   * applies sigmoid): they are averaged as they are unless mmseg_double_sigmoid. The merged sample holds
   * pred_sem_seg (int64 [1, H, W]), the first augmentation's gt_sem_seg and the image-level
   * metainfo (img_path, ori_shape, ...); MMSeg's keeps no seg_logits either.
   */
  override mergePreds(dataSamplesList: unknown[][]): SegDataSample[] {
    const segmentor = this.module as unknown as SegmentorLike;
    return (dataSamplesList as SegDataSample[][]).map((samples, i) => {
      const where = `${this.className}.mergePreds: sample ${i}`;
      if (samples.length === 0) throw new Error(`${where}: no augmentations to merge`);
      const logitsOf = (s: SegDataSample, j: number): Tensor => {
        const data = s?.seg_logits?.data;
        if (!(data instanceof torch.Tensor)) throw new Error(`${where}, augmentation ${j}: no seg_logits (the wrapped model's predictions must carry seg_logits [C, H, W], as MMSeg's segmentors do)`);
        return data;
      };
      const first = logitsOf(samples[0]!, 0);
      if (first.ndim !== 3) throw new RangeError(`${where}, augmentation 0: seg_logits must be [C, H, W], got [${first.shape.join(', ')}]`);
      // MMSeg reads module.out_channels; a model without it is taken at its logits' channel count.
      const outChannels = typeof segmentor.outChannels === 'number' ? segmentor.outChannels : first.size(0);
      const pred = torch.tidy(() => {
        let sum = torch.zeros(first.shape, { dtype: first.dtype, device: first.device });
        samples.forEach((s, j) => {
          const logits = logitsOf(s, j);
          if (logits.shape.join() !== first.shape.join()) {
            throw new RangeError(`${where}, augmentation ${j}: seg_logits are [${logits.shape.join(', ')}] but augmentation 0's are [${first.shape.join(', ')}]; the segmentor must resize every prediction to ori_shape`);
          }
          const probs = outChannels > 1 ? F.softmax(logits, 0) : this.mmsegDoubleSigmoid ? logits.sigmoid() : logits;
          sum = sum.add(probs);
        });
        const mean = sum.div(samples.length);
        if (outChannels === 1) {
          const threshold = segmentor.threshold;
          if (typeof threshold !== 'number') throw new Error(`${where}: one output channel needs the segmentor's decode_head threshold, but ${this.module.className} has none`);
          return mean.gt(threshold).long();
        }
        return mean.argmax(0, true);
      });
      const metainfo = Object.fromEntries(Object.entries(samples[0]!.metainfo ?? {}).filter(([k]) => !AUGMENTATION_KEYS.includes(k))) as SegMetaInfo;
      const merged: SegDataSample = { metainfo, pred_sem_seg: { data: pred } };
      if (samples[0]!.gt_sem_seg !== undefined) merged.gt_sem_seg = samples[0]!.gt_sem_seg;
      return merged;
    });
  }
}
MODELS.register(SegTTAModel);
