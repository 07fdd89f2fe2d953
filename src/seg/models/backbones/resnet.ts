// MMSeg's ResNet backbone (and ResNetV1c / ResNetV1d): dilated stages, deep stem, frozen stages, norm_eval.
import { z } from 'zod';
import * as nn from '../../../torch/nn/index.js';
import type { Tensor } from '../../../torch/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { buildConvLayer, buildNormLayer, type ConvCfg, type NormCfg } from '../utils/index.js';
import { BaseModule, initCfgSchema, type InitCfgInput } from '../init/index.js';
import { BasicBlock, Bottleneck, ResLayer, type ResBlockClass } from './resnet-blocks.js';
import { checkBackboneInit, keepFrozenAndNormEval } from './backbone-common.js';

const int = z.number().int();
/** A layer config ({type, ...}); the layer builders check the rest. */
const cfgObject = z.looseObject({ type: z.string() });

export const resnetSchema = z.object({
  depth: z.union([z.literal(18), z.literal(34), z.literal(50), z.literal(101), z.literal(152)]),
  in_channels: int.positive().default(3),
  stem_channels: int.positive().default(64),
  base_channels: int.positive().default(64),
  num_stages: int.min(1).max(4).default(4),
  strides: z.array(int.positive()).default([1, 2, 2, 2]),
  dilations: z.array(int.positive()).default([1, 1, 1, 1]),
  out_indices: z.array(int.nonnegative()).default([0, 1, 2, 3]),
  style: z.enum(['pytorch', 'caffe']).default('pytorch'),
  deep_stem: z.boolean().default(false),
  avg_down: z.boolean().default(false),
  frozen_stages: int.min(-1).default(-1),
  conv_cfg: cfgObject.nullable().default(null),
  norm_cfg: cfgObject.default({ type: 'BN', requires_grad: true }),
  norm_eval: z.boolean().default(false),
  /** Deformable convolutions and plugins are not available: only their "off" values are accepted. */
  dcn: z.null().default(null),
  stage_with_dcn: z.array(z.literal(false)).default([false, false, false, false]),
  plugins: z.null().default(null),
  multi_grid: z.array(int.positive()).nullable().default(null),
  contract_dilation: z.boolean().default(false),
  /** Gradient checkpointing only saves memory; accepted and ignored. */
  with_cp: z.boolean().default(false),
  zero_init_residual: z.boolean().default(true),
  pretrained: z.string().nullable().default(null),
  init_cfg: initCfgSchema,
}).strict();

export type ResNetOptions = z.input<typeof resnetSchema>;
type ResNetConfig = z.output<typeof resnetSchema>;

const ARCH_SETTINGS: Record<number, [ResBlockClass, number[]]> = {
  18: [BasicBlock, [2, 2, 2, 2]],
  34: [BasicBlock, [3, 4, 6, 3]],
  50: [Bottleneck, [3, 4, 6, 3]],
  101: [Bottleneck, [3, 4, 23, 3]],
  152: [Bottleneck, [3, 8, 36, 3]],
};

function checkConfig(cfg: ResNetConfig): void {
  const n = cfg.num_stages;
  if (cfg.strides.length !== n) throw new ConfigError(['strides'], `expected ${n} entries (num_stages), got ${cfg.strides.length}`);
  if (cfg.dilations.length !== n) throw new ConfigError(['dilations'], `expected ${n} entries (num_stages), got ${cfg.dilations.length}`);
  const bad = cfg.out_indices.find((i) => i >= n);
  if (bad !== undefined) throw new ConfigError(['out_indices'], `index ${bad} is out of range for ${n} stages`);
  checkBackboneInit({ init_cfg: cfg.init_cfg, pretrained: cfg.pretrained });
}

/**
 * ResNet as MMSeg: a 7x7 stem (or, with deep_stem, three 3x3 convs named stem.0..8), a max
 * pool, and `num_stages` ResLayers named layer1..layer4. forward returns the outputs of the
 * stages in out_indices. frozen_stages / norm_eval hold after every train() call.
 */
export class ResNet extends BaseModule {
  readonly cfg: ResNetConfig;
  readonly block: ResBlockClass;
  readonly resLayers: string[] = [];
  norm1Name = '';

  constructor(options: ResNetOptions) {
    const cfg = parseOptions(resnetSchema, options);
    checkConfig(cfg);
    const defaultInit = cfg.pretrained === null && cfg.init_cfg === null;
    super(cfg.pretrained !== null
      ? { type: 'Pretrained', checkpoint: cfg.pretrained }
      : defaultInit
        ? [{ type: 'Kaiming', layer: 'Conv2d' }, { type: 'Constant', val: 1, layer: ['_BatchNorm', 'GroupNorm'] }]
        : (cfg.init_cfg as InitCfgInput));
    this.cfg = cfg;
    const [block, stageBlocks] = ARCH_SETTINGS[cfg.depth]!;
    this.block = block;

    const normCfg = cfg.norm_cfg as NormCfg;
    const convCfg = cfg.conv_cfg as ConvCfg | null;
    this.makeStemLayer(cfg.in_channels, cfg.stem_channels, convCfg, normCfg);
    let inplanes = cfg.stem_channels;
    stageBlocks.slice(0, cfg.num_stages).forEach((numBlocks, i) => {
      const planes = cfg.base_channels * 2 ** i;
      const layer = new ResLayer(block, {
        inplanes, planes, numBlocks, stride: cfg.strides[i], dilation: cfg.dilations[i], style: cfg.style,
        avgDown: cfg.avg_down, convCfg, normCfg, contractDilation: cfg.contract_dilation,
        // multi grid applies to the last stage only
        multiGrid: i === cfg.num_stages - 1 ? cfg.multi_grid : null,
        // MMSeg gives the blocks a zero init for their last norm only with its own default init_cfg
        zeroInitLastNorm: defaultInit && cfg.zero_init_residual,
      });
      inplanes = planes * block.expansion;
      this.registerModule(`layer${i + 1}`, layer);
      this.resLayers.push(`layer${i + 1}`);
    });
    this.freezeStages();
  }

