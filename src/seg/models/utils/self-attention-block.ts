// SelfAttentionBlock: MMSeg's general key/query/value attention block (models/utils), as OCR's ObjectAttentionBlock uses it.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import * as F from '../../../torch/functional/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { constantInit } from '../init/weight-init.js';
import { ConvModule, type LayerCfg } from './conv-module.js';

const layerCfg = z.object({ type: z.string() }).passthrough();
const optionalModule = z.instanceof(nn.Module).nullable().default(null);

export const selfAttentionBlockSchema = z.object({
  key_in_channels: z.number().int().positive(),
  query_in_channels: z.number().int().positive(),
  /** Channels of the key/query (and, with with_out, value) projections. */
  channels: z.number().int().positive(),
  out_channels: z.number().int().positive(),
  /** The query projection is the key projection (needs key_in_channels == query_in_channels). */
  share_key_query: z.boolean(),
  query_downsample: optionalModule,
  /** Applied to both key and value. */
  key_downsample: optionalModule,
  key_query_num_convs: z.number().int().positive(),
  value_out_num_convs: z.number().int().positive(),
  /** ConvModules (conv + norm + act) for key/query; plain 1x1 convs otherwise. */
  key_query_norm: z.boolean(),
  value_out_norm: z.boolean(),
  /** Scale the affinities by channels^-0.5 before the softmax. */
  matmul_norm: z.boolean(),
  /** An out projection channels -> out_channels after the attention. */
  with_out: z.boolean(),
  conv_cfg: layerCfg.nullable().default(null),
  norm_cfg: layerCfg.nullable().default(null),
  act_cfg: layerCfg.nullable().default({ type: 'ReLU' }),
}).strict();

export type SelfAttentionBlockOptions = z.input<typeof selfAttentionBlockSchema>;

interface ProjectOptions {
  numConvs: number;
  useConvModule: boolean;
  convCfg: LayerCfg | null;
  normCfg: LayerCfg | null;
  actCfg: LayerCfg | null;
}

/** num_convs 1x1 projections: one module alone, or an nn.Sequential of them (MMSeg's build_project). */
function buildProject(inChannels: number, channels: number, p: ProjectOptions): nn.Module {
  const convs = Array.from({ length: p.numConvs }, (_, i): nn.Module => {
    const cin = i === 0 ? inChannels : channels;
    return p.useConvModule
      ? new ConvModule({ in_channels: cin, out_channels: channels, kernel_size: 1, conv_cfg: p.convCfg, norm_cfg: p.normCfg, act_cfg: p.actCfg })
      : new nn.Conv2d(cin, channels, 1);
  });
  return convs.length > 1 ? new nn.Sequential(...convs) : convs[0]!;
}

/**
 * context = softmax(query(q) . key(k)^T [* channels^-0.5]) . value(k), reshaped to the query's
 * spatial size and passed through out_project. Children: key_project, query_project,
 * value_project, out_project (and the downsample modules when given).
 */
export class SelfAttentionBlock extends nn.Module {
  readonly keyInChannels: number;
  readonly queryInChannels: number;
  readonly channels: number;
  readonly outChannels: number;
  readonly shareKeyQuery: boolean;
  readonly matmulNorm: boolean;
  readonly convCfg: LayerCfg | null;
  readonly normCfg: LayerCfg | null;
  readonly actCfg: LayerCfg | null;
  readonly key_project: nn.Module;
  readonly query_project: nn.Module;
  readonly value_project: nn.Module;
  readonly out_project: nn.Module | null;
  readonly query_downsample: nn.Module | null;
  readonly key_downsample: nn.Module | null;

  constructor(options: SelfAttentionBlockOptions) {
    const o = parseOptions(selfAttentionBlockSchema, options);
    super();
    if (o.share_key_query && o.key_in_channels !== o.query_in_channels) {
      throw new ConfigError(['query_in_channels'], `share_key_query needs key_in_channels == query_in_channels, got ${o.key_in_channels} and ${o.query_in_channels}`);
    }
    this.keyInChannels = o.key_in_channels;
    this.queryInChannels = o.query_in_channels;
    this.channels = o.channels;
    this.outChannels = o.out_channels;
    this.shareKeyQuery = o.share_key_query;
    this.matmulNorm = o.matmul_norm;
    this.convCfg = o.conv_cfg;
    this.normCfg = o.norm_cfg;
    this.actCfg = o.act_cfg;
    const cfgs = { convCfg: o.conv_cfg, normCfg: o.norm_cfg, actCfg: o.act_cfg };
    const keyQuery = { numConvs: o.key_query_num_convs, useConvModule: o.key_query_norm, ...cfgs };
    const valueOut = { numConvs: o.value_out_num_convs, useConvModule: o.value_out_norm, ...cfgs };
    this.key_project = this.registerModule('key_project', buildProject(o.key_in_channels, o.channels, keyQuery));
    // Shared: the same module under both names, as PyTorch's state dict lists it twice.
    this.query_project = this.registerModule('query_project', o.share_key_query ? this.key_project : buildProject(o.query_in_channels, o.channels, keyQuery));
    this.value_project = this.registerModule('value_project', buildProject(o.key_in_channels, o.with_out ? o.channels : o.out_channels, valueOut));
    this.out_project = o.with_out ? this.registerModule('out_project', buildProject(o.channels, o.out_channels, valueOut)) : null;
    this.query_downsample = o.query_downsample ? this.registerModule('query_downsample', o.query_downsample) : null;
    this.key_downsample = o.key_downsample ? this.registerModule('key_downsample', o.key_downsample) : null;
    // MMSeg's init_weights: a single plain-conv out projection starts at zero (constant_init is a no-op on a Sequential).
    if (this.out_project instanceof nn.Conv2d) constantInit(this.out_project, 0);
  }

  forward(queryFeats: Tensor, keyFeats: Tensor): Tensor {
    return torch.tidy(() => {
      const [n, , h, w] = queryFeats.shape as [number, number, number, number];
      let query = this.query_project.forward(queryFeats) as Tensor;
      if (this.query_downsample) query = this.query_downsample.forward(query) as Tensor;
      query = query.flatten(2).permute(0, 2, 1);
      let key = this.key_project.forward(keyFeats) as Tensor;
      let value = this.value_project.forward(keyFeats) as Tensor;
      if (this.key_downsample) {
        key = this.key_downsample.forward(key) as Tensor;
        value = this.key_downsample.forward(value) as Tensor;
      }
      key = key.flatten(2);
      value = value.flatten(2).permute(0, 2, 1);
      let simMap = query.matmul(key);
      if (this.matmulNorm) simMap = simMap.mul(this.channels ** -0.5);
      const context = F.softmax(simMap, -1).matmul(value).permute(0, 2, 1).reshape(n, -1, h, w);
      return this.out_project ? (this.out_project.forward(context) as Tensor) : context;
    });
  }
}
