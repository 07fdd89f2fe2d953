// MMSeg's MobileNetV2 backbone: a stride-2 ConvModule stem and seven stages of InvertedResidual blocks.
import { z } from 'zod';
import * as nn from '../../../torch/nn/index.js';
import type { Tensor } from '../../../torch/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { ConvModule, InvertedResidual, makeDivisible } from '../utils/index.js';
import { BaseModule, initCfgSchema, type InitCfgInput } from '../init/index.js';
import { checkBackboneInit, keepFrozenAndNormEval } from './backbone-common.js';

type ConvModuleOptions = ConstructorParameters<typeof ConvModule>[0];

const int = z.number().int();
/** A layer config ({type, ...}); the layer builders check the rest. */
const cfgObject = z.looseObject({ type: z.string() });

export const mobileNetV2Schema = z.object({
  widen_factor: z.number().positive().default(1),
  strides: z.array(z.union([z.literal(1), z.literal(2)])).default([1, 2, 2, 2, 1, 2, 1]),
  dilations: z.array(int.positive()).default([1, 1, 1, 1, 1, 1, 1]),
  out_indices: z.array(int).default([1, 2, 4, 6]),
  frozen_stages: int.default(-1),
  conv_cfg: cfgObject.nullable().default(null),
  norm_cfg: cfgObject.nullable().default({ type: 'BN' }),
  act_cfg: cfgObject.nullable().default({ type: 'ReLU6' }),
  norm_eval: z.boolean().default(false),
  /** Gradient checkpointing only saves memory; accepted and ignored. */
  with_cp: z.boolean().default(false),
  pretrained: z.string().nullable().default(null),
  init_cfg: initCfgSchema,
}).strict();

export type MobileNetV2Options = z.input<typeof mobileNetV2Schema>;
type MobileNetV2Config = z.output<typeof mobileNetV2Schema>;

/** Per stage: expand ratio, output channels (before widen_factor), number of blocks. */
const ARCH_SETTINGS: readonly [number, number, number][] = [[1, 16, 1], [6, 24, 2], [6, 32, 3], [6, 64, 4], [6, 96, 3], [6, 160, 3], [6, 320, 1]];

function checkConfig(cfg: MobileNetV2Config): void {
  const n = ARCH_SETTINGS.length;
  if (cfg.strides.length !== n) throw new ConfigError(['strides'], `expected ${n} entries, got ${cfg.strides.length}`);
  if (cfg.dilations.length !== n) throw new ConfigError(['dilations'], `expected ${n} entries, got ${cfg.dilations.length}`);
  const bad = cfg.out_indices.find((i) => i < 0 || i >= n);
  if (bad !== undefined) throw new ConfigError(['out_indices'], `each index must be in 0..6, got ${bad}`);
  if (cfg.frozen_stages < -1 || cfg.frozen_stages >= n) throw new ConfigError(['frozen_stages'], `must be in -1..6, got ${cfg.frozen_stages}`);
  checkBackboneInit({ init_cfg: cfg.init_cfg, pretrained: cfg.pretrained });
}

/**
 * MobileNetV2 with MMSeg's names: conv1 (ConvModule) and layer1..layer7 (Sequential of
 * InvertedResidual, `layerK.i.conv.j.{conv,bn}`). Only the first block of a stage strides
 * and dilates. forward returns the outputs of the stages in out_indices (always a list).
 */
export class MobileNetV2 extends BaseModule {
  readonly cfg: MobileNetV2Config;
  readonly conv1: ConvModule;
  readonly layers: string[] = [];

  constructor(options: MobileNetV2Options = {}) {
    const cfg = parseOptions(mobileNetV2Schema, options);
    checkConfig(cfg);
    super(cfg.pretrained !== null
      ? { type: 'Pretrained', checkpoint: cfg.pretrained }
      : cfg.init_cfg === null
        ? [{ type: 'Kaiming', layer: 'Conv2d' }, { type: 'Constant', val: 1, layer: ['_BatchNorm', 'GroupNorm'] }]
        : (cfg.init_cfg as InitCfgInput));
    this.cfg = cfg;
    const layerCfg = {
      conv_cfg: cfg.conv_cfg as ConvModuleOptions['conv_cfg'],
      norm_cfg: cfg.norm_cfg as ConvModuleOptions['norm_cfg'],
      act_cfg: cfg.act_cfg as ConvModuleOptions['act_cfg'],
    };
    let inChannels = makeDivisible(32 * cfg.widen_factor, 8);
    this.conv1 = this.registerModule('conv1', new ConvModule({ in_channels: 3, out_channels: inChannels, kernel_size: 3, stride: 2, padding: 1, ...layerCfg }));
    ARCH_SETTINGS.forEach(([expandRatio, channel, numBlocks], i) => {
      const outChannels = makeDivisible(channel * cfg.widen_factor, 8);
      const blocks: nn.Module[] = [];
      for (let b = 0; b < numBlocks; b++) {
        blocks.push(new InvertedResidual({
          in_channels: inChannels, out_channels: outChannels, stride: b === 0 ? cfg.strides[i]! : 1,
          expand_ratio: expandRatio, dilation: b === 0 ? cfg.dilations[i]! : 1, ...layerCfg,
        }));
        inChannels = outChannels;
      }
      this.registerModule(`layer${i + 1}`, new nn.Sequential(...blocks));
      this.layers.push(`layer${i + 1}`);
    });
  }

  forward(x: Tensor): Tensor[] {
    let out = this.conv1.forward(x);
    const outs: Tensor[] = [];
    this.layers.forEach((name, i) => {
      out = this.getSubmodule(name).forward(out) as Tensor;
      if (this.cfg.out_indices.includes(i)) outs.push(out);
    });
    return outs;
  }

  /** Stops the gradients of conv1 and layer1..frozen_stages; the frozen layers stay in eval mode. */
  private freezeStages(): void {
    if (this.cfg.frozen_stages >= 0) this.conv1.requiresGrad_(false);
    for (let i = 1; i <= this.cfg.frozen_stages; i++) {
      const layer = this.getSubmodule(`layer${i}`);
      layer.eval();
      layer.requiresGrad_(false);
    }
  }

  override train(mode = true): this {
    super.train(mode);
    keepFrozenAndNormEval(this, mode, this.cfg.norm_eval, () => this.freezeStages());
    return this;
  }

  // initWeights (BaseModule): Kaiming (fan_out) convs and unit norms by default, then conv1's
  // own ConvModule init (the layers are plain Sequentials, which MMEngine does not enter).
}

MODELS.register(MobileNetV2);
