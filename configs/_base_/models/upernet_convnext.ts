// MMSeg's configs/_base_/models/upernet_convnext.py (the ImageNet checkpoint is not downloaded:
// set model.backbone.init_cfg to {type: 'Pretrained', checkpoint: <converted file>, prefix: 'backbone.'}).
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
      type: 'mmpretrain.ConvNeXt', arch: 'base', out_indices: [0, 1, 2, 3], drop_path_rate: 0.4,
      layer_scale_init_value: 1.0, gap_before_final_norm: false,
    },
    decode_head: {
      type: 'UPerHead', in_channels: [128, 256, 512, 1024], in_index: [0, 1, 2, 3], pool_scales: [1, 2, 3, 6], channels: 512,
      dropout_ratio: 0.1, num_classes: 19, norm_cfg, align_corners: false,
      loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 1.0 },
    },
    auxiliary_head: {
      type: 'FCNHead', in_channels: 384, in_index: 2, channels: 256, num_convs: 1, concat_input: false, dropout_ratio: 0.1,
      num_classes: 19, norm_cfg, align_corners: false, loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 0.4 },
    },
    train_cfg: {},
    test_cfg: { mode: 'whole' },
  },
});
