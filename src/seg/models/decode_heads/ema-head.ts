// EMAHead: MMSeg's EMANet head — expectation-maximisation attention (EMAModule) between 1x1/3x3 ConvModules.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import * as F from '../../../torch/functional/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { ConvModule } from '../utils/conv-module.js';
import { BaseDecodeHead, baseDecodeHeadSchema } from './decode-head.js';

/**
 * EM attention: num_stages rounds (without gradients) of pixel-to-base soft assignment and base
 * re-estimation from the `bases` buffer [1, channels, num_bases]; returns the features rebuilt from
 * the final bases. In training the buffer moves towards the batch-mean bases by `momentum`
 * (MMSeg also averages them across ranks; with one process that is the identity).
 */
export class EMAModule extends nn.Module {
  readonly bases: Tensor;

  constructor(readonly channels: number, readonly numBases: number, readonly numStages: number, readonly momentum: number) {
    super();
    if (numStages < 1) throw new ConfigError(['num_stages'], `must be at least 1, got ${numStages}`);
    const init = torch.tidy(() => F.normalize(torch.randn([1, channels, numBases]).mul(Math.sqrt(2 / numBases)), { dim: 1, p: 2 }));
    this.bases = this.registerBuffer('bases', init);
  }

  /** feats [N, C, H, W] -> reconstruction [N, C, H, W] (no gradient flows through it, as in MMSeg). */
  forward(feats: Tensor): Tensor {
    return torch.tidy(() => {
      const [n, c, h, w] = feats.shape as [number, number, number, number];
      const { recon, bases } = torch.noGrad(() => {
        const flat = feats.detach().reshape(n, c, h * w);
        let bases = this.bases.repeat(n, 1, 1);
        let attention = bases;
        for (let i = 0; i < this.numStages; i++) {
          attention = F.softmax(flat.permute(0, 2, 1).matmul(bases), 2); // [n, hw, k]
          bases = F.normalize(flat.matmul(F.normalize(attention, { dim: 1, p: 1 })), { dim: 1, p: 2 }); // [n, c, k]
        }
        return { recon: bases.matmul(attention.permute(0, 2, 1)).reshape(n, c, h, w), bases };
      });
      if (this.training) {
        torch.noGrad(() => {
          const batchBases = F.normalize(bases.mean(0, { keepdim: true }), { dim: 1, p: 2 });
          this.bases.copy_(this.bases.mul(1 - this.momentum).add(batchBases.mul(this.momentum)));
        });
      }
      return recon;
    });
  }
}

export const emaHeadSchema = baseDecodeHeadSchema.extend({
  /** Channels of the EM attention (ema_in_conv output). */
  ema_channels: z.number().int().positive(),
  num_bases: z.number().int().positive(),
  /** EM iterations per forward. */
  num_stages: z.number().int().positive(),
  /** Concatenate the input with the bottleneck output through conv_cat before conv_seg. */
  concat_input: z.boolean().default(true),
  /** Weight of the batch bases in the running `bases` update. */
  momentum: z.number().min(0).max(1).default(0.1),
}).strict();

export type EMAHeadOptions = z.input<typeof emaHeadSchema>;

/**
 * EMANet (Li et al.): ema_in_conv (3x3) -> frozen ema_mid_conv (1x1 conv, bias, no norm/act) ->
 * ema_module -> relu -> ema_out_conv (1x1, norm, no act) -> relu(+ ema_in_conv output) ->
 * bottleneck (3x3) -> [conv_cat over input and it] -> conv_seg.
 */
export class EMAHead extends BaseDecodeHead {
  readonly concatInput: boolean;
  readonly ema_module: EMAModule;
  readonly ema_in_conv: ConvModule;
  readonly ema_mid_conv: ConvModule;
  readonly ema_out_conv: ConvModule;
  readonly bottleneck: ConvModule;
  readonly conv_cat: ConvModule | null;

  constructor(options: EMAHeadOptions) {
    const { ema_channels, num_bases, num_stages, concat_input, momentum, ...base } = parseOptions(emaHeadSchema, options);
    super(base);
    if (typeof this.inChannels !== 'number') throw new ConfigError(['input_transform'], "EMAHead needs one input: use input_transform null or 'resize_concat'");
    this.concatInput = concat_input;
    const cfgs = { conv_cfg: this.convCfg, norm_cfg: this.normCfg, act_cfg: this.actCfg };
    this.ema_module = this.registerModule('ema_module', new EMAModule(ema_channels, num_bases, num_stages, momentum));
    this.ema_in_conv = this.registerModule('ema_in_conv', new ConvModule({ in_channels: this.inChannels, out_channels: ema_channels, kernel_size: 3, padding: 1, ...cfgs }));
    // Maps the ReLU output (0, inf) onto (-inf, inf); MMSeg freezes it.
    this.ema_mid_conv = this.registerModule('ema_mid_conv', new ConvModule({ in_channels: ema_channels, out_channels: ema_channels, kernel_size: 1, conv_cfg: this.convCfg, norm_cfg: null, act_cfg: null }));
    this.ema_mid_conv.requiresGrad_(false);
    this.ema_out_conv = this.registerModule('ema_out_conv', new ConvModule({ in_channels: ema_channels, out_channels: ema_channels, kernel_size: 1, conv_cfg: this.convCfg, norm_cfg: this.normCfg, act_cfg: null }));
    this.bottleneck = this.registerModule('bottleneck', new ConvModule({ in_channels: ema_channels, out_channels: this.channels, kernel_size: 3, padding: 1, ...cfgs }));
    this.conv_cat = concat_input
      ? this.registerModule('conv_cat', new ConvModule({ in_channels: this.inChannels + this.channels, out_channels: this.channels, kernel_size: 3, padding: 1, ...cfgs }))
      : null;
  }

  forward(inputs: Tensor[]): Tensor {
    return torch.tidy(() => {
      const x = this.transformInputs(inputs) as Tensor;
      const identity = this.ema_in_conv.forward(x);
      const recon = F.relu(this.ema_module.forward(this.ema_mid_conv.forward(identity)));
      let out = this.bottleneck.forward(F.relu(identity.add(this.ema_out_conv.forward(recon))));
      if (this.conv_cat) out = this.conv_cat.forward(torch.cat([x, out], 1));
      return this.clsSeg(out);
    });
  }
}
MODELS.register(EMAHead);
