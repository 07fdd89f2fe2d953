// ConvModule: MMCV's conv / norm / activation block (bias='auto', order, padding_mode, init as MMCV).
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import * as F from '../../../torch/functional/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { constantInit, kaimingInit } from '../init/weight-init.js';
import { buildNormLayer, type NormCfg } from './norm.js';
import { buildActivationLayer, NO_INPLACE_ACTIVATIONS, type ActCfg } from './activation.js';
import { buildConvLayer, buildPaddingLayer, type ConvCfg } from './conv.js';

const intPair = z.union([z.number().int().nonnegative(), z.array(z.number().int().nonnegative()).length(2)]);
const layerOrder = z.enum(['conv', 'norm', 'act']);

export const convModuleSchema = z.object({
  in_channels: z.number().int().positive(),
  out_channels: z.number().int().positive(),
  kernel_size: intPair,
  stride: intPair.default(1),
  padding: intPair.default(0),
  dilation: intPair.default(1),
  groups: z.number().int().positive().default(1),
  /** 'auto': a bias exactly when there is no norm layer. */
  bias: z.union([z.boolean(), z.literal('auto')]).default('auto'),
  conv_cfg: z.object({ type: z.string() }).passthrough().nullable().default(null),
  norm_cfg: z.object({ type: z.string() }).passthrough().nullable().default(null),
  act_cfg: z.object({ type: z.string() }).passthrough().nullable().default({ type: 'ReLU' }),
  /** Default `inplace` of the activation (not for Tanh, PReLU, Sigmoid, HSigmoid, Swish, GELU). */
  inplace: z.boolean().default(true),
  with_spectral_norm: z.literal(false).default(false),
  padding_mode: z.enum(['zeros', 'circular', 'reflect', 'replicate']).default('zeros'),
  order: z.tuple([layerOrder, layerOrder, layerOrder]).default(['conv', 'norm', 'act']),
  /** Folds an eval-mode BatchNorm into the conv weights (arXiv 2305.11624); same result, less memory. */
  efficient_conv_bn_eval: z.boolean().default(false),
}).strict();

export type ConvModuleOptions = z.input<typeof convModuleSchema>;
/** A conv/norm/act sub-config as components pass them on: `{ type, ...arguments }`. */
export type LayerCfg = { type: string; [key: string]: unknown };

/**
 * A conv layer (`conv`), an optional norm layer named by its type (`bn`, `gn`, ...), and an
 * optional activation (`activate`), run in `order`. Parameter names equal MMCV's.
 */
export class ConvModule extends nn.Module {
  readonly conv: nn.Conv2d;
  readonly normName: string | null;
  readonly activate: nn.Module | null;
  readonly paddingLayer: nn.Module | null;
  readonly order: readonly ('conv' | 'norm' | 'act')[];
  readonly withNorm: boolean;
  readonly withActivation: boolean;
  readonly withBias: boolean;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly actCfg: Record<string, unknown> | null;
  efficientConvBnEval: boolean;

