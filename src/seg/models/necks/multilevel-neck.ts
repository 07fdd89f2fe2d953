// MMSeg's MultiLevelNeck: turns a ViT's same-resolution outputs into a pyramid (1x1 lateral conv, rescale, 3x3 conv).
import { z } from 'zod';
import { nn, type Tensor } from '../../../torch/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { ConvModule, resize } from '../utils/index.js';

const int = z.number().int();
const cfgObject = z.looseObject({ type: z.string() });

export const multiLevelNeckSchema = z.object({
  in_channels: z.array(int.positive()).min(1),
  out_channels: int.positive(),
  /** Resize factor of each output (bilinear). */
  scales: z.array(z.number().positive()).min(1).default([0.5, 1, 2, 4]),
  norm_cfg: cfgObject.nullable().default(null),
  act_cfg: cfgObject.nullable().default(null),
}).strict();

export type MultiLevelNeckOptions = z.input<typeof multiLevelNeckSchema>;

export class MultiLevelNeck extends nn.Module {
  readonly inChannels: number[];
  readonly outChannels: number;
  readonly scales: number[];
  lateralConvs: nn.ModuleList<ConvModule>;
  convs: nn.ModuleList<ConvModule>;

  constructor(options: MultiLevelNeckOptions) {
    super();
    const cfg = parseOptions(multiLevelNeckSchema, options);
    // As MMSeg: one input feeds every scale; otherwise input i goes to scale i (extra inputs are unused).
    if (cfg.in_channels.length !== 1 && cfg.in_channels.length < cfg.scales.length) {
      throw new ConfigError(['in_channels'], `expected 1 entry or at least one per scale (${cfg.scales.length}), got ${cfg.in_channels.length}`);
    }
    this.inChannels = cfg.in_channels;
    this.outChannels = cfg.out_channels;
    this.scales = cfg.scales;
    const common = { norm_cfg: cfg.norm_cfg, act_cfg: cfg.act_cfg } as Pick<ConstructorParameters<typeof ConvModule>[0], 'norm_cfg' | 'act_cfg'>;
    this.lateralConvs = this.registerModule('lateral_convs', new nn.ModuleList(
      cfg.in_channels.map((c) => new ConvModule({ in_channels: c, out_channels: cfg.out_channels, kernel_size: 1, ...common }))));
    this.convs = this.registerModule('convs', new nn.ModuleList(
      cfg.scales.map(() => new ConvModule({ in_channels: cfg.out_channels, out_channels: cfg.out_channels, kernel_size: 3, padding: 1, stride: 1, ...common }))));
  }

  /** MMSeg's init: Xavier-uniform conv weights, zero biases. */
  initWeights(): void {
    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d) {
        nn.init.xavierUniform_(m.weight);
        if (m.bias) nn.init.zeros_(m.bias);
      }
    }
  }

  forward(inputs: Tensor[]): Tensor[] {
    if (inputs.length !== this.inChannels.length) {
      throw new RangeError(`MultiLevelNeck: expected ${this.inChannels.length} inputs, got ${inputs.length}`);
    }
    let lat = inputs.map((x, i) => this.lateralConvs.at(i).forward(x));
    if (lat.length === 1) lat = this.scales.map(() => lat[0]!);
    return this.scales.map((s, i) => this.convs.at(i).forward(resize(lat[i]!, { scaleFactor: s, mode: 'bilinear' })));
  }
}

MODELS.register(MultiLevelNeck);
