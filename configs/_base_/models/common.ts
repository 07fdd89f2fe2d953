// Settings every MMSeg model base repeats: SyncBN and the ImageNet-normalising preprocessor.
export const norm_cfg = { type: 'SyncBN', requires_grad: true };
export const data_preprocessor = {
  type: 'SegDataPreProcessor', mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375],
  bgr_to_rgb: true, pad_val: 0, seg_pad_val: 255,
};
