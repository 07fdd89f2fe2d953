// ISAHead: MMSeg's ISANet head — interlaced sparse self-attention (a global then a local relation over pixel groups).
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as F from '../../../torch/functional/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { ConvModule, type LayerCfg } from '../utils/conv-module.js';
import { SelfAttentionBlock } from '../utils/self-attention-block.js';
import { BaseDecodeHead, baseDecodeHeadSchema } from './decode-head.js';

interface LayerCfgs {
  conv_cfg: LayerCfg | null;
  norm_cfg: LayerCfg | null;
  act_cfg: LayerCfg | null;
}

/**
 * MMSeg's SelfAttentionBlock as ISA configures it (self-attention: the input is both query and
 * key; two ConvModules for key/query, a plain 1x1 conv for value, no out projection), followed by
 * a 1x1 ConvModule output_project.
 */
export class ISASelfAttentionBlock extends SelfAttentionBlock {
  readonly output_project: ConvModule;

  constructor(inChannels: number, channels: number, cfgs: LayerCfgs) {
    super({
      key_in_channels: inChannels, query_in_channels: inChannels, channels, out_channels: inChannels,
      share_key_query: false, query_downsample: null, key_downsample: null,
      key_query_num_convs: 2, key_query_norm: true, value_out_num_convs: 1, value_out_norm: false,
      matmul_norm: true, with_out: false, ...cfgs,
    });
    this.output_project = this.registerModule('output_project', new ConvModule({ in_channels: inChannels, out_channels: inChannels, kernel_size: 1, ...cfgs }));
  }

  /** Self-attention over x [N, C, H, W] -> [N, C, H, W]. */
  override forward(x: Tensor): Tensor {
    return torch.tidy(() => this.output_project.forward(super.forward(x, x)));
  }
}

export const isaHeadSchema = baseDecodeHeadSchema.extend({
  /** Channels of the attention blocks' key/query projections. */
  isa_channels: z.number().int().positive(),
  /** Local group size [h, w]: the global relation attends across groups, the local one within a group. */
  down_factor: z.tuple([z.number().int().positive(), z.number().int().positive()]).default([8, 8]),
}).strict();

export type ISAHeadOptions = z.input<typeof isaHeadSchema>;

/**
 * ISANet (Huang et al.): in_conv (3x3), the map zero-padded (centred) to a multiple of
 * down_factor, global_relation among pixels at the same offset of every group, local_relation
 * within each group, padding removed, out_conv over [attended, in_conv output], conv_seg.
 */
export class ISAHead extends BaseDecodeHead {
  readonly isaChannels: number;
  readonly downFactor: [number, number];
  readonly in_conv: ConvModule;
  readonly global_relation: ISASelfAttentionBlock;
  readonly local_relation: ISASelfAttentionBlock;
  readonly out_conv: ConvModule;

  constructor(options: ISAHeadOptions) {
    const { isa_channels, down_factor, ...base } = parseOptions(isaHeadSchema, options);
    super(base);
    if (typeof this.inChannels !== 'number') throw new ConfigError(['input_transform'], "ISAHead needs one input: use input_transform null or 'resize_concat'");
    this.isaChannels = isa_channels;
    this.downFactor = down_factor;
    const cfgs = { conv_cfg: this.convCfg, norm_cfg: this.normCfg, act_cfg: this.actCfg };
    this.in_conv = this.registerModule('in_conv', new ConvModule({ in_channels: this.inChannels, out_channels: this.channels, kernel_size: 3, padding: 1, ...cfgs }));
    this.global_relation = this.registerModule('global_relation', new ISASelfAttentionBlock(this.channels, isa_channels, cfgs));
    this.local_relation = this.registerModule('local_relation', new ISASelfAttentionBlock(this.channels, isa_channels, cfgs));
    this.out_conv = this.registerModule('out_conv', new ConvModule({ in_channels: this.channels * 2, out_channels: this.channels, kernel_size: 1, ...cfgs }));
  }

  forward(inputs: Tensor[]): Tensor {
    return torch.tidy(() => {
      const residual = this.in_conv.forward(this.transformInputs(inputs) as Tensor);
      const [n, c, h, w] = residual.shape as [number, number, number, number];
      const [locH, locW] = this.downFactor;
      const glbH = Math.ceil(h / locH);
      const glbW = Math.ceil(w / locW);
      const padH = glbH * locH - h;
      const padW = glbW * locW - w;
      const top = Math.floor(padH / 2);
      const left = Math.floor(padW / 2);
      let x = padH > 0 || padW > 0 ? F.pad(residual, [left, padW - left, top, padH - top]) : residual;
      // Global groups: pixels sharing an offset inside their local group -> [n*locH*locW, c, glbH, glbW].
      x = x.view(n, c, glbH, locH, glbW, locW).permute(0, 3, 5, 1, 2, 4).reshape(-1, c, glbH, glbW);
      x = this.global_relation.forward(x);
      // Local groups: the locH x locW pixels of one group -> [n*glbH*glbW, c, locH, locW].
      x = x.view(n, locH, locW, c, glbH, glbW).permute(0, 4, 5, 3, 1, 2).reshape(-1, c, locH, locW);
      x = this.local_relation.forward(x);
      x = x.view(n, glbH, glbW, c, locH, locW).permute(0, 3, 1, 4, 2, 5).reshape(n, c, glbH * locH, glbW * locW);
      if (padH > 0 || padW > 0) x = x.narrow(2, top, h).narrow(3, left, w);
      return this.clsSeg(this.out_conv.forward(torch.cat([x, residual], 1)));
    });
  }
}
MODELS.register(ISAHead);
