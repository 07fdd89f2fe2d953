// MMSeg's configs/_base_/models/fcn_r50-d8.py (no pretrained download: segkit runs offline;
// point backbone.init_cfg at a converted checkpoint to start from ImageNet weights).
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
      type: 'FCNHead', in_channels: 2048, in_index: 3, channels: 512, num_convs: 2, concat_input: true, dropout_ratio: 0.1,
      num_classes: 19, norm_cfg, align_corners: false, loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 1.0 },
    },
    auxiliary_head: {
      type: 'FCNHead', in_channels: 1024, in_index: 2, channels: 256, num_convs: 1, concat_input: false, dropout_ratio: 0.1,
      num_classes: 19, norm_cfg, align_corners: false, loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 0.4 },
    },
    train_cfg: {},
    test_cfg: { mode: 'whole' },
  },
});
