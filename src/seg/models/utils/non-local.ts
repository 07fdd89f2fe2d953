// NonLocal2d: MMCV's non-local block (g / theta / phi / conv_out ConvModules, optional sub-sampling), as NLHead uses it.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import * as F from '../../../torch/functional/index.js';
import { parseOptions } from '../../../engine/config/errors.js';
import { constantInit, normalInit } from '../init/weight-init.js';
import { ConvModule } from './conv-module.js';

const layerCfg = z.object({ type: z.string() }).passthrough();

export const nonLocal2dSchema = z.object({
  in_channels: z.number().int().positive(),
  /** inter_channels = max(in_channels // reduction, 1). */
  reduction: z.number().int().positive().default(2),
  /** Divide the embedded_gaussian affinities by sqrt(inter_channels) before the softmax. */
  use_scale: z.boolean().default(true),
  conv_cfg: layerCfg.nullable().default({ type: 'Conv2d' }),
  /** Norm of conv_out only (MMCV). */
  norm_cfg: layerCfg.nullable().default(null),
  mode: z.enum(['gaussian', 'embedded_gaussian', 'dot_product', 'concatenation']).default('embedded_gaussian'),
  /** Max-pool (2x2) the g and phi paths, on the spatial dimensions only. */
  sub_sample: z.boolean().default(false),
}).strict();

export type NonLocal2dOptions = z.input<typeof nonLocal2dSchema>;

/**
 * y = softmax-or-normalised(theta(x)^T phi(x)) applied to g(x); out = x + conv_out(y).
 * Children in MMCV's registration order: g, conv_out, theta, phi, concat_project.
 */
export class NonLocal2d extends nn.Module {
  readonly inChannels: number;
  readonly interChannels: number;
  readonly useScale: boolean;
  readonly mode: NonLocal2dOptions['mode'] & string;
  readonly subSample: boolean;
  readonly g: nn.Module;
  readonly conv_out: ConvModule;
  readonly theta: ConvModule | null;
  readonly phi: nn.Module | null;
  readonly concat_project: ConvModule | null;

  constructor(options: NonLocal2dOptions) {
    super();
    const o = parseOptions(nonLocal2dSchema, options);
    this.inChannels = o.in_channels;
    this.interChannels = Math.max(Math.floor(o.in_channels / o.reduction), 1);
    this.useScale = o.use_scale;
    this.mode = o.mode;
    this.subSample = o.sub_sample;
    const proj = (): ConvModule => new ConvModule({ in_channels: this.inChannels, out_channels: this.interChannels, kernel_size: 1, conv_cfg: o.conv_cfg, act_cfg: null });
    const g = proj();
    this.conv_out = new ConvModule({ in_channels: this.interChannels, out_channels: this.inChannels, kernel_size: 1, conv_cfg: o.conv_cfg, norm_cfg: o.norm_cfg, act_cfg: null });
    const theta = o.mode !== 'gaussian' ? proj() : null;
    const phi = o.mode !== 'gaussian' ? proj() : null;
    this.concat_project = o.mode === 'concatenation'
      ? new ConvModule({ in_channels: this.interChannels * 2, out_channels: 1, kernel_size: 1, bias: false, act_cfg: { type: 'ReLU' } })
      : null;
    this.initWeights(g, theta, phi);
    // MMCV wraps g and phi in Sequential(..., MaxPool2d) after init, which moves their names under `.0`.
    const pool = (): nn.MaxPool2d => new nn.MaxPool2d([2, 2]);
    this.g = this.registerModule('g', o.sub_sample ? new nn.Sequential(g, pool()) : g);
    this.registerModule('conv_out', this.conv_out);
    this.theta = theta ? this.registerModule('theta', theta) : null;
    let phiModule: nn.Module | null = phi;
    if (o.sub_sample) phiModule = phi ? new nn.Sequential(phi, pool()) : pool();
    this.phi = phiModule ? this.registerModule('phi', phiModule) : null;
    if (this.concat_project) this.registerModule('concat_project', this.concat_project);
  }

  /**
   * MMCV's init_weights(std=0.01, zeros_init=True): N(0, 0.01) projections, and conv_out's norm
   * (or conv, without norm) set to zero so the block starts as the identity.
   */
  initWeights(g: nn.Module = this.projection(this.g), theta: nn.Module | null = this.theta, phi: nn.Module | null = this.phi ? this.projection(this.phi) : null): void {
    for (const m of [g, theta, phi]) if (m instanceof ConvModule) normalInit(m.conv, 0, 0.01);
    constantInit(this.conv_out.norm ?? this.conv_out.conv, 0);
  }

  /** The ConvModule inside a sub-sampled Sequential (or the module itself). */
  private projection(m: nn.Module): nn.Module {
    return m instanceof nn.Sequential ? m.children()[0]! : m;
  }

  private pairwise(thetaX: Tensor, phiX: Tensor): Tensor {
    if (this.mode === 'concatenation') {
      const h = thetaX.size(2);
      const w = phiX.size(3);
      const feat = torch.cat([thetaX.repeat(1, 1, 1, w), phiX.repeat(1, 1, h, 1)], 1);
      const p = this.concat_project!.forward(feat);
      const [n, , ph, pw] = p.shape as [number, number, number, number];
      return p.view(n, ph, pw).div(pw);
    }
    const w = thetaX.matmul(phiX);
    if (this.mode === 'dot_product') return w.div(w.size(-1));
    if (this.mode === 'embedded_gaussian' && this.useScale) return F.softmax(w.div(thetaX.size(-1) ** 0.5), -1);
    return F.softmax(w, -1);
  }

  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      const [n, c, h, w] = x.shape as [number, number, number, number];
      const gX = (this.g.forward(x) as Tensor).view(n, this.interChannels, -1).permute(0, 2, 1);
      let thetaX: Tensor;
      let phiX: Tensor;
      if (this.mode === 'gaussian') {
        thetaX = x.view(n, c, -1).permute(0, 2, 1);
        phiX = this.subSample ? (this.phi!.forward(x) as Tensor).view(n, c, -1) : x.view(n, c, -1);
      } else if (this.mode === 'concatenation') {
        thetaX = this.theta!.forward(x).view(n, this.interChannels, -1, 1);
        phiX = (this.phi!.forward(x) as Tensor).view(n, this.interChannels, 1, -1);
      } else {
        thetaX = this.theta!.forward(x).view(n, this.interChannels, -1).permute(0, 2, 1);
        phiX = (this.phi!.forward(x) as Tensor).view(n, this.interChannels, -1);
      }
      const y = this.pairwise(thetaX, phiX).matmul(gX).permute(0, 2, 1).contiguous().reshape(n, this.interChannels, h, w);
      return x.add(this.conv_out.forward(y));
    });
  }
}