  /** Channels of the last stage's output. */
  get featDim(): number {
    return this.block.expansion * this.cfg.base_channels * 2 ** (this.resLayers.length - 1);
  }

  get norm1(): nn.Module {
    return this.getSubmodule(this.norm1Name);
  }

  private makeStemLayer(inChannels: number, stemChannels: number, convCfg: ConvCfg | null, normCfg: NormCfg): void {
    if (this.cfg.deep_stem) {
      const half = Math.floor(stemChannels / 2);
      const conv = (cin: number, cout: number, stride: number): nn.Conv2d =>
        buildConvLayer(convCfg, cin, cout, 3, { stride, padding: 1, bias: false });
      this.registerModule('stem', new nn.Sequential(
        conv(inChannels, half, 2), buildNormLayer(normCfg, half)[1], new nn.ReLU({ inplace: true }),
        conv(half, half, 1), buildNormLayer(normCfg, half)[1], new nn.ReLU({ inplace: true }),
        conv(half, stemChannels, 1), buildNormLayer(normCfg, stemChannels)[1], new nn.ReLU({ inplace: true })));
    } else {
      this.registerModule('conv1', buildConvLayer(convCfg, inChannels, stemChannels, 7, { stride: 2, padding: 3, bias: false }));
      const [name, norm] = buildNormLayer(normCfg, stemChannels, 1);
      this.norm1Name = name;
      this.registerModule(name, norm);
      this.registerModule('relu', new nn.ReLU({ inplace: true }));
    }
    this.registerModule('maxpool', new nn.MaxPool2d(3, { stride: 2, padding: 1 }));
  }

  /** Puts the stem and the first frozen_stages layers in eval mode and stops their gradients. */
  private freezeStages(): void {
    const frozen = this.cfg.frozen_stages;
    if (frozen < 0) return;
    const stem = this.cfg.deep_stem ? [this.getSubmodule('stem')] : [this.getSubmodule('conv1'), this.norm1];
    const frozenModules = [...stem];
    for (let i = 1; i <= Math.min(frozen, this.resLayers.length); i++) frozenModules.push(this.getSubmodule(`layer${i}`));
    for (const m of frozenModules) {
      m.eval();
      m.requiresGrad_(false);
    }
  }

  forward(x: Tensor): Tensor[] {
    let out: Tensor;
    if (this.cfg.deep_stem) {
      out = this.getSubmodule('stem').forward(x) as Tensor;
    } else {
      out = this.getSubmodule('conv1').forward(x) as Tensor;
      out = this.getSubmodule('relu').forward(this.norm1.forward(out)) as Tensor;
    }
    out = this.getSubmodule('maxpool').forward(out) as Tensor;
    const outs: Tensor[] = [];
    this.resLayers.forEach((name, i) => {
      out = this.getSubmodule(name).forward(out) as Tensor;
      if (this.cfg.out_indices.includes(i)) outs.push(out);
    });
    return outs;
  }

  /** Training mode everywhere except the frozen stages and, with norm_eval, every batch norm. */
  override train(mode = true): this {
    super.train(mode);
    keepFrozenAndNormEval(this, mode, this.cfg.norm_eval, () => this.freezeStages());
    return this;
  }

  // initWeights (BaseModule): Kaiming (fan_out) convs and unit norms by default, then each
  // block's zero init of its last norm (zero_init_residual); Pretrained entries load last.
}

/** ResNet with the deep stem (three 3x3 convs) instead of the 7x7 conv. */
export class ResNetV1c extends ResNet {
  constructor(options: Omit<ResNetOptions, 'deep_stem' | 'avg_down'>) {
    super({ ...withoutStemKeys(options, 'ResNetV1c'), deep_stem: true, avg_down: false });
  }
}

/** ResNetV1c plus an average pool before each strided downsample conv. */
export class ResNetV1d extends ResNet {
  constructor(options: Omit<ResNetOptions, 'deep_stem' | 'avg_down'>) {
    super({ ...withoutStemKeys(options, 'ResNetV1d'), deep_stem: true, avg_down: true });
  }
}

/** The variants fix deep_stem and avg_down; setting them is an error, as in MMSeg (duplicate keyword). */
function withoutStemKeys(options: object, name: string): ResNetOptions {
  for (const key of ['deep_stem', 'avg_down']) {
    if (options && key in options) throw new ConfigError([key], `${name} fixes ${key}; remove it or use type 'ResNet'`);
  }
  return options as ResNetOptions;
}

MODELS.register(ResNet);
MODELS.register(ResNetV1c);
MODELS.register(ResNetV1d);
