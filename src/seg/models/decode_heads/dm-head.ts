// DMHead: MMSeg's DMNet head — one Dynamic Convolutional Module (DCM) per filter size, concatenated with the input.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import * as F from '../../../torch/functional/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { ConvModule, buildActivationLayer, buildNormLayer, type ActCfg, type NormCfg } from '../utils/index.js';
import { BaseDecodeHead, baseDecodeHeadSchema } from './decode-head.js';
import { layerOptions } from './psp-head.js';

type LayerOptions = ReturnType<typeof layerOptions>;

/**
 * Dynamic Convolutional Module: a 1x1 conv over the input pooled to f x f generates, per sample
 * and channel, an f x f depthwise filter that is applied to the reduced input (one grouped conv
 * over the whole batch), then norm, activation and an optional fusion conv.
 * Children in MMSeg's order: filter_gen_conv, input_redu_conv, norm, activate, fusion_conv.
 */
export class DCM extends nn.Module {
  readonly filter_gen_conv: nn.Conv2d;
  readonly input_redu_conv: ConvModule;
  readonly norm: nn.Module | null;
  readonly activate: nn.Module;
  readonly fusion_conv: ConvModule | null;

  constructor(readonly filterSize: number, fusion: boolean, inChannels: number, readonly channels: number, layer: LayerOptions) {
    super();
    // Upstream builds the activation unconditionally: act_cfg None cannot build a DCM.
    if (!layer.act_cfg) throw new ConfigError(['act_cfg'], 'expected an activation config (DCM activates its dynamic conv output), got null');
    this.filter_gen_conv = this.registerModule('filter_gen_conv', new nn.Conv2d(inChannels, channels, 1));
    this.input_redu_conv = this.registerModule('input_redu_conv', new ConvModule({ in_channels: inChannels, out_channels: channels, kernel_size: 1, ...layer }));
    // Named `norm` whatever its type (upstream keeps build_norm_layer's layer, not its name).
    this.norm = layer.norm_cfg ? this.registerModule('norm', buildNormLayer(layer.norm_cfg as NormCfg, channels)[1]) : null;
    this.activate = this.registerModule('activate', buildActivationLayer(layer.act_cfg as ActCfg));
    this.fusion_conv = fusion ? this.registerModule('fusion_conv', new ConvModule({ in_channels: channels, out_channels: channels, kernel_size: 1, ...layer })) : null;
  }

  forward(input: Tensor): Tensor {
    return torch.tidy(() => {
      const f = this.filterSize;
      const filters = this.filter_gen_conv.forward(F.adaptiveAvgPool2d(input, f));
      const x = this.input_redu_conv.forward(input);
      const [b, c, h, w] = x.shape as [number, number, number, number];
      const pad = Math.floor((f - 1) / 2);
      // Even filter sizes pad one more on the left and top, as upstream.
      const padding = (f - 1) % 2 === 0 ? [pad, pad, pad, pad] : [pad + 1, pad, pad + 1, pad];
      const padded = F.pad(x.view(1, b * c, h, w), padding, 'constant', 0);
      let out = F.conv2d(padded, filters.view(b * c, 1, f, f), null, { groups: b * c }).view(b, c, h, w);
      if (this.norm) out = this.norm.forward(out) as Tensor;
      out = this.activate.forward(out) as Tensor;
      return this.fusion_conv ? this.fusion_conv.forward(out) : out;
    });
  }
}

export const dmHeadSchema = baseDecodeHeadSchema.extend({
  filter_sizes: z.array(z.number().int().positive()).min(1).default([1, 3, 5, 7]),
  fusion: z.boolean().default(false),
}).strict();

export type DMHeadOptions = z.input<typeof dmHeadSchema>;

/** DMNet (He et al.): [x, DCM_f(x) for each filter size f] concatenated, a 3x3 bottleneck, then conv_seg. */
export class DMHead extends BaseDecodeHead {
  readonly filterSizes: number[];
  readonly dcm_modules: nn.ModuleList<DCM>;
  readonly bottleneck: ConvModule;

  constructor(options: DMHeadOptions) {
    const { filter_sizes, fusion, ...base } = parseOptions(dmHeadSchema, options);
    super(base);
    this.filterSizes = filter_sizes;
    const inChannels = this.inChannels as number;
    const layer = layerOptions(this);
    this.dcm_modules = this.registerModule('dcm_modules', new nn.ModuleList(filter_sizes.map((f) => new DCM(f, fusion, inChannels, this.channels, layer))));
    this.bottleneck = this.registerModule('bottleneck', new ConvModule({
      in_channels: inChannels + filter_sizes.length * this.channels, out_channels: this.channels, kernel_size: 3, padding: 1, ...layer,
    }));
  }

  /** Features before the classifier (MMSeg's forward without cls_seg). */
  forwardFeature(inputs: Tensor[]): Tensor {
    return torch.tidy(() => {
      const x = this.transformInputs(inputs) as Tensor;
      return this.bottleneck.forward(torch.cat([x, ...this.dcm_modules.children().map((m) => m.forward(x) as Tensor)], 1));
    });
  }

  forward(inputs: Tensor[]): Tensor {
    return this.clsSeg(this.forwardFeature(inputs));
  }
}

MODELS.register(DMHead);
