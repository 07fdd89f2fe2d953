// UNet's building blocks as MMSeg names them: BasicConvBlock (convs.i), the decoder's UpConvBlock
// (conv_block, upsample) and its upsample modules InterpConv (interp_upsample) and DeconvModule.
import { z } from 'zod';
import * as nn from '../../../torch/nn/index.js';
import * as torch from '../../../torch/index.js';
import type * as F from '../../../torch/functional/index.js';
import type { Tensor } from '../../../torch/index.js';
import { ConfigError, parseOptions, type KeyPath } from '../../../engine/config/errors.js';
import { ConvModule, buildActivationLayer, buildNormLayer, resize } from '../utils/index.js';

type NormCfg = Parameters<typeof buildNormLayer>[0];
type ActCfg = Parameters<typeof buildActivationLayer>[0];
type ConvModuleOptions = ConstructorParameters<typeof ConvModule>[0];

/** The layer settings UNet hands down to every block. */
export interface UNetLayerCfg {
  convCfg: ConvModuleOptions['conv_cfg'];
  normCfg: NormCfg | null;
  actCfg: ActCfg | null;
}

/** `numConvs` 3x3 ConvModules; the first may stride, the others are dilated. */
export class BasicConvBlock extends nn.Module {
  readonly convs: nn.Sequential;

  constructor(opts: { inChannels: number; outChannels: number; numConvs?: number; stride?: number; dilation?: number } & UNetLayerCfg) {
    super();
    const { numConvs = 2, stride = 1, dilation = 1 } = opts;
    const convs: ConvModule[] = [];
    for (let i = 0; i < numConvs; i++) {
      convs.push(new ConvModule({
        in_channels: i === 0 ? opts.inChannels : opts.outChannels,
        out_channels: opts.outChannels,
        kernel_size: 3,
        stride: i === 0 ? stride : 1,
        dilation: i === 0 ? 1 : dilation,
        padding: i === 0 ? 1 : dilation,
        conv_cfg: opts.convCfg,
        norm_cfg: opts.normCfg,
        act_cfg: opts.actCfg,
      }));
    }
    this.convs = this.registerModule('convs', new nn.Sequential(...convs));
  }

  forward(x: Tensor): Tensor {
    return this.convs.forward(x) as Tensor;
  }
}

/** MMSeg's Upsample wrapper: a fixed size, or the input size times scale_factor (truncated). */
export class Upsample extends nn.Module {
  constructor(readonly opts: { size?: number[] | null; scale_factor?: number | null; mode?: F.InterpolateMode; align_corners?: boolean | null }) {
    super();
  }

  forward(x: Tensor): Tensor {
    const { size, scale_factor: scale } = this.opts;
    const target = size ?? [Math.trunc(x.size(-2) * (scale ?? 1)), Math.trunc(x.size(-1) * (scale ?? 1))];
    return resize(x, { size: target, mode: this.opts.mode ?? 'nearest', alignCorners: this.opts.align_corners ?? null });
  }
}

const interpConvSchema = z.object({
  conv_cfg: z.looseObject({ type: z.string() }).nullable().default(null),
  conv_first: z.boolean().default(false),
  kernel_size: z.number().int().positive().default(1),
  stride: z.number().int().positive().default(1),
  padding: z.number().int().nonnegative().default(0),
  upsample_cfg: z.object({
    size: z.array(z.number().int().positive()).nullable().optional(),
    scale_factor: z.number().positive().nullable().optional(),
    mode: z.enum(['nearest', 'bilinear', 'bicubic', 'area']).optional(),
    align_corners: z.boolean().nullable().optional(),
  }).strict().default({ scale_factor: 2, mode: 'bilinear', align_corners: false }),
}).strict();

/** Interpolation then a ConvModule (or the reverse with conv_first), as `interp_upsample.{0,1}`. */
export class InterpConv extends nn.Module {
  readonly interpUpsample: nn.Sequential;

  constructor(inChannels: number, outChannels: number, layer: Omit<UNetLayerCfg, 'convCfg'>, options: unknown = {}, keyPath: KeyPath = []) {
    super();
    const cfg = parseOptions(interpConvSchema, options, keyPath);
    const conv = new ConvModule({
      in_channels: inChannels, out_channels: outChannels, kernel_size: cfg.kernel_size, stride: cfg.stride, padding: cfg.padding,
      conv_cfg: cfg.conv_cfg as ConvModuleOptions['conv_cfg'], norm_cfg: layer.normCfg, act_cfg: layer.actCfg,
    });
    const upsample = new Upsample(cfg.upsample_cfg);
    this.interpUpsample = this.registerModule('interp_upsample', cfg.conv_first ? new nn.Sequential(conv, upsample) : new nn.Sequential(upsample, conv));
  }

