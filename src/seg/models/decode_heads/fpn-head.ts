// FPNHead: MMSeg's Semantic FPN head — per-level conv + 2x upsampling towers (scale_heads) summed at the finest level.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { ConvModule } from '../utils/conv-module.js';
import { resize } from '../utils/resize.js';
import { Upsample } from '../utils/upsample.js';
import { BaseDecodeHead, baseDecodeHeadSchema } from './decode-head.js';
import { layerOptions } from './psp-head.js';

export const fpnHeadSchema = baseDecodeHeadSchema.omit({ input_transform: true }).extend({
  /** Stride of each input level (powers of 2), the first the smallest. */
  feature_strides: z.array(z.number().int().positive()).min(1),
}).strict();

export type FPNHeadOptions = z.input<typeof fpnHeadSchema>;

/**
 * Panoptic FPN's semantic branch (Kirillov et al.): level i runs max(1, log2(stride_i / stride_0))
 * 3x3 ConvModules, each followed by a 2x bilinear Upsample unless i is the finest level; the
 * towers are summed (resized to level 0) and classified. input_transform is 'multiple_select'.
 */
export class FPNHead extends BaseDecodeHead {
  readonly featureStrides: number[];
  readonly scale_heads: nn.ModuleList<nn.Sequential>;

  constructor(options: FPNHeadOptions) {
    const { feature_strides, ...base } = parseOptions(fpnHeadSchema, options);
    super({ ...base, input_transform: 'multiple_select' });
    const inChannels = this.inChannels as number[];
    if (feature_strides.length !== inChannels.length) {
      throw new ConfigError(['feature_strides'], `has ${feature_strides.length} entries but in_channels has ${inChannels.length}`);
    }
    if (Math.min(...feature_strides) !== feature_strides[0]) {
      throw new ConfigError(['feature_strides'], `must start with the smallest stride, got ${JSON.stringify(feature_strides)}`);
    }
    this.featureStrides = feature_strides;
    const layer = layerOptions(this);
    const s0 = feature_strides[0]!;
    this.scale_heads = this.registerModule('scale_heads', new nn.ModuleList(feature_strides.map((stride, i) => {
      const headLength = Math.max(1, Math.trunc(Math.log2(stride) - Math.log2(s0)));
      const layers: nn.Module[] = [];
      for (let k = 0; k < headLength; k++) {
        layers.push(new ConvModule({ in_channels: k === 0 ? inChannels[i]! : this.channels, out_channels: this.channels, kernel_size: 3, padding: 1, ...layer }));
        if (stride !== s0) layers.push(new Upsample({ scaleFactor: 2, mode: 'bilinear', alignCorners: this.alignCorners }));
      }
      return new nn.Sequential(...layers);
    })));
  }

  forward(inputs: Tensor[]): Tensor {
    const feat = torch.tidy(() => {
      const x = this.transformInputs(inputs) as Tensor[];
      const heads = this.scale_heads.toArray();
      let out = heads[0]!.forward(x[0]!) as Tensor;
      for (let i = 1; i < this.featureStrides.length; i++) {
        out = out.add(resize(heads[i]!.forward(x[i]!) as Tensor, { size: out.shape.slice(2), mode: 'bilinear', alignCorners: this.alignCorners }));
      }
      return out;
    });
    return this.clsSeg(feat);
  }
}

MODELS.register(FPNHead);
