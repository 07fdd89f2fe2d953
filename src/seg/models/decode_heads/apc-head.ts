// APCHead: MMSeg's APCNet head — one Adaptive Context Module (ACM) per pool scale, concatenated with the input.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import * as F from '../../../torch/functional/index.js';
import { parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { ConvModule, resize } from '../utils/index.js';
import { BaseDecodeHead, baseDecodeHeadSchema } from './decode-head.js';
import { layerOptions } from './psp-head.js';

type LayerOptions = ReturnType<typeof layerOptions>;

/**
 * Adaptive Context Module: every pixel weighs the s x s pooled region features by a sigmoid
 * affinity (gla over local + global context), then a residual 1x1 conv, ReLU and optional fusion.
 * Children in MMSeg's order: pooled_redu_conv, input_redu_conv, global_info, gla, residual_conv, fusion_conv.
 */
export class ACM extends nn.Module {
  readonly pooled_redu_conv: ConvModule;
  readonly input_redu_conv: ConvModule;
  readonly global_info: ConvModule;
  readonly gla: nn.Conv2d;
  readonly residual_conv: ConvModule;
  readonly fusion_conv: ConvModule | null;

  constructor(readonly poolScale: number, fusion: boolean, inChannels: number, readonly channels: number, layer: LayerOptions) {
    super();
    const conv1x1 = (inC: number): ConvModule => new ConvModule({ in_channels: inC, out_channels: channels, kernel_size: 1, ...layer });
    this.pooled_redu_conv = this.registerModule('pooled_redu_conv', conv1x1(inChannels));
    this.input_redu_conv = this.registerModule('input_redu_conv', conv1x1(inChannels));
    this.global_info = this.registerModule('global_info', conv1x1(channels));
    this.gla = this.registerModule('gla', new nn.Conv2d(channels, poolScale ** 2, 1));
    this.residual_conv = this.registerModule('residual_conv', conv1x1(channels));
    this.fusion_conv = fusion ? this.registerModule('fusion_conv', conv1x1(channels)) : null;
  }

  forward(input: Tensor): Tensor {
    return torch.tidy(() => {
      const pooled = this.pooled_redu_conv.forward(F.adaptiveAvgPool2d(input, this.poolScale));
      const x = this.input_redu_conv.forward(input);
      const [n, , h, w] = x.shape as [number, number, number, number];
      const regions = pooled.view(n, this.channels, -1).permute(0, 2, 1).contiguous();
      const global = resize(this.global_info.forward(F.adaptiveAvgPool2d(x, 1)), { size: [h, w] });
      const affinity = this.gla.forward(x.add(global)).permute(0, 2, 3, 1).reshape(n, -1, this.poolScale ** 2).sigmoid();
      const z = affinity.matmul(regions).permute(0, 2, 1).contiguous().view(n, this.channels, h, w);
      const out = F.relu(this.residual_conv.forward(z).add(x));
      return this.fusion_conv ? this.fusion_conv.forward(out) : out;
    });
  }
}

export const apcHeadSchema = baseDecodeHeadSchema.extend({
  pool_scales: z.array(z.number().int().positive()).min(1).default([1, 2, 3, 6]),
  fusion: z.boolean().default(true),
}).strict();

export type APCHeadOptions = z.input<typeof apcHeadSchema>;

/** APCNet (He et al.): [x, ACM_s(x) for each pool scale s] concatenated, a 3x3 bottleneck, then conv_seg. */
export class APCHead extends BaseDecodeHead {
  readonly poolScales: number[];
  readonly acm_modules: nn.ModuleList<ACM>;
  readonly bottleneck: ConvModule;

  constructor(options: APCHeadOptions) {
    const { pool_scales, fusion, ...base } = parseOptions(apcHeadSchema, options);
    super(base);
    this.poolScales = pool_scales;
    const inChannels = this.inChannels as number;
    const layer = layerOptions(this);
    this.acm_modules = this.registerModule('acm_modules', new nn.ModuleList(pool_scales.map((s) => new ACM(s, fusion, inChannels, this.channels, layer))));
    this.bottleneck = this.registerModule('bottleneck', new ConvModule({
      in_channels: inChannels + pool_scales.length * this.channels, out_channels: this.channels, kernel_size: 3, padding: 1, ...layer,
    }));
  }

  /** Features before the classifier (MMSeg's forward without cls_seg). */
  forwardFeature(inputs: Tensor[]): Tensor {
    return torch.tidy(() => {
      const x = this.transformInputs(inputs) as Tensor;
      return this.bottleneck.forward(torch.cat([x, ...this.acm_modules.children().map((m) => m.forward(x) as Tensor)], 1));
    });
  }

  forward(inputs: Tensor[]): Tensor {
    return this.clsSeg(this.forwardFeature(inputs));
  }
}

MODELS.register(APCHead);
