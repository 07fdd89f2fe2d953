// MMSeg's VisionTransformer backbone: patch embedding, cls token, learnt position embedding
// (resized bicubically for other input sizes), pre-norm encoder layers, outputs as NCHW maps.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import { nn, type Tensor } from '../../../torch/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { PatchEmbed, buildNormLayer, resize } from '../utils/index.js';
import { TransformerEncoderLayer, type ActCfg, type NormCfg } from './vit-layer.js';
import { BaseModule, ModuleList, type InitCfgInput } from '../init/index.js';
import { initCfgOption, loadStateNonStrict, pretrainedOf, readPretrainedState } from './pretrained-state.js';
import { checkBackboneInit } from './backbone-common.js';

const int = z.number().int();
const size2 = z.union([int.positive(), z.array(int.positive()).min(1).max(2)]);

export const vitSchema = z.object({
  img_size: size2.default(224),
  patch_size: int.positive().default(16),
  /** 'corner' pads bottom/right up to a multiple of the patch size; a number pads the projection conv. */
  patch_pad: z.union([z.enum(['corner', 'same']), int.nonnegative()]).default('corner'),
  in_channels: int.positive().default(3),
  embed_dims: int.positive().default(768),
  num_layers: int.positive().default(12),
  num_heads: int.positive().default(12),
  mlp_ratio: z.number().positive().default(4),
  /** Also output the embedded patches before the first layer. */
  out_origin: z.boolean().default(false),
  out_indices: z.union([int, z.array(int.nonnegative())]).default(-1),
  qkv_bias: z.boolean().default(true),
  drop_rate: z.number().min(0).max(1).default(0),
  attn_drop_rate: z.number().min(0).max(1).default(0),
  drop_path_rate: z.number().min(0).max(1).default(0),
  with_cls_token: z.boolean().default(true),
  /** Each output becomes [feature map, cls token] (for heads like DPT). */
  output_cls_token: z.boolean().default(false),
  norm_cfg: z.looseObject({ type: z.string() }).default({ type: 'LN' }),
  act_cfg: z.looseObject({ type: z.string() }).default({ type: 'GELU' }),
  patch_norm: z.boolean().default(false),
  patch_bias: z.boolean().default(false),
  pre_norm: z.boolean().default(false),
  final_norm: z.boolean().default(false),
  interpolate_mode: z.enum(['nearest', 'bilinear', 'bicubic']).default('bicubic'),
  num_fcs: int.min(2).default(2),
  norm_eval: z.boolean().default(false),
  with_cp: z.boolean().default(false),
  /** Parameters whose name contains none of these are frozen; 'all' freezes nothing. */
  frozen_exclude: z.array(z.string()).default(['all']),
  pretrained: z.string().nullable().default(null),
  init_cfg: initCfgOption.default(null),
}).strict();

export type VisionTransformerOptions = z.input<typeof vitSchema>;
/** A backbone output: the NCHW map, or [map, cls token (N, C)] with output_cls_token. */
export type ViTOutput = Tensor | [Tensor, Tensor];

/** `pos_embed` [1, 1 + h*w, C] resized to `inputShape` patches: cls slot kept, the grid interpolated. */
export function resizePosEmbed(posEmbed: Tensor, inputShape: [number, number], posShape: [number, number], mode: 'nearest' | 'bilinear' | 'bicubic'): Tensor {
  if (posEmbed.ndim !== 3) throw new RangeError(`resizePosEmbed: pos_embed must be [B, L, C], got [${posEmbed.shape.join(', ')}]`);
  const [ph, pw] = posShape;
  const c = posEmbed.size(2);
  const clsWeight = posEmbed.select(1, 0).unsqueeze(1);
  const grid = posEmbed.slice(1, -ph * pw).reshape(1, ph, pw, c).permute(0, 3, 1, 2);
  const resized = resize(grid, { size: inputShape, alignCorners: false, mode });
  return torch.cat([clsWeight, resized.flatten(2).transpose(1, 2)], 1);
}

export class VisionTransformer extends BaseModule {
  readonly imgSize: [number, number];
  readonly patchSize: number;
  readonly interpolateMode: 'nearest' | 'bilinear' | 'bicubic';
  readonly outIndices: number[];
  readonly withClsToken: boolean;
  readonly outputClsToken: boolean;
  readonly outOrigin: boolean;
  readonly finalNorm: boolean;
  readonly normEval: boolean;
  readonly preLnName: string | null = null;
  readonly norm1Name: string | null = null;
  patchEmbed: PatchEmbed;
  clsToken: nn.Parameter;
  posEmbed: nn.Parameter;
  dropAfterPos: nn.Dropout;
  layers: ModuleList<TransformerEncoderLayer>;

