// SegFormer MiT-b0 for CamVid 240x180, with MMSeg's segformer optimizer settings.
import { defineConfig } from 'segkit/config';

export default defineConfig({
  _base_: ['../_base_/models/segformer_mit-b0.ts', '../_base_/datasets/camvid.ts', '../_base_/default_runtime.ts', '../_base_/schedules/schedule_40k.ts'],
  model: {
    data_preprocessor: { size: [160, 160] },
    decode_head: { num_classes: 11 },
  },
  optim_wrapper: {
    _delete_: true,
    type: 'OptimWrapper',
    optimizer: { type: 'AdamW', lr: 0.00006, betas: [0.9, 0.999], weight_decay: 0.01 },
    paramwise_cfg: { custom_keys: { pos_block: { decay_mult: 0.0 }, norm: { decay_mult: 0.0 }, head: { lr_mult: 10.0 } } },
  },
  param_scheduler: [
    { type: 'LinearLR', start_factor: 1e-6, by_epoch: false, begin: 0, end: 1500 },
    { type: 'PolyLR', eta_min: 0.0, power: 1.0, begin: 1500, end: 40000, by_epoch: false },
  ],
});
