// MMSeg's SwinTransformer backbone: patch embedding, stages of (shifted-)window attention blocks with
// PatchMerging between them, and a norm (norm0..norm3) on each output, as NCHW maps.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import { nn, type Tensor } from '../../../torch/index.js';
import * as F from '../../../torch/functional/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { PatchEmbed, buildNormLayer } from '../utils/index.js';
import { BaseModule, ModuleList, type InitCfgInput } from '../init/index.js';
import { initCfgOption, loadStateNonStrict, pretrainedOf, readPretrainedState } from './pretrained-state.js';
import { PatchMerging, SwinBlockSequence } from './swin-layers.js';
import type { ActCfg, NormCfg } from './vit-layer.js';
import { checkBackboneInit, truncNormalLinearInit } from './backbone-common.js';

const int = z.number().int();
const ints = z.array(int.positive()).min(1);

export const swinSchema = z.object({
  /** The image size of pretraining; sets the absolute position embedding's grid. */
  pretrain_img_size: z.union([int.positive(), z.array(int.positive()).min(1).max(2)]).default(224),
  in_channels: int.positive().default(3),
  embed_dims: int.positive().default(96),
  patch_size: int.positive().default(4),
  window_size: int.positive().default(7),
  mlp_ratio: z.number().positive().default(4),
  depths: ints.default([2, 2, 6, 2]),
  num_heads: ints.default([3, 6, 12, 24]),
  /** strides[0] is the patch embedding's (must equal patch_size), strides[i] the merging before stage i. */
  strides: ints.default([4, 2, 2, 2]),
  out_indices: z.array(int.nonnegative()).default([0, 1, 2, 3]),
  qkv_bias: z.boolean().default(true),
  qk_scale: z.number().positive().nullable().default(null),
  /** Norms after the patch embedding and inside each PatchMerging. */
  patch_norm: z.boolean().default(true),
  drop_rate: z.number().min(0).max(1).default(0),
  attn_drop_rate: z.number().min(0).max(1).default(0),
  drop_path_rate: z.number().min(0).max(1).default(0.1),
  use_abs_pos_embed: z.boolean().default(false),
  act_cfg: z.looseObject({ type: z.string() }).default({ type: 'GELU' }),
  norm_cfg: z.looseObject({ type: z.string() }).default({ type: 'LN' }),
  with_cp: z.boolean().default(false),
  pretrained: z.string().nullable().default(null),
  /** -1: nothing frozen; k >= 0: the patch embedding and stages 1..k (with their output norms) frozen. */
  frozen_stages: int.min(-1).default(-1),
  init_cfg: initCfgOption.default(null),
}).strict();

export type SwinTransformerOptions = z.input<typeof swinSchema>;

export class SwinTransformer extends BaseModule {
  readonly outIndices: number[];
  readonly numFeatures: number[];
  readonly frozenStages: number;
  readonly useAbsPosEmbed: boolean;
  patchEmbed: PatchEmbed;
  absolutePosEmbed: nn.Parameter | null = null;
  dropAfterPos: nn.Dropout;
  stages: ModuleList<SwinBlockSequence>;

