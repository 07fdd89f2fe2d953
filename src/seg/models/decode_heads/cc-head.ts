// CCHead: MMSeg's CCNet head — FCNHead's two convs with `recurrence` passes of one CrissCrossAttention (cca) between them.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import type * as nn from '../../../torch/nn/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { CrissCrossAttention } from '../utils/criss-cross-attention.js';
import { FCNHead, fcnHeadSchema } from './fcn-head.js';

export const ccHeadSchema = fcnHeadSchema.omit({ num_convs: true }).extend({
  /** How many times the same (weight-shared) criss-cross attention is applied: 2 gives full-image context. */
  recurrence: z.number().int().nonnegative().default(2),
}).strict();

export type CCHeadOptions = z.input<typeof ccHeadSchema>;

/** CCNet (Huang et al.): convs.0 -> cca x recurrence -> convs.1 -> [conv_cat] -> conv_seg. */
export class CCHead extends FCNHead {
  readonly recurrence: number;
  readonly cca: CrissCrossAttention;

  constructor(options: CCHeadOptions) {
    const { recurrence, ...fcn } = parseOptions(ccHeadSchema, options);
    super({ ...fcn, num_convs: 2 });
    this.recurrence = recurrence;
    if (this.channels < 8) throw new ConfigError(['channels'], `CCHead needs channels >= 8 (its attention projects to channels // 8), got ${this.channels}`);
    this.cca = this.registerModule('cca', new CrissCrossAttention(this.channels));
  }

  override forwardFeature(inputs: Tensor[]): Tensor {
    return torch.tidy(() => {
      const x = this.transformInputs(inputs) as Tensor;
      const [conv0, conv1] = (this.convs as nn.Sequential).children();
      let feats = conv0!.forward(x) as Tensor;
      for (let i = 0; i < this.recurrence; i++) feats = this.cca.forward(feats);
      feats = conv1!.forward(feats) as Tensor;
      return this.conv_cat ? this.conv_cat.forward(torch.cat([x, feats], 1)) : feats;
    });
  }
}

MODELS.register(CCHead);
