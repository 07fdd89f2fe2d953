// LearningRateDecayOptimizerConstructor: lr decaying layer by layer (or stage by stage) into the backbone, as MMSeg's, for ConvNeXt, BEiT and MAE.
//
// Each parameter goes to group `layer_{id}_{decay|no_decay}` with lr = base lr x
// decay_rate ** (num_layers + 2 - id - 1); 1-d parameters, biases, pos_embed and cls_token
// get no weight decay.
//
// MMSeg's quirk: it compares the full name ('backbone.pos_embed') with 'pos_embed', which
// never matches, so pos_embed and cls_token keep their weight decay there. segkit fixes
// that by default; `paramwise_cfg.mmseg_compat_no_decay_names: true` restores MMSeg's
// behaviour (to reproduce its numbers exactly).
import { z } from 'zod';
import type { Tensor } from '../../../torch/index.js';
import type { Module } from '../../../torch/nn/index.js';
import type { ParamGroupInput } from '../../../torch/optim/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { OPTIM_WRAPPER_CONSTRUCTORS } from '../../../engine/registry/index.js';
import { DefaultOptimWrapperConstructor } from '../../../engine/optim/optimizer/index.js';
import { getLayerIdForConvNeXt, getLayerIdForViT, getStageIdForConvNeXt } from './layer-id.js';

export const layerDecayParamwiseSchema = z.object({
  decay_rate: z.number(),
  /** 'layer_wise_vit' is what LayerDecayOptimizerConstructor sets; it is layer-wise. */
  decay_type: z.enum(['layer_wise', 'stage_wise', 'layer_wise_vit']).default('layer_wise'),
  num_layers: z.number().int().min(0),
  /** true: keep MMSeg's behaviour, where pos_embed and cls_token keep their weight decay. */
  mmseg_compat_no_decay_names: z.boolean().default(false),
}).strict();

export type LayerDecayParamwiseCfg = z.output<typeof layerDecayParamwiseSchema>;

/** The extra keys of each param group (MMSeg's), besides params, lr and weight_decay. */
export interface LayerDecayParamGroup extends ParamGroupInput {
  weight_decay: number | undefined;
  params: Tensor[];
  param_names: string[];
  lr_scale: number;
  group_name: string;
  lr: number;
}

const NO_DECAY_NAMES = ['pos_embed', 'cls_token'];

export class LearningRateDecayOptimizerConstructor extends DefaultOptimWrapperConstructor {
  protected override parseParamwiseCfg(raw: unknown): Record<string, unknown> {
    if (raw === null || (typeof raw === 'object' && Object.keys(raw).length === 0)) {
      throw new ConfigError(['paramwise_cfg'], `expected {decay_rate, decay_type, num_layers} for ${this.constructor.name}, got nothing`);
    }
    return parseOptions(layerDecayParamwiseSchema, raw, ['paramwise_cfg']);
  }

  /** The layer-id function for this backbone and decay type (MMSeg's rules); the error names the backbone otherwise. */
  #layerIdFunction(model: Module, cfg: LayerDecayParamwiseCfg): (name: string) => number {
    let backbone: string;
    try {
      backbone = model.getSubmodule('backbone').className;
    } catch {
      throw new ConfigError(['constructor'], `${this.constructor.name} needs a model with a 'backbone' child (a segmentor); got a ${model.className} without one`);
    }
    const numLayers = cfg.num_layers + 2;
    if (cfg.decay_type === 'stage_wise') {
      if (backbone.includes('ConvNeXt')) return (name) => getStageIdForConvNeXt(name, numLayers);
      throw new ConfigError(['paramwise_cfg', 'decay_type'], `'stage_wise' decay is defined for ConvNeXt backbones only, not '${backbone}'`);
    }
    if (backbone.includes('ConvNeXt')) return (name) => getLayerIdForConvNeXt(name, cfg.num_layers);
    if (backbone.includes('BEiT') || backbone.includes('MAE')) return (name) => getLayerIdForViT(name, numLayers);
    throw new ConfigError(['paramwise_cfg', 'decay_type'], `'${cfg.decay_type}' decay is defined for ConvNeXt, BEiT and MAE backbones, not '${backbone}'`);
  }

  #isNoDecayName(name: string, compat: boolean): boolean {
    // MMSeg compares the full name, which has the 'backbone.' prefix in a segmentor.
    return NO_DECAY_NAMES.includes(compat ? name : name.replace(/^backbone\./, ''));
  }

  /** One group per (layer, decay | no_decay), in order of first appearance, over the trainable parameters. */
  protected override addParams(groups: ParamGroupInput[], model: Module): void {
    const cfg = this.paramwiseCfg as LayerDecayParamwiseCfg;
    const numLayers = cfg.num_layers + 2;
    this.logger.info(`Build ${this.constructor.name} ${cfg.decay_type} ${cfg.decay_rate} - ${numLayers}`);
    const layerIdOf = this.#layerIdFunction(model, cfg);
    const byName = new Map<string, LayerDecayParamGroup>();
    for (const [name, param] of model.namedParameters()) {
      if (!param.requiresGrad) continue;
      const noDecay = param.ndim === 1 || name.endsWith('.bias') || this.#isNoDecayName(name, cfg.mmseg_compat_no_decay_names);
      const layerId = layerIdOf(name);
      const groupName = `layer_${layerId}_${noDecay ? 'no_decay' : 'decay'}`;
      let group = byName.get(groupName);
      if (group === undefined) {
        const scale = cfg.decay_rate ** (numLayers - layerId - 1);
        group = {
          weight_decay: noDecay ? 0 : this.baseWd,
          params: [],
          param_names: [],
          lr_scale: scale,
          group_name: groupName,
          lr: this.scaledLr(scale, ['paramwise_cfg', 'decay_rate']),
        };
        byName.set(groupName, group);
      }
      group.params.push(param);
      group.param_names.push(name);
    }
    const summary = Object.fromEntries([...byName].map(([n, g]) => [n, { param_names: g.param_names, lr_scale: g.lr_scale, lr: g.lr, weight_decay: g.weight_decay }]));
    this.logger.info(`Param groups = ${JSON.stringify(summary, null, 2)}`);
    groups.push(...byName.values());
  }
}

OPTIM_WRAPPER_CONSTRUCTORS.register(LearningRateDecayOptimizerConstructor);
