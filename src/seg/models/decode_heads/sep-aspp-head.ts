// DepthwiseSeparableASPPHead (DeepLabV3+): separable ASPP branches, a low-level c1 shortcut and sep_bottleneck.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import { parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { ConvModule, DepthwiseSeparableConvModule, resize } from '../utils/index.js';
import { baseDecodeHeadSchema } from './decode-head.js';
import { ASPPHead, asppHeadExtra } from './aspp-head.js';
import { layerOptions } from './psp-head.js';

export const depthwiseSeparableASPPHeadSchema = baseDecodeHeadSchema.extend({
  ...asppHeadExtra,
  /** Channels of the low-level input (inputs[0]); 0 turns the c1 decoder off. */
  c1_in_channels: z.number().int().nonnegative(),
  /** Channels c1_bottleneck reduces the low-level input to. */
  c1_channels: z.number().int().nonnegative(),
}).strict();

export type DepthwiseSeparableASPPHeadOptions = z.input<typeof depthwiseSeparableASPPHeadSchema>;

/**
 * DeepLabV3+ (Chen et al.): ASPPHead whose dilated branches are DepthwiseSeparableConvModules;
 * the ASPP output is upsampled to inputs[0]'s size, joined with c1_bottleneck(inputs[0]) and
 * refined by two separable 3x3 convs (sep_bottleneck.0/1) before conv_seg.
 */
export class DepthwiseSeparableASPPHead extends ASPPHead {
  readonly c1_bottleneck: ConvModule | null;
  readonly sep_bottleneck: nn.Sequential;

  constructor(options: DepthwiseSeparableASPPHeadOptions) {
    const { c1_in_channels, c1_channels, ...aspp } = parseOptions(depthwiseSeparableASPPHeadSchema, options);
    super(aspp);
    const layer = layerOptions(this);
    this.c1_bottleneck = c1_in_channels > 0
      ? this.registerModule('c1_bottleneck', new ConvModule({ in_channels: c1_in_channels, out_channels: c1_channels, kernel_size: 1, ...layer }))
      : null;
    const sep = (inCh: number): DepthwiseSeparableConvModule => new DepthwiseSeparableConvModule({
      in_channels: inCh, out_channels: this.channels, kernel_size: 3, padding: 1, norm_cfg: this.normCfg, act_cfg: this.actCfg,
    });
    this.sep_bottleneck = this.registerModule('sep_bottleneck', new nn.Sequential(sep(this.channels + c1_channels), sep(this.channels)));
  }

  /** Dilated branches are depthwise separable (no conv_cfg, as MMSeg); the 1x1 branch stays a ConvModule. */
  protected override makeAsppBranch(dilation: number): nn.Module {
    if (dilation === 1) return super.makeAsppBranch(dilation);
    return new DepthwiseSeparableConvModule({
      in_channels: this.inChannels as number, out_channels: this.channels, kernel_size: 3, dilation, padding: dilation,
      norm_cfg: this.normCfg, act_cfg: this.actCfg,
    });
  }

  override forwardFeature(inputs: Tensor[]): Tensor {
    return torch.tidy(() => {
      let out = this.asppForward(this.transformInputs(inputs) as Tensor);
      if (this.c1_bottleneck) {
        const c1 = this.c1_bottleneck.forward(inputs[0]!);
        out = torch.cat([resize(out, { size: c1.shape.slice(2), mode: 'bilinear', alignCorners: this.alignCorners }), c1], 1);
      }
      return this.sep_bottleneck.forward(out) as Tensor;
    });
  }
}

MODELS.register(DepthwiseSeparableASPPHead);
