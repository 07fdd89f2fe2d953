// The bundled default (README command one): a small UNet + FCN head trained on procedurally
// generated scenes of textured shapes, so a fresh machine needs no data set. README states the
// measured time and val mIoU.
import { defineConfig } from 'segkit/config';

const num_classes = 6; // background + disc, box, triangle, ring, cross
const img_size = 96;
const max_iters = 400;
const norm_cfg = { type: 'BN', requires_grad: true };
const data_preprocessor = {
  type: 'SegDataPreProcessor', mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375],
  bgr_to_rgb: true, pad_val: 0, seg_pad_val: 255, size: [img_size, img_size],
};
// Scenes are generated on the fly (seeded by seed and index), already decoded: no loading transforms.
const train_pipeline = [
  { type: 'RandomFlip', prob: 0.5 },
  { type: 'PackSegInputs' },
];
const test_pipeline = [{ type: 'PackSegInputs' }];
const shapes = { type: 'SyntheticShapesDataset', img_size, num_classes };
// The val scenes come from another seed than the train scenes, and are written as PNGs (once,
// under the OS temp folder) so that SegVisualizationHook can draw predictions over them.
const val_dataloader = {
  batch_size: 1, num_workers: 0,
  sampler: { type: 'DefaultSampler', shuffle: false },
  dataset: { ...shapes, seed: 1000, num_samples: 50, save_images: true, test_mode: true, pipeline: test_pipeline },
};

export default defineConfig({
  default_scope: 'mmseg',
  randomness: { seed: 0 },
  env_cfg: { cudnn_benchmark: false, mp_cfg: { mp_start_method: 'fork', opencv_num_threads: 0 }, dist_cfg: { backend: 'nccl' } },
  model: {
    type: 'EncoderDecoder',
    data_preprocessor,
    backbone: {
      type: 'UNet', in_channels: 3, base_channels: 16, num_stages: 4, strides: [1, 1, 1, 1],
      enc_num_convs: [2, 2, 2, 2], dec_num_convs: [2, 2, 2], downsamples: [true, true, true],
      enc_dilations: [1, 1, 1, 1], dec_dilations: [1, 1, 1], norm_cfg, act_cfg: { type: 'ReLU' },
      upsample_cfg: { type: 'InterpConv' },
    },
    decode_head: {
      type: 'FCNHead', in_channels: 16, in_index: 3, channels: 16, num_convs: 1, concat_input: false, dropout_ratio: 0,
      num_classes, norm_cfg, align_corners: false,
      // MMSeg's conv_seg init (std 0.01) leaves this model predicting background only for the first
      // few hundred AdamW steps (PyTorch does the same); a wider init learns the shapes at once.
      init_cfg: { type: 'Normal', std: 0.1, override: { name: 'conv_seg' } },
      loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 1.0 },
    },
    train_cfg: {},
    test_cfg: { mode: 'whole' },
  },
  train_dataloader: {
    batch_size: 8, num_workers: 1, persistent_workers: true,
    sampler: { type: 'InfiniteSampler', shuffle: true },
    dataset: { ...shapes, seed: 0, num_samples: 20000, pipeline: train_pipeline },
  },
  val_dataloader,
  test_dataloader: val_dataloader,
  val_evaluator: { type: 'IoUMetric', iou_metrics: ['mIoU'] },
  test_evaluator: { type: 'IoUMetric', iou_metrics: ['mIoU'] },
  optim_wrapper: { type: 'OptimWrapper', optimizer: { type: 'AdamW', lr: 0.01, weight_decay: 0.0001 }, clip_grad: null },
  param_scheduler: [
    { type: 'LinearLR', start_factor: 0.1, begin: 0, end: 50, by_epoch: false },
    { type: 'PolyLR', eta_min: 1e-5, power: 1.0, begin: 50, end: max_iters, by_epoch: false },
  ],
  train_cfg: { type: 'IterBasedTrainLoop', max_iters, val_interval: max_iters / 2 },
  val_cfg: { type: 'ValLoop' },
  test_cfg: { type: 'TestLoop' },
  default_hooks: {
    timer: { type: 'IterTimerHook' },
    logger: { type: 'LoggerHook', interval: 50, log_metric_by_epoch: false },
    param_scheduler: { type: 'ParamSchedulerHook' },
    checkpoint: { type: 'CheckpointHook', by_epoch: false, interval: max_iters / 2, max_keep_ckpts: 2, save_best: 'mIoU', rule: 'greater' },
    sampler_seed: { type: 'DistSamplerSeedHook' },
    visualization: { type: 'SegVisualizationHook', draw: true, interval: 10 },
  },
  visualizer: { type: 'SegLocalVisualizer', vis_backends: [{ type: 'LocalVisBackend' }, { type: 'TensorboardVisBackend' }], name: 'visualizer' },
  log_processor: { by_epoch: false },
  log_level: 'INFO',
  load_from: null,
  resume: false,
});
