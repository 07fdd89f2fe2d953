// MMSeg's configs/_base_/models/fcn_unet_s5-d16.py.
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
      type: 'UNet', in_channels: 3, base_channels: 64, num_stages: 5, strides: [1, 1, 1, 1, 1],
      enc_num_convs: [2, 2, 2, 2, 2], dec_num_convs: [2, 2, 2, 2], downsamples: [true, true, true, true],
      enc_dilations: [1, 1, 1, 1, 1], dec_dilations: [1, 1, 1, 1], with_cp: false, conv_cfg: null, norm_cfg,
      act_cfg: { type: 'ReLU' }, upsample_cfg: { type: 'InterpConv' }, norm_eval: false,
    },
    decode_head: {
      type: 'FCNHead', in_channels: 64, in_index: 4, channels: 64, num_convs: 1, concat_input: false, dropout_ratio: 0.1,
      num_classes: 2, norm_cfg, align_corners: false, loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 1.0 },
    },
    auxiliary_head: {
      type: 'FCNHead', in_channels: 128, in_index: 3, channels: 64, num_convs: 1, concat_input: false, dropout_ratio: 0.1,
      num_classes: 2, norm_cfg, align_corners: false, loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 0.4 },
    },
    train_cfg: {},
    test_cfg: { mode: 'slide', crop_size: 256, stride: 170 },
  },
});
