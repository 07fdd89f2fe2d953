// The seed's layer-decay config: MMSeg's convnext-base_upernet_8xb2-amp-160k_ade20k-512x512.py.
import { defineConfig } from 'segkit/config';

const crop_size = [512, 512];

export default defineConfig({
  _base_: ['../_base_/models/upernet_convnext.ts', '../_base_/datasets/ade20k.ts', '../_base_/default_runtime.ts', '../_base_/schedules/schedule_160k.ts'],
  crop_size,
  model: {
    data_preprocessor: { size: crop_size },
    decode_head: { in_channels: [128, 256, 512, 1024], num_classes: 150 },
    auxiliary_head: { in_channels: 512, num_classes: 150 },
    test_cfg: { mode: 'slide', crop_size, stride: [341, 341] },
  },
  optim_wrapper: {
    _delete_: true,
    type: 'AmpOptimWrapper',
    optimizer: { type: 'AdamW', lr: 0.0001, betas: [0.9, 0.999], weight_decay: 0.05 },
    paramwise_cfg: { decay_rate: 0.9, decay_type: 'stage_wise', num_layers: 12 },
    constructor: 'LearningRateDecayOptimizerConstructor',
    loss_scale: 'dynamic',
  },
  param_scheduler: [
    { type: 'LinearLR', start_factor: 1e-6, by_epoch: false, begin: 0, end: 1500 },
    { type: 'PolyLR', power: 1.0, begin: 1500, end: 160000, eta_min: 0.0, by_epoch: false },
  ],
  train_dataloader: { batch_size: 2 },
  val_dataloader: { batch_size: 1 },
  test_dataloader: { batch_size: 1 },
});
