// MMSeg's Feature2Pyramid: rescales four same-resolution BEiT/MAE outputs to 4x, 2x, 1x, 0.5x (or 2x .. 0.25x).
import { z } from 'zod';
import { nn, type Tensor } from '../../../torch/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { buildNormLayer } from '../utils/index.js';

const RESCALES = [4, 2, 1, 0.5, 0.25] as const;

export const feature2PyramidSchema = z.object({
  embed_dim: z.number().int().positive(),
  rescales: z.array(z.number()).min(1).default([4, 2, 1, 0.5]),
  norm_cfg: z.looseObject({ type: z.string() }).default({ type: 'SyncBN', requires_grad: true }),
}).strict();

export type Feature2PyramidOptions = z.input<typeof feature2PyramidSchema>;

export class Feature2Pyramid extends nn.Module {
  readonly rescales: number[];
  upsample4x: nn.Sequential | null = null;
  upsample2x: nn.Sequential | null = null;
  identity: nn.Identity | null = null;
  downsample2x: nn.MaxPool2d | null = null;
  downsample4x: nn.MaxPool2d | null = null;

  constructor(options: Feature2PyramidOptions) {
    super();
    const cfg = parseOptions(feature2PyramidSchema, options);
    this.rescales = cfg.rescales;
    const d = cfg.embed_dim;
    const up2 = (): nn.ConvTranspose2d => new nn.ConvTranspose2d(d, d, 2, { stride: 2 });
    cfg.rescales.forEach((k, i) => {
      if (k === 4) {
        this.upsample4x = this.registerModule('upsample_4x', new nn.Sequential(
          up2(), buildNormLayer(cfg.norm_cfg as Parameters<typeof buildNormLayer>[0], d)[1], new nn.GELU(), up2()));
      } else if (k === 2) {
        this.upsample2x = this.registerModule('upsample_2x', new nn.Sequential(up2()));
      } else if (k === 1) {
        this.identity = this.registerModule('identity', new nn.Identity());
      } else if (k === 0.5) {
        this.downsample2x = this.registerModule('downsample_2x', new nn.MaxPool2d(2, { stride: 2 }));
      } else if (k === 0.25) {
        this.downsample4x = this.registerModule('downsample_4x', new nn.MaxPool2d(4, { stride: 4 }));
      } else {
        throw new ConfigError(['rescales', i], `invalid ${k} for feature2pyramid, expected one of ${RESCALES.join(', ')}`);
      }
    });
  }

  /** Input i goes through the i-th of [4x, 2x, 1x, 0.5x] when 4 is among the rescales, else [2x, 1x, 0.5x, 0.25x]. */
  forward(inputs: Tensor[]): Tensor[] {
    if (inputs.length !== this.rescales.length) throw new RangeError(`Feature2Pyramid: expected ${this.rescales.length} inputs, got ${inputs.length}`);
    const ops: [string, nn.Module | null][] = this.upsample4x
      ? [['upsample_4x', this.upsample4x], ['upsample_2x', this.upsample2x], ['identity', this.identity], ['downsample_2x', this.downsample2x]]
      : [['upsample_2x', this.upsample2x], ['identity', this.identity], ['downsample_2x', this.downsample2x], ['downsample_4x', this.downsample4x]];
    return inputs.map((x, i) => {
      const [name, op] = ops[i]!;
      if (!op) throw new Error(`Feature2Pyramid: input ${i} needs '${name}', which rescales [${this.rescales.join(', ')}] does not build`);
      return op.forward(x) as Tensor;
    });
  }
}

MODELS.register(Feature2Pyramid);
