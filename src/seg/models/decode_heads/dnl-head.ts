// DNLHead: MMSeg's DNLNet head — FCNHead's two convs with a DisentangledNonLocal2d block (dnl_block) between them.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import type * as nn from '../../../torch/nn/index.js';
import { parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { DisentangledNonLocal2d } from '../utils/disentangled-non-local.js';
import { FCNHead, fcnHeadSchema } from './fcn-head.js';

export const dnlHeadSchema = fcnHeadSchema.omit({ num_convs: true }).extend({
  reduction: z.number().int().positive().default(2),
  use_scale: z.boolean().default(true),
  mode: z.enum(['gaussian', 'embedded_gaussian', 'dot_product', 'concatenation']).default('embedded_gaussian'),
  temperature: z.number().positive().default(0.05),
}).strict();

export type DNLHeadOptions = z.input<typeof dnlHeadSchema>;

/** Disentangled Non-Local Networks (Yin et al.): convs.0 -> dnl_block -> convs.1 -> [conv_cat] -> conv_seg. */
export class DNLHead extends FCNHead {
  readonly dnl_block: DisentangledNonLocal2d;

  constructor(options: DNLHeadOptions) {
    const { reduction, use_scale, mode, temperature, ...fcn } = parseOptions(dnlHeadSchema, options);
    super({ ...fcn, num_convs: 2 });
    // As NLHead: the head's conv_cfg (None: a plain Conv2d) and norm_cfg (conv_out's norm).
    this.dnl_block = this.registerModule('dnl_block', new DisentangledNonLocal2d({
      in_channels: this.channels, reduction, use_scale, conv_cfg: this.convCfg, norm_cfg: this.normCfg, mode, temperature,
    }));
  }

  override forwardFeature(inputs: Tensor[]): Tensor {
    return torch.tidy(() => {
      const x = this.transformInputs(inputs) as Tensor;
      const [conv0, conv1] = (this.convs as nn.Sequential).children();
      const feats = conv1!.forward(this.dnl_block.forward(conv0!.forward(x) as Tensor)) as Tensor;
      return this.conv_cat ? this.conv_cat.forward(torch.cat([x, feats], 1)) : feats;
    });
  }
}

MODELS.register(DNLHead);
