// LayerDecayOptimizerConstructor: MMSeg's older name for layer-wise lr decay on BEiT/MAE (paramwise_cfg {num_layers, layer_decay_rate}).
import { z } from 'zod';
import { parseOptions } from '../../../engine/config/errors.js';
import { OPTIM_WRAPPER_CONSTRUCTORS } from '../../../engine/registry/index.js';
import { LearningRateDecayOptimizerConstructor } from './learning-rate-decay-optimizer-constructor.js';

export const legacyLayerDecayParamwiseSchema = z.object({
  num_layers: z.number().int().min(0),
  layer_decay_rate: z.number(),
  mmseg_compat_no_decay_names: z.boolean().default(false),
}).strict();

/** As MMSeg: LearningRateDecayOptimizerConstructor with decay_type 'layer_wise_vit' and decay_rate = layer_decay_rate. */
export class LayerDecayOptimizerConstructor extends LearningRateDecayOptimizerConstructor {
  protected override parseParamwiseCfg(raw: unknown): Record<string, unknown> {
    const o = parseOptions(legacyLayerDecayParamwiseSchema, raw ?? {}, ['paramwise_cfg']);
    this.logger.warning('LayerDecayOptimizerConstructor is deprecated (as in MMSeg): use LearningRateDecayOptimizerConstructor '
      + "with paramwise_cfg.decay_type 'layer_wise_vit' and decay_rate instead of layer_decay_rate");
    return super.parseParamwiseCfg({
      decay_rate: o.layer_decay_rate, decay_type: 'layer_wise_vit', num_layers: o.num_layers, mmseg_compat_no_decay_names: o.mmseg_compat_no_decay_names,
    });
  }
}

OPTIM_WRAPPER_CONSTRUCTORS.register(LayerDecayOptimizerConstructor);
