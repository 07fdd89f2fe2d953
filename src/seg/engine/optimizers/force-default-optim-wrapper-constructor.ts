// ForceDefaultOptimWrapperConstructor: MMSeg's DefaultOptimWrapperConstructor that keeps frozen parameters and can force the default rules.
import { z } from 'zod';
import { OPTIM_WRAPPER_CONSTRUCTORS } from '../../../engine/registry/index.js';
import { DefaultOptimWrapperConstructor, paramwiseCfgSchema } from '../../../engine/optim/optimizer/index.js';

export const forceDefaultParamwiseSchema = paramwiseCfgSchema.extend({
  /** true: bias_lr_mult, norm_decay_mult, ... apply on top of a matching custom key instead of being skipped. */
  force_default_settings: z.boolean().optional(),
});

/**
 * Differs from DefaultOptimWrapperConstructor in two ways, as MMSeg's: frozen parameters
 * join the optimizer (one plain group each) instead of being skipped, and
 * `force_default_settings` applies the default rules after a custom key's settings.
 */
export class ForceDefaultOptimWrapperConstructor extends DefaultOptimWrapperConstructor {
  protected override paramwiseSchema(): z.ZodType<Record<string, unknown>> {
    return forceDefaultParamwiseSchema;
  }

  protected override get forcesDefaultSettings(): boolean {
    return this.paramwiseCfg.force_default_settings === true;
  }

  protected override get keepsFrozenParams(): boolean {
    return true;
  }
}

OPTIM_WRAPPER_CONSTRUCTORS.register(ForceDefaultOptimWrapperConstructor);
