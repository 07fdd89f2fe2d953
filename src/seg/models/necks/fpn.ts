// MMSeg's FPN neck: lateral 1x1 convs, a top-down pathway, 3x3 output convs and optional extra levels.
import { z } from 'zod';
import * as nn from '../../../torch/nn/index.js';
import * as F from '../../../torch/functional/index.js';
import type { Tensor } from '../../../torch/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { ConvModule } from '../utils/index.js';
import { BaseModule, initCfgSchema, type InitCfgInput } from '../init/index.js';

type ConvModuleOptions = ConstructorParameters<typeof ConvModule>[0];
const int = z.number().int();
/** A layer config ({type, ...}); the layer builders check the rest. */
const cfgObject = z.looseObject({ type: z.string() });

export const fpnSchema = z.object({
  in_channels: z.array(int.positive()).min(1),
  out_channels: int.positive(),
  num_outs: int.positive(),
  start_level: int.nonnegative().default(0),
  end_level: int.default(-1),
  add_extra_convs: z.union([z.boolean(), z.enum(['on_input', 'on_lateral', 'on_output'])]).default(false),
  /** Deprecated: with add_extra_convs true, chooses 'on_input' (true) or 'on_output' (false). */
  extra_convs_on_inputs: z.boolean().default(false),
  relu_before_extra_convs: z.boolean().default(false),
  no_norm_on_lateral: z.boolean().default(false),
  conv_cfg: cfgObject.nullable().default(null),
  norm_cfg: cfgObject.nullable().default(null),
  act_cfg: cfgObject.nullable().default(null),
  /** F.interpolate options for the top-down pathway: mode, scale_factor (else the lower level's size), align_corners. */
  upsample_cfg: z.object({
    mode: z.enum(['nearest', 'bilinear', 'bicubic', 'area', 'nearest-exact']).default('nearest'),
    scale_factor: z.number().positive().optional(),
    align_corners: z.boolean().optional(),
  }).strict().default({ mode: 'nearest' }),
  init_cfg: initCfgSchema.default({ type: 'Xavier', layer: 'Conv2d', distribution: 'uniform' }),
}).strict();

export type FPNOptions = z.input<typeof fpnSchema>;
type FPNConfig = z.output<typeof fpnSchema>;

/**
 * Feature Pyramid Network (Lin et al.). lateral_convs.i and fpn_convs.i are ConvModules for the
 * levels start_level..end_level; levels beyond them come from stride-2 max pooling or, with
 * add_extra_convs, from extra stride-2 convs appended to fpn_convs.
 */
export class FPN extends BaseModule {
  readonly cfg: FPNConfig;
  readonly lateralConvs: nn.ModuleList<ConvModule>;
  readonly fpnConvs: nn.ModuleList<ConvModule>;
  /** Where the extra convs read from, or false for max pooling. */
  readonly extraSource: false | 'on_input' | 'on_lateral' | 'on_output';
  readonly backboneEndLevel: number;

