// MMSeg's SegformerHead (the all-MLP decoder): a 1x1 ConvModule per input, all resized to the first
// input's size, concatenated, fused by one 1x1 ConvModule, then classified.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import { parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { ConvModule } from '../utils/conv-module.js';
import { resize } from '../utils/resize.js';
import { BaseDecodeHead, baseDecodeHeadSchema } from './decode-head.js';

/** input_transform is fixed to 'multiple_select' (MMSeg passes it itself, so a config may not). */
export const segformerHeadSchema = baseDecodeHeadSchema.omit({ input_transform: true }).extend({
  interpolate_mode: z.enum(['nearest', 'bilinear', 'bicubic']).default('bilinear'),
}).strict();

export type SegformerHeadOptions = z.input<typeof segformerHeadSchema>;

export class SegformerHead extends BaseDecodeHead {
  readonly interpolateMode: 'nearest' | 'bilinear' | 'bicubic';
  readonly convs: nn.ModuleList<ConvModule>;
  readonly fusion_conv: ConvModule;

  constructor(options: SegformerHeadOptions) {
    const { interpolate_mode, ...base } = parseOptions(segformerHeadSchema, options);
    super({ ...base, input_transform: 'multiple_select' });
    this.interpolateMode = interpolate_mode;
    const inChannels = this.inChannels as number[];
    this.convs = this.registerModule('convs', new nn.ModuleList(inChannels.map((c) => new ConvModule({
      in_channels: c, out_channels: this.channels, kernel_size: 1, stride: 1, norm_cfg: this.normCfg, act_cfg: this.actCfg,
    }))));
    this.fusion_conv = this.registerModule('fusion_conv', new ConvModule({
      in_channels: this.channels * inChannels.length, out_channels: this.channels, kernel_size: 1, norm_cfg: this.normCfg,
    }));
  }

  forward(inputs: Tensor[]): Tensor {
    return torch.tidy(() => {
      const selected = this.transformInputs(inputs) as Tensor[];
      const size = selected[0]!.shape.slice(2);
      // The resized maps are dead once concatenated (autograd keeps what it needs): free them before the fusion conv.
      const fused = torch.tidy(() => torch.cat(selected.map((x, i) => resize(this.convs.at(i).forward(x), { size, mode: this.interpolateMode, alignCorners: this.alignCorners })), 1));
      return this.clsSeg(this.fusion_conv.forward(fused));
    });
  }
}

MODELS.register(SegformerHead);
