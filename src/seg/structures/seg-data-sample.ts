// SegDataSample: MMSeg's per-image record as a plain object (metainfo, gt_sem_seg, pred_sem_seg, seg_logits), with small helpers.
import type { Tensor } from '../../torch/index.js';

/** Plain image/label data as the data pipeline passes it between threads (no tensors). */
export interface NdArray<D extends ArrayBufferView = ArrayBufferView> {
  data: D;
  shape: number[];
}

/** MMEngine's PixelData: one map of [C, H, W] (an NdArray before the preprocessor, a Tensor after). */
export interface PixelData<T = Tensor | NdArray> {
  data: T;
}

/** Image meta information, with MMSeg's keys. */
export interface SegMetaInfo {
  img_path?: string;
  seg_map_path?: string;
  /** [h, w] of the image as loaded. */
  ori_shape: [number, number] | number[];
  /** [h, w] after the pipeline's resizing/cropping. */
  img_shape: [number, number] | number[];
  /** [h, w] after padding (pipeline Pad or the preprocessor). */
  pad_shape?: [number, number] | number[];
  /** [h, w] of the batched input tensor (set by SegDataPreProcessor). */
  batch_input_shape?: [number, number] | number[];
  /** [left, right, top, bottom] added by SegDataPreProcessor in training / test_cfg padding. */
  padding_size?: [number, number, number, number] | number[];
  /** The same, when the preprocessor padded a test batch (MMSeg's img_padding_size). */
  img_padding_size?: [number, number, number, number] | number[];
  /** [w, h]. */
  scale_factor?: [number, number] | number[];
  flip?: boolean;
  flip_direction?: 'horizontal' | 'vertical' | 'diagonal' | null;
  reduce_zero_label?: boolean;
  [key: string]: unknown;
}

/**
 * One image's sample. `gt_sem_seg.data` is an NdArray [1, H, W] (uint8) out of the pipeline
 * and an int64 Tensor [1, H, W] after SegDataPreProcessor; predictions are Tensors.
 */
export interface SegDataSample {
  metainfo: SegMetaInfo;
  gt_sem_seg?: PixelData;
  pred_sem_seg?: PixelData<Tensor>;
  seg_logits?: PixelData<Tensor>;
  [key: string]: unknown;
}

export const isNdArray = (v: unknown): v is NdArray =>
  v !== null && typeof v === 'object' && ArrayBuffer.isView((v as NdArray).data) && Array.isArray((v as NdArray).shape);

/** A new sample from metainfo (and optionally fields), as SegDataSample(metainfo=...). */
export function createSegDataSample(metainfo: SegMetaInfo, fields: Omit<SegDataSample, 'metainfo'> = {}): SegDataSample {
  return { ...fields, metainfo: { ...metainfo } };
}

/** MMEngine's set_metainfo: merges keys into the sample's metainfo (in place). */
export function setMetainfo(sample: SegDataSample, info: Partial<SegMetaInfo>): SegDataSample {
  sample.metainfo = { ...sample.metainfo, ...info };
  return sample;
}

/** The [H, W] of a pixel map ([C, H, W] data). */
export function pixelDataShape(p: PixelData): [number, number] {
  const s = p.data.shape;
  if (s.length < 2) throw new RangeError(`PixelData: expected [C, H, W] data, got shape [${s.join(', ')}]`);
  return [s[s.length - 2]!, s[s.length - 1]!];
}

/** The metainfo of each sample (MMSeg's batch_img_metas). */
export const batchImgMetas = (samples: readonly SegDataSample[]): SegMetaInfo[] => samples.map((s) => s.metainfo);
