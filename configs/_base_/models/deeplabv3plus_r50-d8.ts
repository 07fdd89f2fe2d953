// MMSeg's configs/_base_/models/deeplabv3plus_r50-d8.py (no pretrained download).
import { defineConfig } from 'segkit/config';
import { norm_cfg, data_preprocessor } from './common.ts';

export default defineConfig({
  norm_cfg,
  data_preprocessor,
  model: {
    type: 'EncoderDecoder',
    data_preprocessor,
    pretrained: null,
    backbone: {
      type: 'ResNetV1c', depth: 50, num_stages: 4, out_indices: [0, 1, 2, 3], dilations: [1, 1, 2, 4], strides: [1, 2, 1, 1],
      norm_cfg, norm_eval: false, style: 'pytorch', contract_dilation: true,
    },
    decode_head: {
      type: 'DepthwiseSeparableASPPHead', in_channels: 2048, in_index: 3, channels: 512, dilations: [1, 12, 24, 36],
      c1_in_channels: 256, c1_channels: 48, dropout_ratio: 0.1, num_classes: 19, norm_cfg, align_corners: false,
      loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 1.0 },
    },
    auxiliary_head: {
      type: 'FCNHead', in_channels: 1024, in_index: 2, channels: 256, num_convs: 1, concat_input: false, dropout_ratio: 0.1,
      num_classes: 19, norm_cfg, align_corners: false, loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 0.4 },
    },
    train_cfg: {},
    test_cfg: { mode: 'whole' },
  },
});
