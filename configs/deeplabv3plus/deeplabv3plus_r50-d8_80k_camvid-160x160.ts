// DeepLabV3+ on a dilated ResNetV1c-50 for CamVid 240x180.
import { defineConfig } from 'segkit/config';

export default defineConfig({
  _base_: ['../_base_/models/deeplabv3plus_r50-d8.ts', '../_base_/datasets/camvid.ts', '../_base_/default_runtime.ts', '../_base_/schedules/schedule_80k.ts'],
  model: {
    data_preprocessor: { size: [160, 160] },
    decode_head: { num_classes: 11 },
    auxiliary_head: { num_classes: 11 },
  },
});
