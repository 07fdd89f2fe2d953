// MMSeg's UNet backbone: an encoder of BasicConvBlocks (max-pool or strided downsampling) and a
// decoder of UpConvBlocks; forward returns the decoder outputs, deepest first.
import { z } from 'zod';
import * as nn from '../../../torch/nn/index.js';
import type { Tensor } from '../../../torch/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { BasicConvBlock, UpConvBlock, type UNetLayerCfg } from './unet-blocks.js';
import { BaseModule, initCfgSchema, type InitCfgInput } from '../init/index.js';
import { checkBackboneInit, keepFrozenAndNormEval } from './backbone-common.js';

const int = z.number().int();
/** A layer config ({type, ...}); the layer builders check the rest. */
const cfgObject = z.looseObject({ type: z.string() });

export const unetSchema = z.object({
  in_channels: int.positive().default(3),
  base_channels: int.positive().default(64),
  num_stages: int.min(1).default(5),
  strides: z.array(z.union([z.literal(1), z.literal(2)])).default([1, 1, 1, 1, 1]),
  enc_num_convs: z.array(int.positive()).default([2, 2, 2, 2, 2]),
  dec_num_convs: z.array(int.positive()).default([2, 2, 2, 2]),
  downsamples: z.array(z.boolean()).default([true, true, true, true]),
  enc_dilations: z.array(int.positive()).default([1, 1, 1, 1, 1]),
  dec_dilations: z.array(int.positive()).default([1, 1, 1, 1]),
  /** Gradient checkpointing only saves memory; accepted and ignored. */
  with_cp: z.boolean().default(false),
  conv_cfg: cfgObject.nullable().default(null),
  norm_cfg: cfgObject.nullable().default({ type: 'BN' }),
  act_cfg: cfgObject.nullable().default({ type: 'ReLU' }),
  upsample_cfg: cfgObject.nullable().default({ type: 'InterpConv' }),
  norm_eval: z.boolean().default(false),
  dcn: z.null().default(null),
  plugins: z.null().default(null),
  pretrained: z.string().nullable().default(null),
  init_cfg: initCfgSchema,
}).strict();

export type UNetOptions = z.input<typeof unetSchema>;
type UNetConfig = z.output<typeof unetSchema>;

function checkLengths(cfg: UNetConfig): void {
  const n = cfg.num_stages;
  const expect: [keyof UNetConfig, number][] = [
    ['strides', n], ['enc_num_convs', n], ['enc_dilations', n], ['dec_num_convs', n - 1], ['downsamples', n - 1], ['dec_dilations', n - 1],
  ];
  for (const [key, len] of expect) {
    const got = (cfg[key] as unknown[]).length;
    if (got !== len) throw new ConfigError([key], `expected ${len} entries (num_stages ${n}${len < n ? ' - 1' : ''}), got ${got}`);
  }
  checkBackboneInit({ init_cfg: cfg.init_cfg, pretrained: cfg.pretrained });
}

/**
 * UNet (Ronneberger et al.) as MMSeg builds it: encoder.i is [MaxPool2d?, BasicConvBlock],
 * decoder.i joins encoder output i with the upsampled deeper feature. The input's height and
 * width must be divisible by the encoder's total downsampling.
 */
export class UNet extends BaseModule {
  readonly cfg: UNetConfig;
  readonly encoder: nn.ModuleList<nn.Sequential>;
  readonly decoder: nn.ModuleList<UpConvBlock>;

  constructor(options: UNetOptions = {}) {
    const cfg = parseOptions(unetSchema, options);
    checkLengths(cfg);
    super(cfg.pretrained !== null
      ? { type: 'Pretrained', checkpoint: cfg.pretrained }
      : cfg.init_cfg === null
        ? [{ type: 'Kaiming', layer: 'Conv2d' }, { type: 'Constant', val: 1, layer: ['_BatchNorm', 'GroupNorm'] }]
        : (cfg.init_cfg as InitCfgInput));
    this.cfg = cfg;
    const layer = { convCfg: cfg.conv_cfg, normCfg: cfg.norm_cfg, actCfg: cfg.act_cfg } as UNetLayerCfg;
    this.encoder = this.registerModule('encoder', new nn.ModuleList<nn.Sequential>());
    this.decoder = this.registerModule('decoder', new nn.ModuleList<UpConvBlock>());
    let inChannels = cfg.in_channels;
    const base = cfg.base_channels;
    for (let i = 0; i < cfg.num_stages; i++) {
      const parts: nn.Module[] = [];
      if (i !== 0) {
        const pooled = cfg.strides[i] === 1 && cfg.downsamples[i - 1]!;
        if (pooled) parts.push(new nn.MaxPool2d(2));
        const upsample = cfg.strides[i] !== 1 || cfg.downsamples[i - 1]!;
        this.decoder.append(new UpConvBlock({
          ...layer,
          inChannels: base * 2 ** i, skipChannels: base * 2 ** (i - 1), outChannels: base * 2 ** (i - 1),
          numConvs: cfg.dec_num_convs[i - 1], stride: 1, dilation: cfg.dec_dilations[i - 1],
          upsampleCfg: upsample ? cfg.upsample_cfg : null, keyPath: ['upsample_cfg'],
        }));
      }
      parts.push(new BasicConvBlock({
        ...layer, inChannels, outChannels: base * 2 ** i, numConvs: cfg.enc_num_convs[i], stride: cfg.strides[i], dilation: cfg.enc_dilations[i],
      }));
      this.encoder.append(new nn.Sequential(...parts));
      inChannels = base * 2 ** i;
    }
  }

  /** 2 to the number of stages that halve the resolution. */
  get wholeDownsampleRate(): number {
    let rate = 1;
    for (let i = 1; i < this.cfg.num_stages; i++) if (this.cfg.strides[i] === 2 || this.cfg.downsamples[i - 1]) rate *= 2;
    return rate;
  }

  forward(x: Tensor): Tensor[] {
    const [h, w] = [x.size(-2), x.size(-1)];
    const rate = this.wholeDownsampleRate;
    if (h % rate !== 0 || w % rate !== 0) {
      throw new RangeError(`UNet: the input size (${h}, ${w}) must be divisible by the whole downsample rate ${rate} (num_stages ${this.cfg.num_stages}, strides [${this.cfg.strides.join(', ')}], downsamples [${this.cfg.downsamples.join(', ')}])`);
    }
    const encOuts: Tensor[] = [];
    let out = x;
    for (const enc of this.encoder) {
      out = enc.forward(out) as Tensor;
      encOuts.push(out);
    }
    const decOuts = [out];
    for (let i = this.decoder.length - 1; i >= 0; i--) {
      out = this.decoder.at(i).forward(encOuts[i]!, out);
      decOuts.push(out);
    }
    return decOuts;
  }

  /** With norm_eval, batch norms stay in eval mode while the rest trains. */
  override train(mode = true): this {
    super.train(mode);
    keepFrozenAndNormEval(this, mode, this.cfg.norm_eval);
    return this;
  }

  // initWeights (BaseModule): Kaiming (fan_out) convs and unit norms by default, or init_cfg.
}

MODELS.register(UNet);
