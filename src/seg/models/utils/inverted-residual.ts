// InvertedResidual: MobileNetV2's block as MMSeg's (1x1 expand, 3x3 depthwise, 1x1 project; residual when shapes allow).
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { ConvModule } from './conv-module.js';

const cfg = z.object({ type: z.string() }).passthrough();

export const invertedResidualSchema = z.object({
  in_channels: z.number().int().positive(),
  out_channels: z.number().int().positive(),
  stride: z.union([z.literal(1), z.literal(2)]),
  expand_ratio: z.number().positive(),
  dilation: z.number().int().positive().default(1),
  conv_cfg: cfg.nullable().default(null),
  norm_cfg: cfg.nullable().default({ type: 'BN' }),
  act_cfg: cfg.nullable().default({ type: 'ReLU6' }),
  with_cp: z.boolean().default(false),
}).strict();

export type InvertedResidualOptions = z.input<typeof invertedResidualSchema>;

/** Python's round(): halves go to the even neighbour. */
function pyRound(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export class InvertedResidual extends nn.Module {
  readonly conv: nn.Sequential;
  readonly useResConnect: boolean;

  constructor(options: InvertedResidualOptions) {
    super();
    const o = parseOptions(invertedResidualSchema, options);
    if (o.with_cp) throw new ConfigError(['with_cp'], 'activation checkpointing (with_cp: true) is not available in segkit; use false');
    this.useResConnect = o.stride === 1 && o.in_channels === o.out_channels;
    const hidden = pyRound(o.in_channels * o.expand_ratio);
    const common = { conv_cfg: o.conv_cfg, norm_cfg: o.norm_cfg };
    const layers: ConvModule[] = [];
    if (o.expand_ratio !== 1) {
      layers.push(new ConvModule({ in_channels: o.in_channels, out_channels: hidden, kernel_size: 1, ...common, act_cfg: o.act_cfg }));
    }
    layers.push(
      new ConvModule({
        in_channels: hidden, out_channels: hidden, kernel_size: 3, stride: o.stride, padding: o.dilation, dilation: o.dilation,
        groups: hidden, ...common, act_cfg: o.act_cfg,
      }),
      new ConvModule({ in_channels: hidden, out_channels: o.out_channels, kernel_size: 1, ...common, act_cfg: null }),
    );
    this.conv = this.registerModule('conv', new nn.Sequential(...layers));
  }

  forward(x: Tensor): Tensor {
    if (!this.useResConnect) return this.conv.forward(x) as Tensor;
    return torch.tidy(() => x.add(this.conv.forward(x) as Tensor));
  }
}
