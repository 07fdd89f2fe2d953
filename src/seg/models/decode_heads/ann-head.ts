// ANNHead: MMSeg's ANNNet head — AFNB fuses low- and high-level features, APNB adds pyramid non-local context.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { ConvModule, SelfAttentionBlock } from '../utils/index.js';
import { BaseDecodeHead, baseDecodeHeadSchema } from './decode-head.js';
import { layerOptions } from './psp-head.js';

type LayerOptions = ReturnType<typeof layerOptions>;

/**
 * Pyramid pooling that only concatenates: each adaptive pool flattened to [N, C, s*s], joined on
 * the last axis. Children `0`, `1`, ... as upstream's ModuleList (they hold no parameters).
 */
export class PPMConcat extends nn.Module {
  constructor(poolScales: number[]) {
    super();
    poolScales.forEach((s, i) => this.registerModule(String(i), new nn.AdaptiveAvgPool2d(s)));
  }

  forward(feats: Tensor): Tensor {
    const [n, c] = feats.shape as [number, number];
    return torch.tidy(() => torch.cat(this.children().map((p) => (p.forward(feats) as Tensor).view(n, c, -1)), 2));
  }
}

/**
 * ANN's SelfAttentionBlock: keys/values pooled by PPMConcat, queries max-pooled by query_scale
 * (when > 1); ConvModule key/query projections, plain-conv value/out projections, scaled affinities.
 */
function annAttention(lowIn: number, highIn: number, channels: number, outChannels: number, shareKeyQuery: boolean, queryScale: number, keyPoolScales: number[], layer: LayerOptions): SelfAttentionBlock {
  return new SelfAttentionBlock({
    key_in_channels: lowIn, query_in_channels: highIn, channels, out_channels: outChannels, share_key_query: shareKeyQuery,
    query_downsample: queryScale > 1 ? new nn.MaxPool2d(queryScale) : null, key_downsample: new PPMConcat(keyPoolScales),
    key_query_num_convs: 1, key_query_norm: true, value_out_num_convs: 1, value_out_norm: false, matmul_norm: true, with_out: true,
    conv_cfg: layer.conv_cfg ?? null, norm_cfg: layer.norm_cfg ?? null, act_cfg: layer.act_cfg ?? null,
  });
}

/** Sum of the attention stages' outputs, concatenated with `feats`, through `bottleneck`. */
function fuse(stages: nn.ModuleList<SelfAttentionBlock>, bottleneck: ConvModule, query: Tensor, key: Tensor): Tensor {
  return torch.tidy(() => {
    const priors = stages.children().map((s) => (s as SelfAttentionBlock).forward(query, key));
    return bottleneck.forward(torch.cat([torch.stack(priors, 0).sum(0), query], 1));
  });
}

/** Asymmetric Fusion Non-local Block: high-level queries attend to pooled low-level keys. Children: stages, bottleneck (no activation). */
export class AFNB extends nn.Module {
  readonly stages: nn.ModuleList<SelfAttentionBlock>;
  readonly bottleneck: ConvModule;

  constructor(lowIn: number, highIn: number, channels: number, outChannels: number, queryScales: number[], keyPoolScales: number[], layer: LayerOptions) {
    super();
    this.stages = this.registerModule('stages', new nn.ModuleList(queryScales.map((q) => annAttention(lowIn, highIn, channels, outChannels, false, q, keyPoolScales, layer))));
    this.bottleneck = this.registerModule('bottleneck', new ConvModule({ in_channels: outChannels + highIn, out_channels: outChannels, kernel_size: 1, ...layer, act_cfg: null }));
  }

  forward(lowFeats: Tensor, highFeats: Tensor): Tensor {
    return fuse(this.stages, this.bottleneck, highFeats, lowFeats);
  }
}

/** Asymmetric Pyramid Non-local Block: self-attention with shared key/query projection. Children: stages, bottleneck. */
export class APNB extends nn.Module {
  readonly stages: nn.ModuleList<SelfAttentionBlock>;
  readonly bottleneck: ConvModule;

  constructor(inChannels: number, channels: number, outChannels: number, queryScales: number[], keyPoolScales: number[], layer: LayerOptions) {
    super();
    this.stages = this.registerModule('stages', new nn.ModuleList(queryScales.map((q) => annAttention(inChannels, inChannels, channels, outChannels, true, q, keyPoolScales, layer))));
    this.bottleneck = this.registerModule('bottleneck', new ConvModule({ in_channels: 2 * inChannels, out_channels: outChannels, kernel_size: 1, ...layer }));
  }

  forward(feats: Tensor): Tensor {
    return fuse(this.stages, this.bottleneck, feats, feats);
  }
}

const scales = z.array(z.number().int().positive()).min(1);

// input_transform is fixed to 'multiple_select' (upstream passes it itself; a config cannot set it).
export const annHeadSchema = baseDecodeHeadSchema.omit({ input_transform: true }).extend({
  project_channels: z.number().int().positive(),
  /** Scales > 1 build but, as upstream, fail in forward (the block reshapes the pooled queries to the full size). */
  query_scales: scales.default([1]),
  key_pool_scales: scales.default([1, 3, 6, 8]),
}).strict();

export type ANNHeadOptions = z.input<typeof annHeadSchema>;

/** ANNNet (Zhu et al.): fusion = AFNB(low, high) -> dropout -> bottleneck (3x3) -> context = APNB -> conv_seg. */
export class ANNHead extends BaseDecodeHead {
  readonly projectChannels: number;
  readonly fusion: AFNB;
  readonly bottleneck: ConvModule;
  readonly context: APNB;

  constructor(options: ANNHeadOptions) {
    const { project_channels, query_scales, key_pool_scales, ...base } = parseOptions(annHeadSchema, options);
    if (!Array.isArray(base.in_channels) || base.in_channels.length !== 2) {
      throw new ConfigError(['in_channels'], `expected two channel counts [low, high], got ${JSON.stringify(base.in_channels)}`);
    }
    super({ ...base, input_transform: 'multiple_select' });
    this.projectChannels = project_channels;
    const [lowIn, highIn] = base.in_channels as [number, number];
    const layer = layerOptions(this);
    this.fusion = this.registerModule('fusion', new AFNB(lowIn, highIn, project_channels, highIn, query_scales, key_pool_scales, layer));
    this.bottleneck = this.registerModule('bottleneck', new ConvModule({ in_channels: highIn, out_channels: this.channels, kernel_size: 3, padding: 1, ...layer }));
    this.context = this.registerModule('context', new APNB(this.channels, project_channels, this.channels, query_scales, key_pool_scales, layer));
  }

  /** Features before the classifier (MMSeg's forward without cls_seg). */
  forwardFeature(inputs: Tensor[]): Tensor {
    return torch.tidy(() => {
      const [low, high] = this.transformInputs(inputs) as [Tensor, Tensor];
      let out = this.fusion.forward(low, high);
      if (this.dropout) out = this.dropout.forward(out);
      return this.context.forward(this.bottleneck.forward(out));
    });
  }

  forward(inputs: Tensor[]): Tensor {
    return this.clsSeg(this.forwardFeature(inputs));
  }
}

MODELS.register(ANNHead);
