// buildNormLayer: MMCV's build_norm_layer — a norm layer from a config, named by its abbreviation ('bn1', 'gn').
import { z } from 'zod';
import * as nn from '../../../torch/nn/index.js';
import { SyncBatchNorm } from '../../../torch/distributed/index.js';
import { ConfigError, parseOptions, type KeyPath } from '../../../engine/config/errors.js';

export const NORM_TYPES = ['BN', 'BN1d', 'BN2d', 'SyncBN', 'GN', 'LN', 'IN', 'IN2d'] as const;
export type NormType = (typeof NORM_TYPES)[number];

export const normCfgSchema = z.object({
  type: z.enum(NORM_TYPES),
  /** false freezes the layer's weight and bias. */
  requires_grad: z.boolean().default(true),
  /** MMCV sets eps to 1e-5 when the config does not. */
  eps: z.number().positive().default(1e-5),
  momentum: z.number().min(0).max(1).nullable().optional(),
  affine: z.boolean().optional(),
  track_running_stats: z.boolean().optional(),
  /** GN only (required there). */
  num_groups: z.number().int().positive().optional(),
  /** LN only. */
  elementwise_affine: z.boolean().optional(),
}).strict();

export type NormCfg = z.input<typeof normCfgSchema>;

/** MMCV's infer_abbr: the name prefix of a norm layer of this type. */
export function normAbbr(type: NormType): 'bn' | 'gn' | 'ln' | 'in' {
  if (type === 'GN') return 'gn';
  if (type === 'LN') return 'ln';
  if (type === 'IN' || type === 'IN2d') return 'in';
  return 'bn';
}

const onlyFor = (cfg: z.output<typeof normCfgSchema>, keyPath: KeyPath, allowed: readonly string[]): void => {
  for (const key of ['momentum', 'affine', 'track_running_stats', 'num_groups', 'elementwise_affine'] as const) {
    if (cfg[key] !== undefined && !allowed.includes(key)) {
      throw new ConfigError([...keyPath, key], `is not an argument of ${cfg.type} (it takes ${allowed.join(', ') || 'only eps'})`);
    }
  }
};

/**
 * Builds the norm layer of `cfg` over `numFeatures` channels and returns [name, layer] where
 * name is the abbreviation plus `postfix` ('bn', 'bn1', 'gn'), as MMCV names its attributes.
 */
export function buildNormLayer(cfg: NormCfg, numFeatures: number, postfix: string | number = '', keyPath: KeyPath = ['norm_cfg']): [string, nn.Module] {
  const c = parseOptions(normCfgSchema, cfg, keyPath);
  const name = normAbbr(c.type) + String(postfix);
  let layer: nn.Module;
  switch (c.type) {
    case 'GN':
      onlyFor(c, keyPath, ['num_groups', 'affine']);
      if (c.num_groups === undefined) throw new ConfigError([...keyPath, 'num_groups'], 'is required for GN');
      layer = new nn.GroupNorm(c.num_groups, numFeatures, { eps: c.eps, affine: c.affine });
      break;
    case 'LN':
      onlyFor(c, keyPath, ['elementwise_affine']);
      layer = new nn.LayerNorm(numFeatures, { eps: c.eps, elementwiseAffine: c.elementwise_affine });
      break;
    case 'IN':
    case 'IN2d':
      onlyFor(c, keyPath, ['momentum', 'affine', 'track_running_stats']);
      layer = new nn.InstanceNorm2d(numFeatures, { eps: c.eps, momentum: c.momentum, affine: c.affine, trackRunningStats: c.track_running_stats });
      break;
    default: {
      onlyFor(c, keyPath, ['momentum', 'affine', 'track_running_stats']);
      const opts = { eps: c.eps, momentum: c.momentum, affine: c.affine, trackRunningStats: c.track_running_stats };
      layer = c.type === 'SyncBN' ? new SyncBatchNorm(numFeatures, opts) : c.type === 'BN1d' ? new nn.BatchNorm1d(numFeatures, opts) : new nn.BatchNorm2d(numFeatures, opts);
    }
  }
  if (!c.requires_grad) for (const p of layer.parameters()) p.requiresGrad_(false);
  return [name, layer];
}

/** MMCV's is_norm: batch, instance, group and layer norms. */
export function isNorm(m: nn.Module): boolean {
  return m instanceof nn.NormBase || m instanceof nn.GroupNorm || m instanceof nn.LayerNorm;
}
