// PSPHead and its Pyramid Pooling Module (PPM, also UPerHead's), named as MMSeg: psp_modules.i.1.{conv,bn}, bottleneck.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import { parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { ConvModule, resize, type LayerCfg } from '../utils/index.js';
import { BaseDecodeHead, baseDecodeHeadSchema } from './decode-head.js';

type ConvModuleOptions = ConstructorParameters<typeof ConvModule>[0];

/** conv_cfg / norm_cfg / act_cfg as the heads hold them, in ConvModule's option names. */
export function layerOptions(head: { convCfg: LayerCfg | null; normCfg: LayerCfg | null; actCfg: LayerCfg | null }): Pick<ConvModuleOptions, 'conv_cfg' | 'norm_cfg' | 'act_cfg'> {
  return { conv_cfg: head.convCfg, norm_cfg: head.normCfg, act_cfg: head.actCfg };
}

/**
 * Pyramid Pooling Module: for each pool scale s, child `i` is [AdaptiveAvgPool2d(s), 1x1
 * ConvModule]; forward returns each branch resized (bilinear) back to the input size. Like
 * MMSeg's (a plain ModuleList there), init_weights does not enter it.
 */
export class PPM extends nn.Module {
  constructor(readonly poolScales: number[], inChannels: number, channels: number, layer: Pick<ConvModuleOptions, 'conv_cfg' | 'norm_cfg' | 'act_cfg'>, readonly alignCorners: boolean) {
    super();
    poolScales.forEach((scale, i) => {
      this.registerModule(String(i), new nn.Sequential(
        new nn.AdaptiveAvgPool2d(scale),
        new ConvModule({ in_channels: inChannels, out_channels: channels, kernel_size: 1, ...layer })));
    });
  }

  forward(x: Tensor): Tensor[] {
    const size = x.shape.slice(2);
    return this.children().map((branch) => resize(branch.forward(x) as Tensor, { size, mode: 'bilinear', alignCorners: this.alignCorners }));
  }
}

const int = z.number().int();

export const pspHeadSchema = baseDecodeHeadSchema.extend({
  pool_scales: z.array(int.positive()).min(1).default([1, 2, 3, 6]),
}).strict();

export type PSPHeadOptions = z.input<typeof pspHeadSchema>;

/** PSPNet (Zhao et al.): [x, PPM(x)...] concatenated, a 3x3 bottleneck ConvModule, then conv_seg. */
export class PSPHead extends BaseDecodeHead {
  readonly poolScales: number[];
  readonly psp_modules: PPM;
  readonly bottleneck: ConvModule;

  constructor(options: PSPHeadOptions) {
    const { pool_scales, ...base } = parseOptions(pspHeadSchema, options);
    super(base);
    this.poolScales = pool_scales;
    const inChannels = this.inChannels as number;
    const layer = layerOptions(this);
    this.psp_modules = this.registerModule('psp_modules', new PPM(pool_scales, inChannels, this.channels, layer, this.alignCorners));
    this.bottleneck = this.registerModule('bottleneck', new ConvModule({
      in_channels: inChannels + pool_scales.length * this.channels, out_channels: this.channels, kernel_size: 3, padding: 1, ...layer,
    }));
  }

  /** Features before the classifier (MMSeg's _forward_feature). */
  forwardFeature(inputs: Tensor[]): Tensor {
    return torch.tidy(() => {
      const x = this.transformInputs(inputs) as Tensor;
      return this.bottleneck.forward(torch.cat([x, ...this.psp_modules.forward(x)], 1));
    });
  }

  forward(inputs: Tensor[]): Tensor {
    return this.clsSeg(this.forwardFeature(inputs));
  }
}

MODELS.register(PSPHead);
