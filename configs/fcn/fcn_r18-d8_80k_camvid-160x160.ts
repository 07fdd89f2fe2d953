// FCN on a dilated ResNetV1c-18 (MMSeg's fcn_r18-d8 settings) for CamVid 240x180.
import { defineConfig } from 'segkit/config';

export default defineConfig({
  _base_: ['../_base_/models/fcn_r50-d8.ts', '../_base_/datasets/camvid.ts', '../_base_/default_runtime.ts', '../_base_/schedules/schedule_80k.ts'],
  crop_size: [160, 160],
  model: {
    data_preprocessor: { size: [160, 160] },
    backbone: { depth: 18 },
    decode_head: { in_channels: 512, channels: 128, num_classes: 11 },
    auxiliary_head: { in_channels: 256, channels: 64, num_classes: 11 },
  },
});
