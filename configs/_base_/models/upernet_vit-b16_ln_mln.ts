// MMSeg's configs/_base_/models/upernet_vit-b16_ln_mln.py (no pretrained download).
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
      type: 'VisionTransformer', img_size: [512, 512], patch_size: 16, in_channels: 3, embed_dims: 768, num_layers: 12,
      num_heads: 12, mlp_ratio: 4, out_indices: [2, 5, 8, 11], qkv_bias: true, drop_rate: 0.0, attn_drop_rate: 0.0,
      drop_path_rate: 0.0, with_cls_token: true, norm_cfg: { type: 'LN', eps: 1e-6 }, act_cfg: { type: 'GELU' },
      norm_eval: false, interpolate_mode: 'bicubic',
    },
    neck: { type: 'MultiLevelNeck', in_channels: [768, 768, 768, 768], out_channels: 768, scales: [4, 2, 1, 0.5] },
    decode_head: {
      type: 'UPerHead', in_channels: [768, 768, 768, 768], in_index: [0, 1, 2, 3], pool_scales: [1, 2, 3, 6], channels: 512,
      dropout_ratio: 0.1, num_classes: 19, norm_cfg, align_corners: false,
      loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 1.0 },
    },
    auxiliary_head: {
      type: 'FCNHead', in_channels: 768, in_index: 3, channels: 256, num_convs: 1, concat_input: false, dropout_ratio: 0.1,
      num_classes: 19, norm_cfg, align_corners: false, loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 0.4 },
    },
    train_cfg: {},
    test_cfg: { mode: 'whole' },
  },
});
