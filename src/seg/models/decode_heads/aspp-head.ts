// ASPPHead (DeepLabV3): image pooling plus parallel atrous convs, named as MMSeg: image_pool, aspp_modules.i, bottleneck.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import { parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { ConvModule, resize } from '../utils/index.js';
import { BaseDecodeHead, baseDecodeHeadSchema } from './decode-head.js';
import { layerOptions } from './psp-head.js';

/**
 * Atrous Spatial Pyramid Pooling: child `i` is a 1x1 ConvModule for dilation 1, else a 3x3
 * ConvModule with that dilation (padding = dilation); forward returns every branch's output.
 * A plain module list in MMSeg, so init_weights does not enter it.
 */
export class ASPPModule extends nn.Module {
  constructor(readonly dilations: number[], makeBranch: (dilation: number) => nn.Module) {
    super();
    dilations.forEach((d, i) => this.registerModule(String(i), makeBranch(d)));
  }

  forward(x: Tensor): Tensor[] {
    return this.children().map((branch) => branch.forward(x) as Tensor);
  }
}

const asppExtra = {
  dilations: z.array(z.number().int().positive()).min(1).default([1, 6, 12, 18]),
};

export const asppHeadSchema = baseDecodeHeadSchema.extend(asppExtra).strict();

export type ASPPHeadOptions = z.input<typeof asppHeadSchema>;

/**
 * DeepLabV3's head (Chen et al.): [image_pool(x) resized back, aspp_modules(x)...] concatenated,
 * a 3x3 bottleneck ConvModule, then conv_seg. Takes one input map (in_index).
 */
export class ASPPHead extends BaseDecodeHead {
  readonly dilations: number[];
  readonly image_pool: nn.Sequential;
  readonly aspp_modules: ASPPModule;
  readonly bottleneck: ConvModule;

  constructor(options: ASPPHeadOptions) {
    const { dilations, ...base } = parseOptions(asppHeadSchema, options);
    super(base);
    this.dilations = dilations;
    const inChannels = this.inChannels as number;
    const layer = layerOptions(this);
    this.image_pool = this.registerModule('image_pool', new nn.Sequential(
      new nn.AdaptiveAvgPool2d(1),
      new ConvModule({ in_channels: inChannels, out_channels: this.channels, kernel_size: 1, ...layer })));
    this.aspp_modules = this.registerModule('aspp_modules', new ASPPModule(dilations, (d) => this.makeAsppBranch(d)));
    this.bottleneck = this.registerModule('bottleneck', new ConvModule({
      in_channels: (dilations.length + 1) * this.channels, out_channels: this.channels, kernel_size: 3, padding: 1, ...layer,
    }));
  }

  /**
   * One ASPP branch; DepthwiseSeparableASPPHead overrides it. Runs during construction, so an
   * override may only use what BaseDecodeHead has set (channels, cfgs).
   */
  protected makeAsppBranch(dilation: number): nn.Module {
    return new ConvModule({
      in_channels: this.inChannels as number, out_channels: this.channels, kernel_size: dilation === 1 ? 1 : 3,
      dilation, padding: dilation === 1 ? 0 : dilation, ...layerOptions(this),
    });
  }

  /** The bottleneck output over the concatenated pooling and atrous branches. */
  protected asppForward(x: Tensor): Tensor {
    const pooled = resize(this.image_pool.forward(x) as Tensor, { size: x.shape.slice(2), mode: 'bilinear', alignCorners: this.alignCorners });
    return this.bottleneck.forward(torch.cat([pooled, ...this.aspp_modules.forward(x)], 1));
  }

  /** Features before the classifier (MMSeg's _forward_feature). */
  forwardFeature(inputs: Tensor[]): Tensor {
    return torch.tidy(() => this.asppForward(this.transformInputs(inputs) as Tensor));
  }

  forward(inputs: Tensor[]): Tensor {
    return this.clsSeg(this.forwardFeature(inputs));
  }
}

/** For DepthwiseSeparableASPPHead's schema. */
export const asppHeadExtra = asppExtra;

MODELS.register(ASPPHead);