  constructor(options: FPNOptions) {
    const cfg = parseOptions(fpnSchema, options);
    super(cfg.init_cfg as InitCfgInput);
    this.cfg = cfg;
    const numIns = cfg.in_channels.length;
    if (cfg.end_level === -1) {
      this.backboneEndLevel = numIns;
      if (cfg.num_outs < numIns - cfg.start_level) throw new ConfigError(['num_outs'], `must be >= ${numIns - cfg.start_level} (inputs from start_level), got ${cfg.num_outs}`);
    } else {
      this.backboneEndLevel = cfg.end_level;
      if (cfg.end_level > numIns) throw new ConfigError(['end_level'], `must be <= ${numIns} (len(in_channels)), got ${cfg.end_level}`);
      if (cfg.num_outs !== cfg.end_level - cfg.start_level) throw new ConfigError(['num_outs'], `must equal end_level - start_level = ${cfg.end_level - cfg.start_level} when end_level is set, got ${cfg.num_outs}`);
    }
    if (cfg.start_level >= this.backboneEndLevel) throw new ConfigError(['start_level'], `must be below the end level ${this.backboneEndLevel}, got ${cfg.start_level}`);
    this.extraSource = cfg.add_extra_convs === true ? (cfg.extra_convs_on_inputs ? 'on_input' : 'on_output') : cfg.add_extra_convs;

    const layer = {
      conv_cfg: cfg.conv_cfg as ConvModuleOptions['conv_cfg'],
      act_cfg: cfg.act_cfg as ConvModuleOptions['act_cfg'],
      inplace: false,
    };
    const normCfg = cfg.norm_cfg as ConvModuleOptions['norm_cfg'];
    this.lateralConvs = this.registerModule('lateral_convs', new nn.ModuleList<ConvModule>());
    this.fpnConvs = this.registerModule('fpn_convs', new nn.ModuleList<ConvModule>());
    for (let i = cfg.start_level; i < this.backboneEndLevel; i++) {
      this.lateralConvs.append(new ConvModule({
        in_channels: cfg.in_channels[i]!, out_channels: cfg.out_channels, kernel_size: 1, ...layer, norm_cfg: cfg.no_norm_on_lateral ? null : normCfg,
      }));
      this.fpnConvs.append(new ConvModule({ in_channels: cfg.out_channels, out_channels: cfg.out_channels, kernel_size: 3, padding: 1, ...layer, norm_cfg: normCfg }));
    }
    const extraLevels = cfg.num_outs - this.backboneEndLevel + cfg.start_level;
    if (this.extraSource) {
      for (let i = 0; i < extraLevels; i++) {
        const inChannels = i === 0 && this.extraSource === 'on_input' ? cfg.in_channels[this.backboneEndLevel - 1]! : cfg.out_channels;
        this.fpnConvs.append(new ConvModule({ in_channels: inChannels, out_channels: cfg.out_channels, kernel_size: 3, stride: 2, padding: 1, ...layer, norm_cfg: normCfg }));
      }
    }
  }

  forward(inputs: Tensor[]): Tensor[] {
    if (inputs.length !== this.cfg.in_channels.length) {
      throw new RangeError(`FPN: expected ${this.cfg.in_channels.length} input levels (in_channels), got ${inputs.length}`);
    }
    const laterals = this.lateralConvs.toArray().map((conv, i) => conv.forward(inputs[i + this.cfg.start_level]!));
    const levels = laterals.length;
    const { mode, scale_factor: scaleFactor, align_corners: alignCorners } = this.cfg.upsample_cfg;
    for (let i = levels - 1; i > 0; i--) {
      const target = scaleFactor !== undefined ? { scaleFactor } : { size: laterals[i - 1]!.shape.slice(2) };
      laterals[i - 1] = laterals[i - 1]!.add(F.interpolate(laterals[i]!, { ...target, mode, alignCorners }));
    }
    const outs = laterals.map((lat, i) => this.fpnConvs.at(i).forward(lat));
    if (this.cfg.num_outs > outs.length) {
      if (!this.extraSource) {
        for (let i = 0; i < this.cfg.num_outs - levels; i++) outs.push(F.maxPool2d(outs[outs.length - 1]!, 1, { stride: 2 }));
      } else {
        const source = this.extraSource === 'on_input' ? inputs[this.backboneEndLevel - 1]!
          : this.extraSource === 'on_lateral' ? laterals[levels - 1]! : outs[outs.length - 1]!;
        outs.push(this.fpnConvs.at(levels).forward(source));
        for (let i = levels + 1; i < this.cfg.num_outs; i++) {
          const prev = outs[outs.length - 1]!;
          outs.push(this.fpnConvs.at(i).forward(this.cfg.relu_before_extra_convs ? F.relu(prev) : prev));
        }
      }
    }
    return outs;
  }

  // initWeights (BaseModule): Xavier-uniform convs by default; the ConvModules sit in plain
  // ModuleLists, which MMEngine does not enter, so their own init does not run.
}

MODELS.register(FPN);
