// ContextBlock: MMCV's GCNet global context block (attention or average pooling, channel add / mul fusion), as GCHead uses it.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import * as F from '../../../torch/functional/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { constantInit, kaimingInit } from '../init/weight-init.js';

export const contextBlockSchema = z.object({
  in_channels: z.number().int().positive(),
  /** Bottleneck channels = int(in_channels * ratio). */
  ratio: z.number().positive(),
  pooling_type: z.enum(['att', 'avg']).default('att'),
  fusion_types: z.array(z.enum(['channel_add', 'channel_mul'])).min(1, 'at least one fusion should be used').default(['channel_add']),
}).strict();

export type ContextBlockOptions = z.input<typeof contextBlockSchema>;

/**
 * context = attention-weighted (softmax over positions of conv_mask) or average pooling of x to
 * [N, C, 1, 1]; out = x * sigmoid(channel_mul_conv(context)) + channel_add_conv(context).
 * Each transform is Sequential(Conv2d, LayerNorm([planes, 1, 1]), ReLU, Conv2d), as MMCV names them.
 */
export class ContextBlock extends nn.Module {
  readonly inChannels: number;
  readonly planes: number;
  readonly poolingType: 'att' | 'avg';
  readonly conv_mask: nn.Conv2d | null;
  readonly channel_add_conv: nn.Sequential | null;
  readonly channel_mul_conv: nn.Sequential | null;

  constructor(options: ContextBlockOptions) {
    super();
    const o = parseOptions(contextBlockSchema, options);
    this.inChannels = o.in_channels;
    this.planes = Math.trunc(o.in_channels * o.ratio);
    if (this.planes < 1) throw new ConfigError(['ratio'], `gives int(in_channels * ratio) = ${this.planes} bottleneck channels for in_channels ${o.in_channels}; expected at least 1`);
    this.poolingType = o.pooling_type;
    this.conv_mask = o.pooling_type === 'att' ? this.registerModule('conv_mask', new nn.Conv2d(o.in_channels, 1, 1)) : null;
    if (o.pooling_type === 'avg') this.registerModule('avg_pool', new nn.AdaptiveAvgPool2d(1));
    const transform = (): nn.Sequential => new nn.Sequential(
      new nn.Conv2d(this.inChannels, this.planes, 1),
      new nn.LayerNorm([this.planes, 1, 1]),
      new nn.ReLU({ inplace: true }),
      new nn.Conv2d(this.planes, this.inChannels, 1));
    this.channel_add_conv = o.fusion_types.includes('channel_add') ? this.registerModule('channel_add_conv', transform()) : null;
    this.channel_mul_conv = o.fusion_types.includes('channel_mul') ? this.registerModule('channel_mul_conv', transform()) : null;
    this.resetParameters();
  }

  /**
   * MMCV's reset_parameters: kaiming (fan_in) conv_mask, and the last conv of each transform at
   * zero so the block starts as the identity. (Not init_weights: MMEngine does not re-run it.)
   */
  resetParameters(): void {
    if (this.conv_mask) kaimingInit(this.conv_mask, { mode: 'fan_in' });
    for (const t of [this.channel_add_conv, this.channel_mul_conv]) if (t) constantInit(t.children()[3]!, 0);
  }

  /** [N, C, 1, 1] context. */
  spatialPool(x: Tensor): Tensor {
    const [n, c, h, w] = x.shape as [number, number, number, number];
    if (!this.conv_mask) return F.adaptiveAvgPool2d(x, 1);
    const mask = F.softmax(this.conv_mask.forward(x).view(n, 1, h * w), 2).unsqueeze(-1);
    return x.view(n, c, h * w).unsqueeze(1).matmul(mask).view(n, c, 1, 1);
  }

  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      const context = this.spatialPool(x);
      let out = x;
      if (this.channel_mul_conv) out = out.mul((this.channel_mul_conv.forward(context) as Tensor).sigmoid());
      if (this.channel_add_conv) out = out.add(this.channel_add_conv.forward(context) as Tensor);
      return out;
    });
  }
}