  constructor(options: SwinTransformerOptions = {}) {
    super();
    const cfg = parseOptions(swinSchema, options);
    checkBackboneInit(cfg);
    const numStages = cfg.depths.length;
    if (cfg.num_heads.length !== numStages) throw new ConfigError(['num_heads'], `expected ${numStages} entries (one per depths entry), got ${cfg.num_heads.length}`);
    if (cfg.strides.length < numStages) throw new ConfigError(['strides'], `expected ${numStages} entries (one per depths entry), got ${cfg.strides.length}`);
    if (cfg.strides[0] !== cfg.patch_size) throw new ConfigError(['strides', 0], `must equal patch_size (${cfg.patch_size}): the patch embedding does not overlap, got ${cfg.strides[0]}`);
    cfg.out_indices.forEach((i, k) => {
      if (i >= numStages) throw new ConfigError(['out_indices', k], `stage ${i} is outside 0..${numStages - 1}`);
    });
    this.initCfg = cfg.pretrained ? { type: 'Pretrained', checkpoint: cfg.pretrained } : (cfg.init_cfg as InitCfgInput);
    this.outIndices = cfg.out_indices;
    this.frozenStages = cfg.frozen_stages;
    this.useAbsPosEmbed = cfg.use_abs_pos_embed;
    const normCfg = cfg.norm_cfg as NormCfg;
    const patchNorm = cfg.patch_norm ? normCfg : null;

    this.patchEmbed = this.registerModule('patch_embed', new PatchEmbed({
      in_channels: cfg.in_channels,
      embed_dims: cfg.embed_dims,
      kernel_size: cfg.patch_size,
      stride: cfg.strides[0]!,
      padding: 'corner',
      norm_cfg: patchNorm,
    }));
    if (this.useAbsPosEmbed) {
      const size = cfg.pretrain_img_size;
      const [ph, pw] = typeof size === 'number' ? [size, size] : [size[0]!, size[1] ?? size[0]!];
      const patches = Math.floor(ph / cfg.patch_size) * Math.floor(pw / cfg.patch_size);
      this.absolutePosEmbed = this.registerParameter('absolute_pos_embed', torch.zeros([1, patches, cfg.embed_dims]));
    }
    this.dropAfterPos = this.registerModule('drop_after_pos', new nn.Dropout(cfg.drop_rate));

    const total = cfg.depths.reduce((a, b) => a + b, 0);
    const dpr = torch.tidy(() => torch.linspace(0, cfg.drop_path_rate, total).toArray());
    this.stages = this.registerModule('stages', new ModuleList<SwinBlockSequence>());
    let channels = cfg.embed_dims;
    let cur = 0;
    for (let i = 0; i < numStages; i++) {
      const downsample = i < numStages - 1 ? new PatchMerging({ inChannels: channels, outChannels: 2 * channels, stride: cfg.strides[i + 1]!, normCfg: patchNorm }) : null;
      this.stages.append(new SwinBlockSequence({
        embedDims: channels,
        numHeads: cfg.num_heads[i]!,
        // MMSeg truncates mlp_ratio * channels with int().
        feedforwardChannels: Math.trunc(cfg.mlp_ratio * channels),
        depth: cfg.depths[i]!,
        windowSize: cfg.window_size,
        qkvBias: cfg.qkv_bias,
        qkScale: cfg.qk_scale,
        dropRate: cfg.drop_rate,
        attnDropRate: cfg.attn_drop_rate,
        dropPathRate: dpr.slice(cur, cur + cfg.depths[i]!),
        downsample,
        actCfg: cfg.act_cfg as ActCfg,
        normCfg,
      }));
      cur += cfg.depths[i]!;
      if (downsample) channels = downsample.outChannels;
    }
    this.numFeatures = Array.from({ length: numStages }, (_, i) => cfg.embed_dims * 2 ** i);
    for (const i of this.outIndices) this.registerModule(`norm${i}`, buildNormLayer(normCfg, this.numFeatures[i]!)[1]);
    this.freezeStages();
  }

  forward(x: Tensor): Tensor[] {
    let [tokens, hw] = this.patchEmbed.forward(x);
    if (this.absolutePosEmbed) tokens = tokens.add(this.absolutePosEmbed);
    tokens = this.dropAfterPos.forward(tokens);
    const outs: Tensor[] = [];
    for (let i = 0; i < this.stages.length; i++) {
      const stage = this.stages.at(i);
      const input = tokens;
      const inHw = hw;
      let out: Tensor | null;
      // One scope per stage frees the stage's dead intermediates before the next one runs.
      [tokens, hw, out] = torch.tidy((): [Tensor, [number, number], Tensor | null] => {
        const [next, nextHw, stageOut, outHw] = stage.forward(input, inHw);
        if (!this.outIndices.includes(i)) return [next, nextHw, null];
        const normed = this.getSubmodule(`norm${i}`).forward(stageOut) as Tensor;
        return [next, nextHw, normed.view(-1, outHw[0], outHw[1], this.numFeatures[i]!).permute(0, 3, 1, 2).contiguous()];
      });
      if (out) outs.push(out);
    }
    return outs;
  }

