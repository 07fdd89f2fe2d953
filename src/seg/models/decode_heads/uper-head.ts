// UPerHead: MMSeg's Unified Perceptual Parsing head — a PPM on the last level plus an FPN over all levels.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { ConvModule, resize } from '../utils/index.js';
import { BaseDecodeHead, baseDecodeHeadSchema } from './decode-head.js';
import { PPM, layerOptions } from './psp-head.js';

/** UPerHead always selects several inputs ('multiple_select'), so input_transform is not an option. */
export const uperHeadSchema = baseDecodeHeadSchema.omit({ input_transform: true }).extend({
  pool_scales: z.array(z.number().int().positive()).min(1).default([1, 2, 3, 6]),
}).strict();

export type UPerHeadOptions = z.input<typeof uperHeadSchema>;

/**
 * UPerNet (Xiao et al.): psp_modules + bottleneck turn the deepest input into the top lateral;
 * lateral_convs.i (1x1) and fpn_convs.i (3x3) handle the other levels; after the top-down sum,
 * all levels are resized to the finest, concatenated and fused by fpn_bottleneck.
 */
export class UPerHead extends BaseDecodeHead {
  readonly psp_modules: PPM;
  readonly bottleneck: ConvModule;
  readonly lateral_convs: nn.ModuleList<ConvModule>;
  readonly fpn_convs: nn.ModuleList<ConvModule>;
  readonly fpn_bottleneck: ConvModule;

  constructor(options: UPerHeadOptions) {
    const { pool_scales, ...base } = parseOptions(uperHeadSchema, options);
    if (!Array.isArray(base.in_channels)) throw new ConfigError(['in_channels'], `UPerHead takes one channel count per input level (a list), got ${base.in_channels}`);
    super({ ...base, input_transform: 'multiple_select' });
    const inChannels = this.inChannels as number[];
    const top = inChannels[inChannels.length - 1]!;
    const layer = layerOptions(this);
    this.psp_modules = this.registerModule('psp_modules', new PPM(pool_scales, top, this.channels, layer, this.alignCorners));
    this.bottleneck = this.registerModule('bottleneck', new ConvModule({
      in_channels: top + pool_scales.length * this.channels, out_channels: this.channels, kernel_size: 3, padding: 1, ...layer,
    }));
    this.lateral_convs = this.registerModule('lateral_convs', new nn.ModuleList<ConvModule>());
    this.fpn_convs = this.registerModule('fpn_convs', new nn.ModuleList<ConvModule>());
    for (const c of inChannels.slice(0, -1)) {
      this.lateral_convs.append(new ConvModule({ in_channels: c, out_channels: this.channels, kernel_size: 1, ...layer, inplace: false }));
      this.fpn_convs.append(new ConvModule({ in_channels: this.channels, out_channels: this.channels, kernel_size: 3, padding: 1, ...layer, inplace: false }));
    }
    this.fpn_bottleneck = this.registerModule('fpn_bottleneck', new ConvModule({
      in_channels: inChannels.length * this.channels, out_channels: this.channels, kernel_size: 3, padding: 1, ...layer,
    }));
  }

  /** The PPM branch on the deepest level (MMSeg's psp_forward). */
  pspForward(inputs: Tensor[]): Tensor {
    const x = inputs[inputs.length - 1]!;
    return this.bottleneck.forward(torch.cat([x, ...this.psp_modules.forward(x)], 1));
  }

  /** Features before the classifier (MMSeg's _forward_feature). */
  forwardFeature(inputs: Tensor[]): Tensor {
    return torch.tidy(() => {
      const xs = this.transformInputs(inputs) as Tensor[];
      const laterals = this.lateral_convs.toArray().map((conv, i) => conv.forward(xs[i]!));
      laterals.push(this.pspForward(xs));
      const levels = laterals.length;
      const bilinear = (t: Tensor, size: number[]): Tensor => resize(t, { size, mode: 'bilinear', alignCorners: this.alignCorners });
      for (let i = levels - 1; i > 0; i--) {
        laterals[i - 1] = laterals[i - 1]!.add(bilinear(laterals[i]!, laterals[i - 1]!.shape.slice(2)));
      }
      const fpnOuts = laterals.slice(0, -1).map((lat, i) => this.fpn_convs.at(i).forward(lat));
      fpnOuts.push(laterals[levels - 1]!);
      const size = fpnOuts[0]!.shape.slice(2);
      for (let i = levels - 1; i > 0; i--) fpnOuts[i] = bilinear(fpnOuts[i]!, size);
      return this.fpn_bottleneck.forward(torch.cat(fpnOuts, 1));
    });
  }

  forward(inputs: Tensor[]): Tensor {
    return this.clsSeg(this.forwardFeature(inputs));
  }
}

MODELS.register(UPerHead);
