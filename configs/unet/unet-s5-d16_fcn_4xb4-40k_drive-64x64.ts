// MMSeg's unet-s5-d16_fcn_4xb4-40k_drive-64x64.py: the full 40k-iteration DRIVE recipe.
import { defineConfig } from 'segkit/config';

const crop_size = [64, 64];

export default defineConfig({
  _base_: ['../_base_/models/fcn_unet_s5-d16.ts', '../_base_/datasets/drive.ts', '../_base_/default_runtime.ts', '../_base_/schedules/schedule_40k.ts'],
  crop_size,
  model: {
    data_preprocessor: { size: crop_size },
    test_cfg: { crop_size: [64, 64], stride: [42, 42] },
  },
});