  /** Training mode everywhere except the frozen patch embedding, stages and their output norms. */
  override train(mode = true): this {
    super.train(mode);
    this.freezeStages();
    return this;
  }

  private freezeStages(): void {
    if (this.frozenStages < 0) return;
    this.patchEmbed.eval();
    this.patchEmbed.requiresGrad_(false);
    this.absolutePosEmbed?.requiresGrad_(false);
    this.dropAfterPos.eval();
    for (let i = 1; i <= Math.min(this.frozenStages, this.stages.length); i++) {
      const frozen: nn.Module[] = [this.stages.at(i - 1)];
      if (this.outIndices.includes(i - 1)) frozen.push(this.getSubmodule(`norm${i - 1}`));
      for (const m of frozen) {
        m.eval();
        m.requiresGrad_(false);
      }
    }
  }

  /**
   * Pretrained: loads the checkpoint non-strictly ('backbone.' cut off), resizing relative position
   * tables of another window bicubically; another init_cfg: its rules; none: MMSeg's default
   * (trunc-normal absolute_pos_embed and Linear weights, zero biases, unit LayerNorms; the bias
   * tables stay zero, as MMSeg does not reach WindowMSA.init_weights then).
   */
  override initWeights(): void {
    const pretrained = pretrainedOf(this.initCfg);
    if (pretrained) {
      const state = this.adaptPretrained(readPretrainedState(pretrained), pretrained.checkpoint);
      loadStateNonStrict(this, state, pretrained.checkpoint);
      return;
    }
    if (this.initCfg) {
      super.initWeights();
      return;
    }
    if (this.absolutePosEmbed) nn.init.truncNormal_(this.absolutePosEmbed, 0, 0.02);
    truncNormalLinearInit(this);
  }

  /** As MMSeg's init_weights: strip 'backbone.', resize each relative_position_bias_table whose length differs. */
  protected adaptPretrained(raw: Map<string, Tensor>, checkpoint: string): Map<string, Tensor> {
    const state = new Map<string, Tensor>();
    for (const [k, v] of raw) state.set(k.startsWith('backbone.') ? k.slice('backbone.'.length) : k, v);
    const own = this.stateDict();
    for (const [key, table] of state) {
      const mine = own.get(key);
      if (!key.includes('relative_position_bias_table') || !mine) continue;
      const [l1, h1] = table.shape as [number, number];
      const [l2, h2] = mine.shape as [number, number];
      if (h1 !== h2 || l1 === l2) continue; // a head-count mismatch is skipped (and reported) by the non-strict load
      const [s1, s2] = [Math.trunc(Math.sqrt(l1)), Math.trunc(Math.sqrt(l2))];
      if (s1 * s1 !== l1 || s2 * s2 !== l2) throw new Error(`${checkpoint}: ${key} has ${l1} rows, this model ${l2}; only square windows can be resized`);
      const resized = torch.noGrad(() => torch.tidy(() => F.interpolate(table.permute(1, 0).reshape(1, h1, s1, s1), { size: [s2, s2], mode: 'bicubic' }).view(h2, l2).permute(1, 0).contiguous()));
      table.dispose();
      state.set(key, resized);
    }
    return state;
  }
}

MODELS.register(SwinTransformer);

export { WindowMSA, ShiftWindowMSA, SwinBlock, SwinBlockSequence, PatchMerging, swinRelativePositionIndex, shiftWindowMask } from './swin-layers.js';