  constructor(options: VisionTransformerOptions = {}) {
    super();
    const cfg = parseOptions(vitSchema, options);
    const img = [cfg.img_size].flat();
    this.imgSize = [img[0]!, img[1] ?? img[0]!];
    if (cfg.output_cls_token && !cfg.with_cls_token) throw new ConfigError(['output_cls_token'], 'with_cls_token must be true when output_cls_token is true');
    checkBackboneInit(cfg);
    const ff = cfg.mlp_ratio * cfg.embed_dims;
    if (!Number.isInteger(ff)) throw new ConfigError(['mlp_ratio'], `mlp_ratio * embed_dims must be a whole number, got ${ff}`);
    this.initCfg = cfg.pretrained ? { type: 'Pretrained', checkpoint: cfg.pretrained } : (cfg.init_cfg as InitCfgInput);
    this.patchSize = cfg.patch_size;
    this.interpolateMode = cfg.interpolate_mode;
    this.normEval = cfg.norm_eval;
    this.outOrigin = cfg.out_origin;
    this.withClsToken = cfg.with_cls_token;
    this.outputClsToken = cfg.output_cls_token;
    const normCfg = cfg.norm_cfg as NormCfg;

    this.patchEmbed = this.registerModule('patch_embed', new PatchEmbed({
      in_channels: cfg.in_channels,
      embed_dims: cfg.embed_dims,
      conv_type: 'Conv2d',
      kernel_size: cfg.patch_size,
      stride: cfg.patch_size,
      padding: cfg.patch_pad,
      bias: cfg.patch_bias,
      norm_cfg: cfg.patch_norm ? normCfg : null,
      init_cfg: null,
    }));
    const numPatches = Math.floor(this.imgSize[0] / cfg.patch_size) * Math.floor(this.imgSize[1] / cfg.patch_size);
    this.clsToken = this.registerParameter('cls_token', torch.zeros([1, 1, cfg.embed_dims]));
    this.posEmbed = this.registerParameter('pos_embed', torch.zeros([1, numPatches + 1, cfg.embed_dims]));
    this.dropAfterPos = this.registerModule('drop_after_pos', new nn.Dropout(cfg.drop_rate));
    if (cfg.pre_norm) {
      const [name, ln] = buildNormLayer(normCfg, cfg.embed_dims, '_pre');
      this.preLnName = name;
      this.registerModule(name, ln);
    }
    const indices = typeof cfg.out_indices === 'number' ? [cfg.out_indices === -1 ? cfg.num_layers - 1 : cfg.out_indices] : cfg.out_indices;
    indices.forEach((i, k) => {
      if (i < 0 || i >= cfg.num_layers) throw new ConfigError(typeof cfg.out_indices === 'number' ? ['out_indices'] : ['out_indices', k], `layer ${i} is outside 0..${cfg.num_layers - 1}`);
    });
    this.outIndices = indices;

    const dpr = torch.tidy(() => torch.linspace(0, cfg.drop_path_rate, cfg.num_layers).toArray());
    this.layers = this.registerModule('layers', new ModuleList<TransformerEncoderLayer>());
    for (let i = 0; i < cfg.num_layers; i++) {
      this.layers.append(new TransformerEncoderLayer({
        embedDims: cfg.embed_dims,
        numHeads: cfg.num_heads,
        feedforwardChannels: ff,
        attnDropRate: cfg.attn_drop_rate,
        dropRate: cfg.drop_rate,
        dropPathRate: dpr[i]!,
        numFcs: cfg.num_fcs,
        qkvBias: cfg.qkv_bias,
        actCfg: cfg.act_cfg as ActCfg,
        normCfg,
        batchFirst: true,
      }));
    }
    this.finalNorm = cfg.final_norm;
    if (cfg.final_norm) {
      const [name, ln] = buildNormLayer(normCfg, cfg.embed_dims, 1);
      this.norm1Name = name;
      this.registerModule(name, ln);
    }
    if (!cfg.frozen_exclude.includes('all')) {
      for (const [name, p] of this.namedParameters()) {
        if (!cfg.frozen_exclude.some((ex) => name.includes(ex))) p.requiresGrad_(false);
      }
    }
  }

  /** The patch grid the position embedding was made for. */
  get posShape(): [number, number] {
    return [Math.floor(this.imgSize[0] / this.patchSize), Math.floor(this.imgSize[1] / this.patchSize)];
  }

