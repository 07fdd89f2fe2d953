// MMSeg's BEiT backbone: patch embedding + cls token, encoder layers with relative position
// bias and layer scale (no absolute position embedding), outputs as NCHW maps.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import { nn, type Tensor } from '../../../torch/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { PatchEmbed, buildNormLayer } from '../utils/index.js';
import { BEiTTransformerEncoderLayer, type BEiTLayerOptions } from './beit-layers.js';
import type { ActCfg, NormCfg } from './vit-layer.js';
import { vitDefaultInit } from './vit.js';
import { BaseModule, ModuleList, type InitCfgInput } from '../init/index.js';
import { initCfgOption, loadStateNonStrict, pretrainedOf, readPretrainedState } from './pretrained-state.js';
import { checkBackboneInit, truncNormalLinearInit } from './backbone-common.js';

const int = z.number().int();

/** Options BEiT and MAE share (MAE has no qv_bias). */
export const beitCommonShape = {
  img_size: z.union([int.positive(), z.array(int.positive()).min(1).max(2)]).default(224),
  patch_size: int.positive().default(16),
  in_channels: int.positive().default(3),
  embed_dims: int.positive().default(768),
  num_layers: int.positive().default(12),
  num_heads: int.positive().default(12),
  mlp_ratio: z.number().positive().default(4),
  out_indices: z.union([int, z.array(int.nonnegative())]).default(-1),
  attn_drop_rate: z.number().min(0).max(1).default(0),
  drop_path_rate: z.number().min(0).max(1).default(0),
  norm_cfg: z.looseObject({ type: z.string() }).default({ type: 'LN' }),
  act_cfg: z.looseObject({ type: z.string() }).default({ type: 'GELU' }),
  patch_norm: z.boolean().default(false),
  final_norm: z.boolean().default(false),
  num_fcs: int.min(2).default(2),
  norm_eval: z.boolean().default(false),
  pretrained: z.string().nullable().default(null),
  /** Initial value of each layer's scales gamma_1 / gamma_2. */
  init_values: z.number().default(0.1),
  init_cfg: initCfgOption.default(null),
};

export const beitSchema = z.object({ ...beitCommonShape, qv_bias: z.boolean().default(true) }).strict();
export type BEiTOptions = z.input<typeof beitSchema>;

export class BEiT extends BaseModule {
  readonly imgSize: [number, number];
  readonly patchSize: number;
  readonly numLayers: number;
  readonly embedDims: number;
  /** The patch grid; also the window of every relative position table. */
  readonly patchShape: [number, number];
  readonly outIndices: number[];
  readonly normEval: boolean;
  readonly norm1Name: string | null = null;
  clsToken: nn.Parameter;
  patchEmbed: PatchEmbed;
  layers: ModuleList<BEiTTransformerEncoderLayer>;

  constructor(options: BEiTOptions = {}) {
    super();
    const cfg = parseOptions(beitSchema, options);
    const img = [cfg.img_size].flat();
    this.imgSize = [img[0]!, img[1] ?? img[0]!];
    checkBackboneInit({ init_cfg: cfg.init_cfg, pretrained: cfg.pretrained });
    const ff = cfg.mlp_ratio * cfg.embed_dims;
    if (!Number.isInteger(ff)) throw new ConfigError(['mlp_ratio'], `mlp_ratio * embed_dims must be a whole number, got ${ff}`);
    this.initCfg = cfg.pretrained ? { type: 'Pretrained', checkpoint: cfg.pretrained } : (cfg.init_cfg as InitCfgInput);
    this.patchSize = cfg.patch_size;
    this.numLayers = cfg.num_layers;
    this.embedDims = cfg.embed_dims;
    this.normEval = cfg.norm_eval;
    this.patchShape = [Math.floor(this.imgSize[0] / cfg.patch_size), Math.floor(this.imgSize[1] / cfg.patch_size)];
    const normCfg = cfg.norm_cfg as NormCfg;

    this.clsToken = this.registerParameter('cls_token', torch.zeros([1, 1, cfg.embed_dims]));
    this.patchEmbed = this.registerModule('patch_embed', new PatchEmbed({
      in_channels: cfg.in_channels,
      embed_dims: cfg.embed_dims,
      conv_type: 'Conv2d',
      kernel_size: cfg.patch_size,
      stride: cfg.patch_size,
      padding: 0,
      norm_cfg: cfg.patch_norm ? normCfg : null,
      init_cfg: null,
    }));
    const dpr = torch.tidy(() => torch.linspace(0, cfg.drop_path_rate, cfg.num_layers).toArray());
    this.layers = this.registerModule('layers', new ModuleList<BEiTTransformerEncoderLayer>());
    for (let i = 0; i < cfg.num_layers; i++) {
      this.layers.append(this.createLayer({
        embedDims: cfg.embed_dims,
        numHeads: cfg.num_heads,
        feedforwardChannels: ff,
        dropPathRate: dpr[i]!,
        numFcs: cfg.num_fcs,
        bias: cfg.qv_bias ? 'qv_bias' : false,
        actCfg: cfg.act_cfg as ActCfg,
        normCfg,
        windowSize: this.patchShape,
        initValues: cfg.init_values,
      }));
    }
    const indices = typeof cfg.out_indices === 'number' ? [cfg.out_indices === -1 ? cfg.num_layers - 1 : cfg.out_indices] : cfg.out_indices;
    indices.forEach((i, k) => {
      if (i < 0 || i >= cfg.num_layers) throw new ConfigError(typeof cfg.out_indices === 'number' ? ['out_indices'] : ['out_indices', k], `layer ${i} is outside 0..${cfg.num_layers - 1}`);
    });
    this.outIndices = indices;
    if (cfg.final_norm) {
      const [name, ln] = buildNormLayer(normCfg, cfg.embed_dims, 1);
      this.norm1Name = name;
      this.registerModule(name, ln);
    }
  }

