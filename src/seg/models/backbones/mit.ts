// MMSeg's MixVisionTransformer (SegFormer's MiT-b0..b5): 4 stages of overlapping patch embedding,
// efficient-attention layers and a norm, each output an NCHW map.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import { nn, type Tensor } from '../../../torch/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { PatchEmbed, buildNormLayer, nlcToNchw } from '../utils/index.js';
import { MiTTransformerEncoderLayer } from './mit-layers.js';
import type { ActCfg, NormCfg } from './vit-layer.js';
import { BaseModule, ModuleList, type InitCfgInput } from '../init/index.js';
import { initCfgOption } from './pretrained-state.js';
import { checkBackboneInit } from './backbone-common.js';

const int = z.number().int();
const ints = z.array(int.positive()).min(1);

export const mitSchema = z.object({
  in_channels: int.positive().default(3),
  /** Stage i has embed_dims * num_heads[i] channels. */
  embed_dims: int.positive().default(64),
  num_stages: int.positive().default(4),
  num_layers: ints.default([3, 4, 6, 3]),
  num_heads: ints.default([1, 2, 4, 8]),
  patch_sizes: ints.default([7, 3, 3, 3]),
  strides: ints.default([4, 2, 2, 2]),
  sr_ratios: ints.default([8, 4, 2, 1]),
  out_indices: z.array(int.nonnegative()).default([0, 1, 2, 3]),
  mlp_ratio: z.number().positive().default(4),
  qkv_bias: z.boolean().default(true),
  drop_rate: z.number().min(0).max(1).default(0),
  attn_drop_rate: z.number().min(0).max(1).default(0),
  drop_path_rate: z.number().min(0).max(1).default(0),
  act_cfg: z.looseObject({ type: z.string() }).default({ type: 'GELU' }),
  norm_cfg: z.looseObject({ type: z.string() }).default({ type: 'LN', eps: 1e-6 }),
  pretrained: z.string().nullable().default(null),
  init_cfg: initCfgOption.default(null),
  with_cp: z.boolean().default(false),
}).strict();

export type MixVisionTransformerOptions = z.input<typeof mitSchema>;

/** One stage: [patch_embed, ModuleList of layers, norm], so names read layers.i.0 / layers.i.1.j / layers.i.2. */
type Stage = ModuleList<nn.Module>;

export class MixVisionTransformer extends BaseModule {
  readonly embedDims: number;
  readonly numStages: number;
  readonly outIndices: number[];
  layers: ModuleList<Stage>;

  constructor(options: MixVisionTransformerOptions = {}) {
    super();
    const cfg = parseOptions(mitSchema, options);
    checkBackboneInit(cfg);
    for (const key of ['num_layers', 'num_heads', 'patch_sizes', 'strides', 'sr_ratios'] as const) {
      if (cfg[key].length !== cfg.num_stages) throw new ConfigError([key], `expected ${cfg.num_stages} entries (num_stages), got ${cfg[key].length}`);
    }
    cfg.out_indices.forEach((i, k) => {
      if (i >= cfg.num_stages) throw new ConfigError(['out_indices', k], `stage ${i} is outside 0..${cfg.num_stages - 1}`);
    });
    this.initCfg = cfg.pretrained ? { type: 'Pretrained', checkpoint: cfg.pretrained } : (cfg.init_cfg as InitCfgInput);
    this.embedDims = cfg.embed_dims;
    this.numStages = cfg.num_stages;
    this.outIndices = cfg.out_indices;
    const normCfg = cfg.norm_cfg as NormCfg;
    const total = cfg.num_layers.reduce((a, b) => a + b, 0);
    const dpr = torch.tidy(() => torch.linspace(0, cfg.drop_path_rate, total).toArray());

    this.layers = this.registerModule('layers', new ModuleList<Stage>());
    let inChannels = cfg.in_channels;
    let cur = 0;
    for (let i = 0; i < cfg.num_stages; i++) {
      const dims = cfg.embed_dims * cfg.num_heads[i]!;
      const ff = cfg.mlp_ratio * dims;
      if (!Number.isInteger(ff)) throw new ConfigError(['mlp_ratio'], `mlp_ratio * channels must be a whole number, got ${ff} at stage ${i}`);
      const patchEmbed = new PatchEmbed({
        in_channels: inChannels,
        embed_dims: dims,
        kernel_size: cfg.patch_sizes[i]!,
        stride: cfg.strides[i]!,
        padding: Math.floor(cfg.patch_sizes[i]! / 2),
        norm_cfg: normCfg,
      });
      const blocks = new ModuleList<MiTTransformerEncoderLayer>();
      for (let j = 0; j < cfg.num_layers[i]!; j++) {
        blocks.append(new MiTTransformerEncoderLayer({
          embedDims: dims,
          numHeads: cfg.num_heads[i]!,
          feedforwardChannels: ff,
          dropRate: cfg.drop_rate,
          attnDropRate: cfg.attn_drop_rate,
          dropPathRate: dpr[cur + j]!,
          qkvBias: cfg.qkv_bias,
          actCfg: cfg.act_cfg as ActCfg,
          normCfg,
          srRatio: cfg.sr_ratios[i]!,
        }));
      }
      this.layers.append(new ModuleList<nn.Module>([patchEmbed, blocks, buildNormLayer(normCfg, dims)[1]]));
      inChannels = dims;
      cur += cfg.num_layers[i]!;
    }
  }

  forward(x: Tensor): Tensor[] {
    const outs: Tensor[] = [];
    for (let i = 0; i < this.layers.length; i++) {
      const stage = this.layers.at(i);
      const input = x;
      // One scope per stage frees each layer's dead intermediates (token copies, reshapes) before the next stage runs.
      x = torch.tidy(() => {
        const [tokens, hw] = (stage.at(0) as PatchEmbed).forward(input) as [Tensor, [number, number]];
        let t = tokens;
        for (const block of (stage.at(1) as ModuleList<MiTTransformerEncoderLayer>).toArray()) t = block.forward(t, hw);
        return nlcToNchw(stage.at(2).forward(t), hw);
      });
      if (this.outIndices.includes(i)) outs.push(x);
    }
    return outs;
  }

  /** Without init_cfg: trunc-normal Linear (std 0.02), unit LayerNorm, conv weights N(0, 2 / fan_out); else the init_cfg. */
  override initWeights(): void {
    if (this.initCfg) {
      super.initWeights();
      return;
    }
    for (const m of this.modules()) {
      if (m instanceof nn.Linear) {
        nn.init.truncNormal_(m.weight, 0, 0.02);
        if (m.bias) nn.init.zeros_(m.bias);
      } else if (m instanceof nn.LayerNorm) {
        if (m.weight) nn.init.ones_(m.weight);
        if (m.bias) nn.init.zeros_(m.bias);
      } else if (m instanceof nn.Conv2d) {
        const [kh, kw] = m.weight.shape.slice(2) as [number, number];
        const fanOut = Math.floor((kh * kw * m.outChannels) / m.groups);
        nn.init.normal_(m.weight, 0, Math.sqrt(2 / fanOut));
        if (m.bias) nn.init.zeros_(m.bias);
      }
    }
  }
}

MODELS.register(MixVisionTransformer);