  /** Adds pos_embed to the tokens, resizing it first when the input's patch grid differs from img_size's. */
  posEmbeding(patched: Tensor, hwShape: [number, number], posEmbed: Tensor): Tensor {
    if (patched.ndim !== 3 || posEmbed.ndim !== 3) throw new RangeError('VisionTransformer: the patched image and pos_embed must be [B, L, C]');
    if (patched.size(1) !== posEmbed.size(1)) {
      const [ph, pw] = this.posShape;
      if (posEmbed.size(1) !== ph * pw + 1) throw new RangeError(`VisionTransformer: unexpected shape of pos_embed, got [${posEmbed.shape.join(', ')}]`);
      posEmbed = resizePosEmbed(posEmbed, hwShape, [ph, pw], this.interpolateMode);
    }
    return this.dropAfterPos.forward(patched.add(posEmbed));
  }

  #toOutput(x: Tensor, hw: [number, number]): ViTOutput {
    const tokens = this.withClsToken ? x.slice(1, 1) : x;
    const map = tokens.reshape(tokens.size(0), hw[0], hw[1], tokens.size(2)).permute(0, 3, 1, 2).contiguous();
    return this.outputClsToken ? [map, x.select(1, 0)] : map;
  }

  forward(inputs: Tensor): ViTOutput[] {
    const b = inputs.size(0);
    const [patches, hw] = this.patchEmbed.forward(inputs) as [Tensor, [number, number]];
    let x = torch.cat([this.clsToken.expand(b, -1, -1), patches], 1);
    x = this.posEmbeding(x, hw, this.posEmbed);
    if (!this.withClsToken) x = x.slice(1, 1);
    if (this.preLnName) x = this.getSubmodule(this.preLnName).forward(x);
    const outs: ViTOutput[] = [];
    if (this.outOrigin) outs.push(this.#toOutput(x, hw));
    const n = this.layers.length;
    for (let i = 0; i < n; i++) {
      x = this.layers.at(i).forward(x);
      if (i === n - 1 && this.norm1Name) x = this.getSubmodule(this.norm1Name).forward(x);
      if (this.outIndices.includes(i)) outs.push(this.#toOutput(x, hw));
    }
    return outs;
  }

  override train(mode = true): this {
    super.train(mode);
    if (mode && this.normEval) for (const m of this.modules()) if (m instanceof nn.LayerNorm) m.eval();
    return this;
  }

  /**
   * Pretrained: loads the checkpoint (keys under `prefix` when given), resizing a pos_embed of
   * another grid; another init_cfg: those rules; none: MMSeg's timm-style init (trunc-normal
   * tokens and Linear weights, tiny normal FFN biases, Kaiming fan_in convs, unit norms).
   */
  override initWeights(): void {
    const pretrained = pretrainedOf(this.initCfg);
    if (pretrained) {
      const state = readPretrainedState(pretrained);
      const pe = state.get('pos_embed');
      if (pe && pe.shape.join() !== this.posEmbed.shape.join()) {
        const src = Math.floor(Math.sqrt(pe.size(1) - 1));
        const resized = torch.noGrad(() => resizePosEmbed(pe, this.posShape, [src, src], this.interpolateMode));
        pe.dispose();
        state.set('pos_embed', resized);
      }
      loadStateNonStrict(this, state, pretrained.checkpoint);
      return;
    }
    if (this.initCfg) {
      super.initWeights();
      return;
    }
    vitDefaultInit(this, [this.posEmbed, this.clsToken]);
  }
}

/** MMSeg's default (timm jax-style) init for ViT-like backbones, shared with BEiT and MAE. */
export function vitDefaultInit(module: nn.Module, tokens: Tensor[]): void {
  for (const t of tokens) nn.init.truncNormal_(t, 0, 0.02);
  for (const [name, m] of module.namedModules()) {
    if (m instanceof nn.Linear) {
      nn.init.truncNormal_(m.weight, 0, 0.02);
      if (m.bias) {
        if (name.includes('ffn')) nn.init.normal_(m.bias, 0, 1e-6);
        else nn.init.zeros_(m.bias);
      }
    } else if (m instanceof nn.Conv2d) {
      nn.init.kaimingNormal_(m.weight, { mode: 'fan_in', nonlinearity: 'relu' });
      if (m.bias) nn.init.zeros_(m.bias);
    } else if (m instanceof nn.BatchNormBase || m instanceof nn.GroupNorm || m instanceof nn.LayerNorm) {
      const n = m as unknown as { weight: Tensor | null; bias: Tensor | null };
      if (n.weight) nn.init.constant_(n.weight, 1);
      if (n.bias) nn.init.zeros_(n.bias);
    }
  }
}

MODELS.register(VisionTransformer);
