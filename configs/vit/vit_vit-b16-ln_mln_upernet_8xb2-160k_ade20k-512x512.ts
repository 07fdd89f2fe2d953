// The seed's custom_keys config: MMSeg's vit_vit-b16-ln_mln_upernet_8xb2-160k_ade20k-512x512.py.
import { defineConfig } from 'segkit/config';

const crop_size = [512, 512];

export default defineConfig({
  _base_: ['../_base_/models/upernet_vit-b16_ln_mln.ts', '../_base_/datasets/ade20k.ts', '../_base_/default_runtime.ts', '../_base_/schedules/schedule_160k.ts'],
  crop_size,
  model: {
    data_preprocessor: { size: crop_size },
    backbone: { drop_path_rate: 0.1, final_norm: true },
    decode_head: { num_classes: 150 },
    auxiliary_head: { num_classes: 150 },
  },
  optim_wrapper: {
    _delete_: true,
    type: 'OptimWrapper',
    optimizer: { type: 'AdamW', lr: 0.00006, betas: [0.9, 0.999], weight_decay: 0.01 },
    paramwise_cfg: { custom_keys: { pos_embed: { decay_mult: 0.0 }, cls_token: { decay_mult: 0.0 }, norm: { decay_mult: 0.0 } } },
  },
  param_scheduler: [
    { type: 'LinearLR', start_factor: 1e-6, by_epoch: false, begin: 0, end: 1500 },
    { type: 'PolyLR', eta_min: 0.0, power: 1.0, begin: 1500, end: 160000, by_epoch: false },
  ],
  train_dataloader: { batch_size: 2 },
  val_dataloader: { batch_size: 1 },
  test_dataloader: { batch_size: 1 },
});
