// DepthwiseSeparableConvModule: MMCV's depthwise ConvModule (groups = in_channels) then a 1x1 pointwise ConvModule.
import { z } from 'zod';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import { parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { ConvModule, convModuleSchema } from './conv-module.js';

const cfgOrDefault = z.union([z.literal('default'), z.object({ type: z.string() }).passthrough(), z.null()]).default('default');

export const depthwiseSeparableConvModuleSchema = convModuleSchema.omit({ groups: true }).extend({
  /** 'default' uses norm_cfg / act_cfg; null turns the layer off for that half. */
  dw_norm_cfg: cfgOrDefault,
  dw_act_cfg: cfgOrDefault,
  pw_norm_cfg: cfgOrDefault,
  pw_act_cfg: cfgOrDefault,
}).strict();

export type DepthwiseSeparableConvModuleOptions = z.input<typeof depthwiseSeparableConvModuleSchema>;

export class DepthwiseSeparableConvModule extends nn.Module {
  readonly depthwise_conv: ConvModule;
  readonly pointwise_conv: ConvModule;

  constructor(options: DepthwiseSeparableConvModuleOptions) {
    super();
    const o = parseOptions(depthwiseSeparableConvModuleSchema, options);
    const { in_channels, out_channels, kernel_size, stride, padding, dilation, norm_cfg, act_cfg, dw_norm_cfg, dw_act_cfg, pw_norm_cfg, pw_act_cfg, ...shared } = o;
    const pick = <T>(v: T | 'default', fallback: T): T => (v === 'default' ? fallback : v);
    this.depthwise_conv = this.registerModule('depthwise_conv', new ConvModule({
      ...shared, in_channels, out_channels: in_channels, kernel_size, stride, padding, dilation, groups: in_channels,
      norm_cfg: pick(dw_norm_cfg, norm_cfg), act_cfg: pick(dw_act_cfg, act_cfg),
    }));
    this.pointwise_conv = this.registerModule('pointwise_conv', new ConvModule({
      ...shared, in_channels, out_channels, kernel_size: 1, norm_cfg: pick(pw_norm_cfg, norm_cfg), act_cfg: pick(pw_act_cfg, act_cfg),
    }));
  }

  forward(x: Tensor): Tensor {
    const dw = this.depthwise_conv.forward(x);
    return this.pointwise_conv.forward(dw);
  }
}
MODELS.register(DepthwiseSeparableConvModule);