  forward(x: Tensor): Tensor {
    return this.interpUpsample.forward(x) as Tensor;
  }
}

const deconvSchema = z.object({
  kernel_size: z.number().int().positive().default(4),
  scale_factor: z.number().int().positive().default(2),
}).strict();

/** Transposed conv + norm + activation, as `deconv_upsamping.{0,1,2}` (MMSeg's spelling). */
export class DeconvModule extends nn.Module {
  readonly deconvUpsamping: nn.Sequential;

  constructor(inChannels: number, outChannels: number, layer: Omit<UNetLayerCfg, 'convCfg'>, options: unknown = {}, keyPath: KeyPath = []) {
    super();
    const { kernel_size: k, scale_factor: s } = parseOptions(deconvSchema, options, keyPath);
    if (k < s || (k - s) % 2 !== 0) {
      throw new ConfigError([...keyPath, 'kernel_size'], `must be >= scale_factor with an even difference, got kernel_size ${k} and scale_factor ${s}`);
    }
    if (!layer.normCfg || !layer.actCfg) throw new ConfigError(keyPath, 'DeconvModule needs norm_cfg and act_cfg');
    const deconv = new nn.ConvTranspose2d(inChannels, outChannels, k, { stride: s, padding: (k - s) / 2 });
    this.deconvUpsamping = this.registerModule('deconv_upsamping', new nn.Sequential(
      deconv, buildNormLayer(layer.normCfg, outChannels)[1], buildActivationLayer(layer.actCfg)));
  }

  forward(x: Tensor): Tensor {
    return this.deconvUpsamping.forward(x) as Tensor;
  }
}

/** The upsample module named by a UNet `upsample_cfg` ({type: 'InterpConv' | 'DeconvModule', ...}). */
export function buildUpsampleLayer(cfg: Record<string, unknown>, inChannels: number, outChannels: number, layer: UNetLayerCfg, keyPath: KeyPath): nn.Module {
  const { type, ...rest } = cfg;
  if (type === 'InterpConv') return new InterpConv(inChannels, outChannels, layer, rest, keyPath);
  if (type === 'DeconvModule') return new DeconvModule(inChannels, outChannels, layer, rest, keyPath);
  throw new ConfigError([...keyPath, 'type'], `expected 'InterpConv' | 'DeconvModule', got ${JSON.stringify(type)}`);
}

/**
 * One decoder stage: upsample the deeper feature to the skip's size and channels, concatenate
 * [skip, upsampled] and fuse them with a BasicConvBlock. Without upsample_cfg a 1x1 ConvModule
 * only matches the channels (the stage did not downsample).
 */
export class UpConvBlock extends nn.Module {
  readonly convBlock: BasicConvBlock;
  readonly upsample: nn.Module;

  constructor(opts: {
    inChannels: number; skipChannels: number; outChannels: number; numConvs?: number; stride?: number; dilation?: number;
    upsampleCfg: Record<string, unknown> | null; keyPath?: KeyPath;
  } & UNetLayerCfg) {
    super();
    const layer = { convCfg: opts.convCfg, normCfg: opts.normCfg, actCfg: opts.actCfg };
    this.convBlock = this.registerModule('conv_block', new BasicConvBlock({
      ...layer, inChannels: 2 * opts.skipChannels, outChannels: opts.outChannels, numConvs: opts.numConvs, stride: opts.stride, dilation: opts.dilation,
    }));
    this.upsample = this.registerModule('upsample', opts.upsampleCfg
      ? buildUpsampleLayer(opts.upsampleCfg, opts.inChannels, opts.skipChannels, layer, opts.keyPath ?? ['upsample_cfg'])
      : new ConvModule({
        in_channels: opts.inChannels, out_channels: opts.skipChannels, kernel_size: 1,
        conv_cfg: opts.convCfg, norm_cfg: opts.normCfg, act_cfg: opts.actCfg,
      }));
  }

  forward(skip: Tensor, x: Tensor): Tensor {
    const up = this.upsample.forward(x) as Tensor;
    return this.convBlock.forward(torch.cat([skip, up], 1));
  }
}