  /** One encoder layer; MAE overrides this (one qkv bias, no own relative-bias init). */
  protected createLayer(opts: BEiTLayerOptions): BEiTTransformerEncoderLayer {
    return new BEiTTransformerEncoderLayer(opts);
  }

  /** Tokens (cls first) as the encoder layers receive them; MAE adds its position embedding here. */
  protected embed(inputs: Tensor): [Tensor, [number, number]] {
    const [patches, hw] = this.patchEmbed.forward(inputs) as [Tensor, [number, number]];
    return [torch.cat([this.clsToken.expand(inputs.size(0), -1, -1), patches], 1), hw];
  }

  forward(inputs: Tensor): Tensor[] {
    let [x, hw] = this.embed(inputs);
    const outs: Tensor[] = [];
    const n = this.layers.length;
    for (let i = 0; i < n; i++) {
      x = this.layers.at(i).forward(x);
      if (i === n - 1 && this.norm1Name) x = this.getSubmodule(this.norm1Name).forward(x);
      if (this.outIndices.includes(i)) {
        const tokens = x.slice(1, 1);
        outs.push(tokens.reshape(tokens.size(0), hw[0], hw[1], tokens.size(2)).permute(0, 3, 1, 2).contiguous());
      }
    }
    return outs;
  }

  override train(mode = true): this {
    super.train(mode);
    if (mode && this.normEval) for (const m of this.modules()) if (m instanceof nn.LayerNorm) m.eval();
    return this;
  }

  /**
   * A pretrained state made loadable: relative_position_index entries dropped (rebuilt here);
   * a relative_position_bias_table for another patch grid is refused, since MMSeg resizes it with
   * scipy's cubic interp2d, which segkit does not reproduce.
   */
  protected adaptPretrained(state: Map<string, Tensor>, checkpoint: string): Map<string, Tensor> {
    const own = new Map(this.namedParameters());
    for (const key of [...state.keys()]) {
      if (key.includes('relative_position_index')) {
        state.get(key)!.dispose();
        state.delete(key);
      } else if (key.includes('relative_position_bias_table')) {
        const mine = own.get(key);
        const theirs = state.get(key)!;
        if (mine && mine.size(0) !== theirs.size(0)) {
          throw new Error(`${checkpoint}: ${key} has ${theirs.size(0)} relative positions, this ${this.className} needs ${mine.size(0)} `
            + `(patch grid ${this.patchShape.join('x')}); resizing the table is not supported: build with the pretrained img_size`);
        }
      }
    }
    return state;
  }

  /** The first step of MMSeg's BEiT/MAE init_weights: trunc-normal Linear weights, zero biases, unit LayerNorms. */
  protected basicInit(): void {
    truncNormalLinearInit(this);
  }

  /**
   * The basic init, then: Pretrained (relative_position_index dropped, see adaptPretrained);
   * another init_cfg (BaseModule's rules, which also run BEiTAttention's own table init);
   * none: MMSeg's default (trunc-normal cls_token and Linear weights, 1e-6 FFN biases). The
   * relative position tables stay zero unless an init_cfg other than Pretrained is given, as in MMSeg.
   */
  override initWeights(): void {
    this.basicInit();
    const pretrained = pretrainedOf(this.initCfg);
    if (pretrained) {
      const state = this.adaptPretrained(readPretrainedState(pretrained), pretrained.checkpoint);
      loadStateNonStrict(this, state, pretrained.checkpoint);
    } else if (this.initCfg) {
      super.initWeights();
    } else {
      vitDefaultInit(this, [this.clsToken]);
    }
  }
}

MODELS.register(BEiT);
