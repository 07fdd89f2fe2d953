// FCNHead: MMSeg's fully convolutional head — num_convs ConvModules, optional conv_cat over [input, features], then conv_seg.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { ConvModule } from '../utils/conv-module.js';
import { BaseDecodeHead, baseDecodeHeadSchema } from './decode-head.js';

export const fcnHeadSchema = baseDecodeHeadSchema.extend({
  num_convs: z.number().int().nonnegative().default(2),
  kernel_size: z.number().int().positive().default(3),
  /** Concatenate the input with the conv features before conv_seg (through conv_cat). */
  concat_input: z.boolean().default(true),
  dilation: z.number().int().positive().default(1),
}).strict();

export type FCNHeadOptions = z.input<typeof fcnHeadSchema>;

export class FCNHead extends BaseDecodeHead {
  readonly numConvs: number;
  readonly concatInput: boolean;
  readonly kernelSize: number;
  readonly convs: nn.Module;
  readonly conv_cat: ConvModule | null;

  constructor(options: FCNHeadOptions) {
    const o = parseOptions(fcnHeadSchema, options);
    const { num_convs, kernel_size, concat_input, dilation, ...base } = o;
    super(base);
    this.numConvs = num_convs;
    this.concatInput = concat_input;
    this.kernelSize = kernel_size;
    const inChannels = this.inChannels;
    if (typeof inChannels !== 'number') throw new ConfigError(['input_transform'], "FCNHead needs one input: use input_transform null or 'resize_concat'");
    if (num_convs === 0 && inChannels !== this.channels) {
      throw new ConfigError(['channels'], `with num_convs 0, channels must equal in_channels (${inChannels}), got ${this.channels}`);
    }
    const common = { conv_cfg: this.convCfg, norm_cfg: this.normCfg, act_cfg: this.actCfg } as const;
    const padding = Math.floor(kernel_size / 2) * dilation;
    const convs = Array.from({ length: num_convs }, (_, i) => new ConvModule({
      in_channels: i === 0 ? inChannels : this.channels, out_channels: this.channels, kernel_size, padding, dilation, ...common,
    }));
    this.convs = this.registerModule('convs', num_convs === 0 ? new nn.Identity() : new nn.Sequential(...convs));
    this.conv_cat = concat_input
      ? this.registerModule('conv_cat', new ConvModule({
        in_channels: inChannels + this.channels, out_channels: this.channels, kernel_size, padding: Math.floor(kernel_size / 2), ...common,
      }))
      : null;
  }

  /** Features before the classifier (MMSeg's _forward_feature). */
  forwardFeature(inputs: Tensor[]): Tensor {
    return torch.tidy(() => {
      const x = this.transformInputs(inputs) as Tensor;
      const feats = this.convs.forward(x) as Tensor;
      return this.conv_cat ? this.conv_cat.forward(torch.cat([x, feats], 1)) : feats;
    });
  }

  forward(inputs: Tensor[]): Tensor {
    return this.clsSeg(this.forwardFeature(inputs));
  }
}
MODELS.register(FCNHead);
