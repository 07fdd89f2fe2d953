// mmpretrain's ConvNeXt backbone (MMSeg configs use it as 'mmpretrain.ConvNeXt'): stem, 4 stages of ConvNeXt blocks, per-output LN.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import { nn, type Tensor } from '../../../torch/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { buildActivationLayer } from '../utils/index.js';
import { ConvNeXtBlock, LayerNorm2d } from './convnext-block.js';
import { BaseModule, ModuleList, Sequential, type InitCfg, type InitCfgInput } from '../init/index.js';
import { initCfgOption } from './pretrained-state.js';

const int = z.number().int();

/** mmpretrain's arch_settings: blocks per stage and channels per stage. */
export const CONVNEXT_ARCHS = {
  atto: { depths: [2, 2, 6, 2], channels: [40, 80, 160, 320] },
  femto: { depths: [2, 2, 6, 2], channels: [48, 96, 192, 384] },
  pico: { depths: [2, 2, 6, 2], channels: [64, 128, 256, 512] },
  nano: { depths: [2, 2, 8, 2], channels: [80, 160, 320, 640] },
  tiny: { depths: [3, 3, 9, 3], channels: [96, 192, 384, 768] },
  small: { depths: [3, 3, 27, 3], channels: [96, 192, 384, 768] },
  base: { depths: [3, 3, 27, 3], channels: [128, 256, 512, 1024] },
  large: { depths: [3, 3, 27, 3], channels: [192, 384, 768, 1536] },
  xlarge: { depths: [3, 3, 27, 3], channels: [256, 512, 1024, 2048] },
  huge: { depths: [3, 3, 27, 3], channels: [352, 704, 1408, 2816] },
} as const;

const DEFAULT_INIT: InitCfg[] = [
  { type: 'TruncNormal', layer: ['Conv2d', 'Linear'], std: 0.02, bias: 0 },
  { type: 'Constant', layer: ['LayerNorm'], val: 1, bias: 0 },
];

export const convnextSchema = z.object({
  arch: z.union([
    z.enum(Object.keys(CONVNEXT_ARCHS) as [keyof typeof CONVNEXT_ARCHS, ...(keyof typeof CONVNEXT_ARCHS)[]]),
    z.object({ depths: z.array(int.positive()).min(1), channels: z.array(int.positive()).min(1) }).strict(),
  ]).default('tiny'),
  in_channels: int.positive().default(3),
  stem_patch_size: int.positive().default(4),
  /** mmpretrain's ConvNeXt calls its norms with a data format, which only LN2d accepts. */
  norm_cfg: z.object({ type: z.literal('LN2d'), eps: z.number().positive().optional(), requires_grad: z.boolean().optional() })
    .strict().default({ type: 'LN2d', eps: 1e-6 }),
  act_cfg: z.looseObject({ type: z.string() }).default({ type: 'GELU' }),
  linear_pw_conv: z.boolean().default(true),
  use_grn: z.boolean().default(false),
  drop_path_rate: z.number().min(0).max(1).default(0),
  layer_scale_init_value: z.number().default(1e-6),
  out_indices: z.union([int, z.array(int)]).default(-1),
  frozen_stages: int.min(0).default(0),
  /** true for classification (pooled vectors); MMSeg's configs set false to get feature maps. */
  gap_before_final_norm: z.boolean().default(true),
  with_cp: z.boolean().default(false),
  init_cfg: initCfgOption.default(DEFAULT_INIT),
}).strict();

export type ConvNeXtOptions = z.input<typeof convnextSchema>;

/**
 * ConvNeXt: downsample_layers.0 is the stem (conv k=s=stem_patch_size + LN2d), downsample_layers.i
 * (i >= 1) is LN2d + 2x2/2 conv; stages.i holds the blocks; norm{i} normalises each output.
 * forward returns one map per out_index (or pooled vectors when gap_before_final_norm).
 */
export class ConvNeXt extends BaseModule {
  readonly depths: number[];
  readonly channels: number[];
  readonly numStages: number;
  readonly outIndices: number[];
  readonly frozenStages: number;
  readonly gapBeforeFinalNorm: boolean;
  downsampleLayers: ModuleList<nn.Sequential>;
  stages: nn.ModuleList<nn.Sequential>;