  constructor(options: ConvModuleOptions) {
    super();
    const o = parseOptions(convModuleSchema, options);
    if (new Set(o.order).size !== 3) throw new ConfigError(['order'], `must hold 'conv', 'norm' and 'act' once each, got ${JSON.stringify(o.order)}`);
    this.order = o.order;
    this.inChannels = o.in_channels;
    this.outChannels = o.out_channels;
    this.withNorm = o.norm_cfg !== null;
    this.withActivation = o.act_cfg !== null;
    this.actCfg = o.act_cfg;
    this.withBias = o.bias === 'auto' ? !this.withNorm : o.bias;
    // MMCV pads with its own layer only for modes nn.Conv2d lacks there; 'circular' is not passed on to the conv.
    const explicitPadding = o.padding_mode === 'reflect' || o.padding_mode === 'replicate';
    this.paddingLayer = explicitPadding
      ? this.registerModule('padding_layer', buildPaddingLayer(o.padding_mode as 'reflect' | 'replicate', o.padding))
      : null;
    this.conv = this.registerModule('conv', buildConvLayer(o.conv_cfg as ConvCfg | null, o.in_channels, o.out_channels, o.kernel_size, {
      stride: o.stride, padding: explicitPadding ? 0 : o.padding, dilation: o.dilation, groups: o.groups, bias: this.withBias,
    }));
    if (o.norm_cfg) {
      const normChannels = o.order.indexOf('norm') > o.order.indexOf('conv') ? o.out_channels : o.in_channels;
      const [name, norm] = buildNormLayer(o.norm_cfg as NormCfg, normChannels, '', ['norm_cfg']);
      this.normName = name;
      this.registerModule(name, norm);
    } else {
      this.normName = null;
    }
    if (o.act_cfg) {
      const act = { ...o.act_cfg } as ActCfg;
      if (!NO_INPLACE_ACTIVATIONS.includes(act.type) && act.inplace === undefined) act.inplace = o.inplace;
      this.activate = this.registerModule('activate', buildActivationLayer(act, ['act_cfg']));
    } else {
      this.activate = null;
    }
    this.efficientConvBnEval = o.efficient_conv_bn_eval;
    this.initWeights();
  }

  /** The norm layer (null without norm_cfg). */
  get norm(): nn.Module | null {
    return this.normName === null ? null : this.getSubmodule(this.normName);
  }

  /** MMCV's init: kaiming normal (fan_out) for the conv, with LeakyReLU's slope; norm weight 1, bias 0. */
  initWeights(): void {
    const leaky = this.withActivation && this.actCfg?.type === 'LeakyReLU';
    const a = leaky ? ((this.actCfg?.negative_slope as number | undefined) ?? 0.01) : 0;
    kaimingInit(this.conv, { a, nonlinearity: leaky ? 'leaky_relu' : 'relu' });
    const norm = this.norm;
    if (norm) constantInit(norm, 1, 0);
  }

  forward(x: Tensor, opts: { activate?: boolean; norm?: boolean } = {}): Tensor {
    const useNorm = opts.norm ?? true;
    const useAct = opts.activate ?? true;
    let out = x;
    for (let i = 0; i < this.order.length; i++) {
      const layer = this.order[i]!;
      if (layer === 'conv') {
        if (this.paddingLayer) out = this.paddingLayer.forward(out) as Tensor;
        const norm = this.norm;
        if (this.order[i + 1] === 'norm' && useNorm && norm instanceof nn.BatchNormBase && this.efficientConvBnEval && !norm.training && norm.trackRunningStats) {
          out = this.#convBnEval(out, norm);
          i++;
        } else {
          out = this.conv.forward(out);
        }
      } else if (layer === 'norm' && useNorm && this.normName !== null) {
        out = this.norm!.forward(out) as Tensor;
      } else if (layer === 'act' && useAct && this.activate) {
        out = this.activate.forward(out) as Tensor;
      }
    }
    return out;
  }

  /** conv then eval-mode BN as one conv: weight * gamma / sqrt(var + eps), bias folded likewise. */
  #convBnEval(x: Tensor, bn: nn.BatchNormBase): Tensor {
    return torch.tidy(() => {
      const conv = this.conv;
      const coeff = bn.runningVar!.add(bn.eps).rsqrt();
      const scale = bn.weight ? coeff.mul(bn.weight) : coeff;
      const weight = conv.weight.mul(scale.reshape(-1, 1, 1, 1));
      const convBias = conv.bias ?? torch.zerosLike(bn.runningMean!);
      const shifted = convBias.sub(bn.runningMean!).mul(scale);
      const bias = bn.bias ? shifted.add(bn.bias) : shifted;
      return F.conv2d(x, weight, bias, { stride: conv.stride, padding: conv.padding, dilation: conv.dilation, groups: conv.groups });
    });
  }
}
MODELS.register(ConvModule);
