// OCRHead: MMSeg's OCRNet head — object regions from the previous head's logits, object-contextual attention, then conv_seg.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import * as F from '../../../torch/functional/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { ConvModule, type LayerCfg } from '../utils/conv-module.js';
import { SelfAttentionBlock } from '../utils/self-attention-block.js';
import { baseDecodeHeadSchema } from './decode-head.js';
import { BaseCascadeDecodeHead } from './cascade-decode-head.js';

/** Soft object-region features: softmax(scale * probs) over the pixels, times the pixel features. */
export class SpatialGatherModule extends nn.Module {
  constructor(readonly scale: number) {
    super();
  }

  /** feats [N, C, H, W], probs [N, K, H, W] -> object context [N, C, K, 1]. */
  forward(feats: Tensor, probs: Tensor): Tensor {
    return torch.tidy(() => {
      const weights = F.softmax(probs.flatten(2).mul(this.scale), 2);
      return weights.matmul(feats.flatten(2).permute(0, 2, 1)).permute(0, 2, 1).unsqueeze(3);
    });
  }
}

interface LayerCfgs {
  conv_cfg: LayerCfg | null;
  norm_cfg: LayerCfg | null;
  act_cfg: LayerCfg | null;
}

/**
 * MMSeg's SelfAttentionBlock as OCR configures it (pixels query the object contexts; two
 * ConvModules for key/query, one for value/out, scaled affinities), then bottleneck over
 * [context, pixel features].
 */
export class ObjectAttentionBlock extends SelfAttentionBlock {
  readonly bottleneck: ConvModule;

  constructor(inChannels: number, channels: number, cfgs: LayerCfgs) {
    super({
      key_in_channels: inChannels, query_in_channels: inChannels, channels, out_channels: inChannels,
      share_key_query: false, query_downsample: null, key_downsample: null,
      key_query_num_convs: 2, key_query_norm: true, value_out_num_convs: 1, value_out_norm: true,
      matmul_norm: true, with_out: true, ...cfgs,
    });
    this.bottleneck = this.registerModule('bottleneck', new ConvModule({ in_channels: inChannels * 2, out_channels: inChannels, kernel_size: 1, ...cfgs }));
  }

  override forward(queryFeats: Tensor, keyFeats: Tensor): Tensor {
    return torch.tidy(() => this.bottleneck.forward(torch.cat([super.forward(queryFeats, keyFeats), queryFeats], 1)));
  }
}

export const ocrHeadSchema = baseDecodeHeadSchema.extend({
  /** Channels of the object attention's key/query/value. */
  ocr_channels: z.number().int().positive(),
  /** Multiplies the previous logits before the spatial softmax. */
  scale: z.number().positive().default(1),
}).strict();

export type OCRHeadOptions = z.input<typeof ocrHeadSchema>;

/**
 * OCRNet (Yuan et al.): bottleneck (3x3) features, object regions gathered with the previous
 * head's logits, object-contextual attention, conv_seg.
 */
export class OCRHead extends BaseCascadeDecodeHead {
  readonly ocrChannels: number;
  readonly scale: number;
  readonly object_context_block: ObjectAttentionBlock;
  readonly spatial_gather_module: SpatialGatherModule;
  readonly bottleneck: ConvModule;

  constructor(options: OCRHeadOptions) {
    const o = parseOptions(ocrHeadSchema, options);
    const { ocr_channels, scale, ...base } = o;
    // MMSeg max-pools the queries when scale > 1, and its forward then fails (the context no longer matches the pixels).
    if (scale > 1) throw new ConfigError(['scale'], `values above 1 are not supported (MMSeg's ObjectAttentionBlock fails with them), got ${scale}`);
    super(base);
    if (typeof this.inChannels !== 'number') throw new ConfigError(['input_transform'], "OCRHead needs one input: use input_transform null or 'resize_concat'");
    this.ocrChannels = ocr_channels;
    this.scale = scale;
    const cfgs = { conv_cfg: this.convCfg, norm_cfg: this.normCfg, act_cfg: this.actCfg };
    this.object_context_block = this.registerModule('object_context_block', new ObjectAttentionBlock(this.channels, ocr_channels, cfgs));
    this.spatial_gather_module = this.registerModule('spatial_gather_module', new SpatialGatherModule(scale));
    this.bottleneck = this.registerModule('bottleneck', new ConvModule({ in_channels: this.inChannels, out_channels: this.channels, kernel_size: 3, padding: 1, ...cfgs }));
  }

  forward(inputs: Tensor[], prevOutput?: Tensor): Tensor {
    const prev = this.requirePrev(prevOutput, 'forward');
    return torch.tidy(() => {
      const feats = this.bottleneck.forward(this.transformInputs(inputs) as Tensor);
      const context = this.spatial_gather_module.forward(feats, prev);
      return this.clsSeg(this.object_context_block.forward(feats, context));
    });
  }
}
MODELS.register(OCRHead);
