// PatchEmbed and AdaptivePadding: MMSeg's image-to-token embedding (a `projection` conv, optional `norm`).
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import * as F from '../../../torch/functional/index.js';
import { parseOptions } from '../../../engine/config/errors.js';
import { BaseModule } from '../init/base-module.js';
import type { InitCfgInput } from '../init/initialize.js';
import { buildConvLayer } from './conv.js';
import { buildNormLayer, type NormCfg } from './norm.js';

const pair = (v: number | readonly number[]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0]!, v[1] ?? v[0]!]);
const intOrPair = z.union([z.number().int().nonnegative(), z.array(z.number().int().nonnegative()).length(2)]);

/**
 * Pads the input so a kernel with this stride covers it fully: 'corner' pads bottom/right,
 * 'same' pads both sides (TensorFlow's SAME).
 */
export class AdaptivePadding extends nn.Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly dilation: [number, number];
  readonly padding: 'same' | 'corner';

  constructor(opts: { kernel_size?: number | number[]; stride?: number | number[]; dilation?: number | number[]; padding?: 'same' | 'corner' } = {}) {
    super();
    this.kernelSize = pair(opts.kernel_size ?? 1);
    this.stride = pair(opts.stride ?? 1);
    this.dilation = pair(opts.dilation ?? 1);
    this.padding = opts.padding ?? 'corner';
    if (this.padding !== 'same' && this.padding !== 'corner') throw new RangeError(`AdaptivePadding: padding must be 'same' | 'corner', got '${String(this.padding)}'`);
  }

  /** [pad_h, pad_w] for an input of [h, w]. */
  getPadShape(inputShape: readonly number[]): [number, number] {
    const pad = (i: 0 | 1): number => {
      const out = Math.ceil(inputShape[i]! / this.stride[i]);
      return Math.max((out - 1) * this.stride[i] + (this.kernelSize[i] - 1) * this.dilation[i] + 1 - inputShape[i]!, 0);
    };
    return [pad(0), pad(1)];
  }

  forward(x: Tensor): Tensor {
    const [padH, padW] = this.getPadShape(x.shape.slice(-2));
    if (padH === 0 && padW === 0) return x;
    if (this.padding === 'corner') return F.pad(x, [0, padW, 0, padH]);
    return F.pad(x, [Math.floor(padW / 2), padW - Math.floor(padW / 2), Math.floor(padH / 2), padH - Math.floor(padH / 2)]);
  }
}

export const patchEmbedSchema = z.object({
  in_channels: z.number().int().positive().default(3),
  embed_dims: z.number().int().positive().default(768),
  conv_type: z.enum(['Conv2d', 'Conv']).default('Conv2d'),
  kernel_size: intOrPair.default(16),
  /** null: the kernel size. */
  stride: intOrPair.nullable().default(null),
  /** 'corner' | 'same': adaptive padding before the conv (whose own padding is then 0). */
  padding: z.union([z.enum(['corner', 'same']), intOrPair]).default('corner'),
  dilation: intOrPair.default(1),
  bias: z.boolean().default(true),
  norm_cfg: z.object({ type: z.string() }).passthrough().nullable().default(null),
  input_size: intOrPair.nullable().default(null),
  init_cfg: z.any().default(null),
}).strict();

export type PatchEmbedOptions = z.input<typeof patchEmbedSchema>;

/** Conv patches -> tokens: forward(x) gives [tokens [B, h*w, C], [h, w]]. */
export class PatchEmbed extends BaseModule {
  readonly embedDims: number;
  readonly adaptivePadding: AdaptivePadding | null;
  readonly projection: nn.Conv2d;
  readonly norm: nn.Module | null;
  /** The input size given in the options, and the token grid it gives (MMSeg's init_input_size / init_out_size). */
  readonly initInputSize: [number, number] | null;
  readonly initOutSize: [number, number] | null;

  constructor(options: PatchEmbedOptions = {}) {
    const o = parseOptions(patchEmbedSchema, options);
    super(o.init_cfg as InitCfgInput);
    this.embedDims = o.embed_dims;
    const kernel = pair(o.kernel_size);
    const stride = pair(o.stride ?? o.kernel_size);
    const dilation = pair(o.dilation);
    let padding: [number, number];
    if (typeof o.padding === 'string') {
      this.adaptivePadding = this.registerModule('adaptive_padding', new AdaptivePadding({ kernel_size: kernel, stride, dilation, padding: o.padding }));
      padding = [0, 0];
    } else {
      this.adaptivePadding = null;
      padding = pair(o.padding);
    }
    this.projection = this.registerModule('projection', buildConvLayer({ type: o.conv_type }, o.in_channels, o.embed_dims, kernel, { stride, padding, dilation, bias: o.bias }));
    this.norm = o.norm_cfg ? this.registerModule('norm', buildNormLayer(o.norm_cfg as NormCfg, o.embed_dims, '', ['norm_cfg'])[1]) : null;
    if (o.input_size !== null) {
      const input = pair(o.input_size);
      this.initInputSize = input;
      const [padH, padW] = this.adaptivePadding ? this.adaptivePadding.getPadShape(input) : [0, 0];
      const size = [input[0] + padH, input[1] + padW];
      const out = (i: 0 | 1): number => Math.floor((size[i]! + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1) / stride[i]) + 1;
      this.initOutSize = [out(0), out(1)];
    } else {
      this.initInputSize = null;
      this.initOutSize = null;
    }
  }

  forward(x: Tensor): [Tensor, [number, number]] {
    let hw: [number, number] = [0, 0];
    const tokens = torch.tidy(() => {
      const padded = this.adaptivePadding ? this.adaptivePadding.forward(x) : x;
      const y = this.projection.forward(padded);
      hw = [y.size(2), y.size(3)];
      const seq = y.flatten(2).transpose(1, 2);
      return this.norm ? (this.norm.forward(seq) as Tensor) : seq;
    });
    return [tokens, hw];
  }
}
