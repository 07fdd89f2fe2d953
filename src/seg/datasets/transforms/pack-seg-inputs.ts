// PackSegInputs: MMSeg's last training/test transform, turning the results dict into {inputs: CHW array, data_samples: SegDataSample}.
import { z } from 'zod';
import { parseOptions } from '../../../engine/config/errors.js';
import { BaseTransform, type NdArray, type Results } from '../../../engine/dataset/index.js';
import { TRANSFORMS } from '../../../engine/registry/index.js';
import type { SegDataSample, SegMetaInfo } from '../../structures/index.js';
import { hwcToChw } from './ndarray-ops.js';
import { imageOf } from './results.js';

export const DEFAULT_META_KEYS = ['img_path', 'seg_map_path', 'ori_shape', 'img_shape', 'pad_shape', 'scale_factor', 'flip', 'flip_direction', 'reduce_zero_label'] as const;

export const packSegInputsSchema = z.object({
  meta_keys: z.array(z.string()).default(() => [...DEFAULT_META_KEYS]),
}).strict();
export type PackSegInputsOptions = z.input<typeof packSegInputsSchema>;

/** What PackSegInputs gives one sample: plain data that crosses thread boundaries. */
export type PackedSegInputs = {
  /** The image as [C, H, W] (same element type as the pipeline's image: uint8 unless Normalize/to_float32). */
  inputs?: NdArray;
  data_samples: SegDataSample;
};

/**
 * inputs: the image transposed to CHW (a 2-D image gets one channel); data_samples.gt_sem_seg:
 * gt_seg_map as a uint8 NdArray [1, H, W] (SegDataPreProcessor makes it an int64 tensor);
 * metainfo: the meta_keys present in the results.
 */
export class PackSegInputs extends BaseTransform {
  readonly metaKeys: string[];

  constructor(options: unknown = {}) {
    super();
    this.metaKeys = parseOptions(packSegInputsSchema, options).meta_keys;
  }

  transform(results: Results): PackedSegInputs {
    const packed: Partial<PackedSegInputs> = {};
    if (results.img !== undefined) packed.inputs = hwcToChw(imageOf(results));
    const sample: SegDataSample = { metainfo: {} as SegMetaInfo };
    if (results.gt_seg_map !== undefined) {
      const seg = imageOf(results, 'gt_seg_map');
      if (seg.shape.length !== 2) throw new RangeError(`results.gt_seg_map should be [H, W], got shape [${seg.shape.join(', ')}]`);
      sample.gt_sem_seg = { data: { data: seg.data, shape: [1, ...seg.shape] } };
    }
    const meta: Record<string, unknown> = {};
    for (const key of this.metaKeys) if (key in results) meta[key] = structuredClone(results[key]);
    sample.metainfo = meta as SegMetaInfo;
    packed.data_samples = sample;
    return packed as PackedSegInputs;
  }
}
TRANSFORMS.register(PackSegInputs);
