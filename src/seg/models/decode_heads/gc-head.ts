// GCHead: MMSeg's GCNet head — FCNHead's two convs with a ContextBlock (gc_block) between them.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import type * as nn from '../../../torch/nn/index.js';
import { parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { ContextBlock } from '../utils/context-block.js';
import { FCNHead, fcnHeadSchema } from './fcn-head.js';

export const gcHeadSchema = fcnHeadSchema.omit({ num_convs: true }).extend({
  ratio: z.number().positive().default(1 / 4),
  pooling_type: z.enum(['att', 'avg']).default('att'),
  fusion_types: z.array(z.enum(['channel_add', 'channel_mul'])).min(1).default(['channel_add']),
}).strict();

export type GCHeadOptions = z.input<typeof gcHeadSchema>;

/** GCNet (Cao et al.): convs.0 -> gc_block -> convs.1 -> [conv_cat] -> conv_seg. */
export class GCHead extends FCNHead {
  readonly gc_block: ContextBlock;

  constructor(options: GCHeadOptions) {
    const { ratio, pooling_type, fusion_types, ...fcn } = parseOptions(gcHeadSchema, options);
    super({ ...fcn, num_convs: 2 });
    this.gc_block = this.registerModule('gc_block', new ContextBlock({ in_channels: this.channels, ratio, pooling_type, fusion_types }));
  }

  override forwardFeature(inputs: Tensor[]): Tensor {
    return torch.tidy(() => {
      const x = this.transformInputs(inputs) as Tensor;
      const [conv0, conv1] = (this.convs as nn.Sequential).children();
      const feats = conv1!.forward(this.gc_block.forward(conv0!.forward(x) as Tensor)) as Tensor;
      return this.conv_cat ? this.conv_cat.forward(torch.cat([x, feats], 1)) : feats;
    });
  }
}

MODELS.register(GCHead);