  constructor(options: ConvNeXtOptions = {}) {
    super();
    const cfg = parseOptions(convnextSchema, options);
    if (cfg.with_cp) throw new ConfigError(['with_cp'], 'activation checkpointing (with_cp: true) is not available in segkit; use false');
    const arch = typeof cfg.arch === 'string' ? CONVNEXT_ARCHS[cfg.arch] : cfg.arch;
    if (arch.depths.length !== arch.channels.length) {
      throw new ConfigError(['arch'], `depths (${arch.depths.length} entries) and channels (${arch.channels.length} entries) must have the same length`);
    }
    this.depths = [...arch.depths];
    this.channels = [...arch.channels];
    this.numStages = this.depths.length;
    // mmpretrain counts negative indices from 4, whatever the number of stages.
    this.outIndices = [cfg.out_indices].flat().map((i, k) => {
      const v = i < 0 ? 4 + i : i;
      if (v < 0 || v >= this.numStages) throw new ConfigError(['out_indices', k], `index ${i} is outside the ${this.numStages} stages`);
      return v;
    });
    this.frozenStages = cfg.frozen_stages;
    this.gapBeforeFinalNorm = cfg.gap_before_final_norm;
    this.initCfg = cfg.init_cfg as InitCfgInput;

    const eps = cfg.norm_cfg.eps ?? 1e-5;
    const norm = (c: number): LayerNorm2d => {
      const ln = new LayerNorm2d(c, { eps });
      if (cfg.norm_cfg.requires_grad === false) ln.requiresGrad_(false);
      return ln;
    };
    const act = (): nn.Module => buildActivationLayer(cfg.act_cfg as Parameters<typeof buildActivationLayer>[0]);
    const total = this.depths.reduce((a, b) => a + b, 0);
    const dpr = torch.tidy(() => torch.linspace(0, cfg.drop_path_rate, total).toArray());

    this.downsampleLayers = this.registerModule('downsample_layers', new ModuleList<nn.Sequential>());
    this.downsampleLayers.append(new nn.Sequential(
      new nn.Conv2d(cfg.in_channels, this.channels[0]!, cfg.stem_patch_size, { stride: cfg.stem_patch_size }),
      norm(this.channels[0]!),
    ));
    this.stages = this.registerModule('stages', new nn.ModuleList<nn.Sequential>());
    let blockIdx = 0;
    for (let i = 0; i < this.numStages; i++) {
      const c = this.channels[i]!;
      if (i >= 1) {
        this.downsampleLayers.append(new nn.Sequential(norm(this.channels[i - 1]!), new nn.Conv2d(this.channels[i - 1]!, c, 2, { stride: 2 })));
      }
      const blocks: ConvNeXtBlock[] = [];
      for (let j = 0; j < this.depths[i]!; j++) {
        blocks.push(new ConvNeXtBlock({
          inChannels: c,
          normEps: eps,
          act,
          linearPwConv: cfg.linear_pw_conv,
          dropPathRate: dpr[blockIdx + j]!,
          layerScaleInitValue: cfg.layer_scale_init_value,
          useGrn: cfg.use_grn,
        }));
        if (cfg.norm_cfg.requires_grad === false) blocks[j]!.norm.requiresGrad_(false);
      }
      blockIdx += this.depths[i]!;
      this.stages.append(new Sequential(...blocks));
      if (this.outIndices.includes(i)) this.registerModule(`norm${i}`, norm(c));
    }
    this.#freezeStages();
  }

  /** The output norm of stage i (registered only for stages in out_indices). */
  outputNorm(i: number): LayerNorm2d {
    return this.getSubmodule(`norm${i}`) as LayerNorm2d;
  }

  forward(x: Tensor): Tensor[] {
    const outs: Tensor[] = [];
    for (let i = 0; i < this.numStages; i++) {
      x = this.stages.at(i).forward(this.downsampleLayers.at(i).forward(x));
      if (!this.outIndices.includes(i)) continue;
      const norm = this.outputNorm(i);
      outs.push(this.gapBeforeFinalNorm ? norm.forward(x.mean([-2, -1], { keepdim: true })).flatten(1) : norm.forward(x));
    }
    return outs;
  }

  /** Frozen stages (and their downsampling layers) stay in eval mode and keep requiresGrad false. */
  #freezeStages(): void {
    for (let i = 0; i < this.frozenStages && i < this.numStages; i++) {
      for (const m of [this.downsampleLayers.at(i), this.stages.at(i)]) {
        m.eval();
        m.requiresGrad_(false);
      }
    }
  }

  override train(mode = true): this {
    super.train(mode);
    this.#freezeStages();
    return this;
  }
}

MODELS.register(ConvNeXt);
