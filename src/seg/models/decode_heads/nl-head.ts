// NLHead: MMSeg's NLNet head — FCNHead's two convs with a NonLocal2d block (nl_block) between them.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import type * as nn from '../../../torch/nn/index.js';
import { parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { NonLocal2d } from '../utils/non-local.js';
import { FCNHead, fcnHeadSchema } from './fcn-head.js';

export const nlHeadSchema = fcnHeadSchema.omit({ num_convs: true }).extend({
  reduction: z.number().int().positive().default(2),
  use_scale: z.boolean().default(true),
  mode: z.enum(['gaussian', 'embedded_gaussian', 'dot_product', 'concatenation']).default('embedded_gaussian'),
}).strict();

export type NLHeadOptions = z.input<typeof nlHeadSchema>;

/** Non-local Neural Networks (Wang et al.): convs.0 -> nl_block -> convs.1 -> [conv_cat] -> conv_seg. */
export class NLHead extends FCNHead {
  readonly nl_block: NonLocal2d;

  constructor(options: NLHeadOptions) {
    const { reduction, use_scale, mode, ...fcn } = parseOptions(nlHeadSchema, options);
    super({ ...fcn, num_convs: 2 });
    // MMSeg passes the head's conv_cfg (None by default: a plain Conv2d) and norm_cfg (for conv_out).
    this.nl_block = this.registerModule('nl_block', new NonLocal2d({
      in_channels: this.channels, reduction, use_scale, conv_cfg: this.convCfg, norm_cfg: this.normCfg, mode,
    }));
  }

  override forwardFeature(inputs: Tensor[]): Tensor {
    return torch.tidy(() => {
      const x = this.transformInputs(inputs) as Tensor;
      const [conv0, conv1] = (this.convs as nn.Sequential).children();
      const feats = conv1!.forward(this.nl_block.forward(conv0!.forward(x) as Tensor)) as Tensor;
      return this.conv_cat ? this.conv_cat.forward(torch.cat([x, feats], 1)) : feats;
    });
  }
}

MODELS.register(NLHead);
