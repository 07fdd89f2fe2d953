// buildConvLayer and buildPaddingLayer: MMCV's conv/padding builders (conv_cfg null means Conv2d).
import { z } from 'zod';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import * as F from '../../../torch/functional/index.js';
import { parseOptions, type KeyPath } from '../../../engine/config/errors.js';

export type IntPair = number | [number, number] | readonly number[];

export interface ConvLayerOptions {
  stride?: IntPair;
  padding?: IntPair;
  dilation?: IntPair;
  groups?: number;
  bias?: boolean;
}

const convCfgSchema = z.object({ type: z.enum(['Conv', 'Conv2d']) }).strict();
export type ConvCfg = z.input<typeof convCfgSchema>;

/** A 2-D convolution as build_conv_layer(conv_cfg, in, out, kernel, **opts) builds it ('Conv' and 'Conv2d' are nn.Conv2d). */
export function buildConvLayer(cfg: ConvCfg | null | undefined, inChannels: number, outChannels: number, kernelSize: IntPair,
  opts: ConvLayerOptions = {}, keyPath: KeyPath = ['conv_cfg']): nn.Conv2d {
  if (cfg !== null && cfg !== undefined) parseOptions(convCfgSchema, cfg, keyPath);
  return new nn.Conv2d(inChannels, outChannels, kernelSize, {
    stride: opts.stride ?? 1, padding: opts.padding ?? 0, dilation: opts.dilation ?? 1, groups: opts.groups ?? 1, bias: opts.bias ?? true,
  });
}

export type PaddingType = 'zero' | 'reflect' | 'replicate';

/** nn.ZeroPad2d / ReflectionPad2d / ReplicationPad2d: pads H and W by `padding` ([left, right, top, bottom] or one number). */
export class Pad2d extends nn.Module {
  readonly amounts: number[];
  constructor(readonly type: PaddingType, padding: number | readonly number[]) {
    super();
    if (typeof padding === 'number') this.amounts = [padding, padding, padding, padding];
    else if (padding.length === 2) this.amounts = [padding[1]!, padding[1]!, padding[0]!, padding[0]!];
    else if (padding.length === 4) this.amounts = [...padding];
    else throw new RangeError(`Pad2d: padding must be one number, [h, w] or [left, right, top, bottom], got ${JSON.stringify(padding)}`);
  }
  forward(x: Tensor): Tensor {
    return F.pad(x, this.amounts, this.type === 'zero' ? 'constant' : this.type);
  }
}

/**
 * MMCV's build_padding_layer({type}, padding). A pair (h, w) pads h on top and bottom and w
 * left and right, as the conv padding it replaces.
 */
export function buildPaddingLayer(type: PaddingType, padding: IntPair): Pad2d {
  return new Pad2d(type, padding);
}
