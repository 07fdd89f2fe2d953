// ConvNeXt's building blocks as mmpretrain names them: LayerNorm2d ('LN2d'), GRN and ConvNeXtBlock.
import * as torch from '../../../torch/index.js';
import { nn, type Tensor } from '../../../torch/index.js';
import { BaseModule } from '../init/index.js';

export type DataFormat = 'channel_first' | 'channel_last';

/**
 * LayerNorm over the channels of an (N, C, H, W) map (mmpretrain's LN2d). It extends
 * nn.LayerNorm so init rules written for 'LayerNorm' reach it, as they do in mmpretrain.
 */
export class LayerNorm2d extends nn.LayerNorm {
  readonly numChannels: number;

  constructor(numChannels: number, opts: { eps?: number } = {}) {
    super(numChannels, { eps: opts.eps ?? 1e-5 });
    this.numChannels = numChannels;
  }

  /** channel_first: x is (N, C, H, W); channel_last: x is (N, H, W, C), as the linear pointwise path has it. */
  override forward(x: Tensor, dataFormat: DataFormat = 'channel_first'): Tensor {
    if (x.ndim !== 4) throw new RangeError(`LayerNorm2d: expected a 4-D (N, C, H, W) input, got shape [${x.shape.join(', ')}]`);
    if (dataFormat === 'channel_last') return super.forward(x);
    return super.forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2).contiguous();
  }
}

/** Global response normalisation (ConvNeXt V2): gamma, beta start at zero so the block starts as identity. */
export class GRN extends nn.Module {
  gamma: nn.Parameter;
  beta: nn.Parameter;

  constructor(readonly inChannels: number, readonly eps = 1e-6) {
    super();
    this.gamma = this.registerParameter('gamma', torch.zeros([inChannels]));
    this.beta = this.registerParameter('beta', torch.zeros([inChannels]));
  }

  forward(x: Tensor, dataFormat: DataFormat = 'channel_first'): Tensor {
    if (dataFormat === 'channel_last') {
      const gx = x.norm(2, [1, 2], true);
      const nx = gx.div(gx.mean(-1, { keepdim: true }).add(this.eps));
      return x.mul(nx).mul(this.gamma).add(this.beta).add(x);
    }
    const gx = x.norm(2, [2, 3], true);
    const nx = gx.div(gx.mean(1, { keepdim: true }).add(this.eps));
    return x.mul(nx).mul(this.gamma.view(1, -1, 1, 1)).add(this.beta.view(1, -1, 1, 1)).add(x);
  }
}

export interface ConvNeXtBlockOptions {
  inChannels: number;
  /** LN2d epsilon (mmpretrain's default norm_cfg has 1e-6). */
  normEps?: number;
  /** Builds the activation between the pointwise layers (a fresh module each call). */
  act: () => nn.Module;
  mlpRatio?: number;
  /** Pointwise layers as nn.Linear on channel-last data (true) or 1x1 convolutions (false). */
  linearPwConv?: boolean;
  dropPathRate?: number;
  /** Initial value of the per-channel layer scale `gamma`; 0 or less leaves it out. */
  layerScaleInitValue?: number;
  useGrn?: boolean;
}

/**
 * One ConvNeXt block: depthwise 7x7 conv, LN, pointwise expand, activation, pointwise
 * project, layer scale, stochastic depth, residual. Parameter names as mmpretrain's.
 */
export class ConvNeXtBlock extends BaseModule {
  depthwiseConv: nn.Conv2d;
  norm: LayerNorm2d;
  pointwiseConv1: nn.Linear | nn.Conv2d;
  act: nn.Module;
  pointwiseConv2: nn.Linear | nn.Conv2d;
  grn: GRN | null;
  gamma: nn.Parameter | null;
  dropPath: nn.Module;
  readonly linearPwConv: boolean;

  constructor(opts: ConvNeXtBlockOptions) {
    super();
    const c = opts.inChannels;
    this.linearPwConv = opts.linearPwConv ?? true;
    this.depthwiseConv = this.registerModule('depthwise_conv', new nn.Conv2d(c, c, 7, { padding: 3, groups: c }));
    this.norm = this.registerModule('norm', new LayerNorm2d(c, { eps: opts.normEps ?? 1e-6 }));
    const mid = Math.trunc((opts.mlpRatio ?? 4) * c);
    const pw = (i: number, o: number): nn.Linear | nn.Conv2d => (this.linearPwConv ? new nn.Linear(i, o) : new nn.Conv2d(i, o, 1));
    this.pointwiseConv1 = this.registerModule('pointwise_conv1', pw(c, mid));
    this.act = this.registerModule('act', opts.act());
    this.pointwiseConv2 = this.registerModule('pointwise_conv2', pw(mid, c));
    this.grn = this.registerModule('grn', opts.useGrn ? new GRN(mid) : null);
    const scale = opts.layerScaleInitValue ?? 1e-6;
    this.gamma = this.registerParameter('gamma', scale > 0 ? torch.full([c], scale) : null);
    const rate = opts.dropPathRate ?? 0;
    this.dropPath = this.registerModule('drop_path', rate > 0 ? new nn.DropPath(rate) : new nn.Identity());
  }

  forward(x: Tensor): Tensor {
    let y = this.depthwiseConv.forward(x);
    if (this.linearPwConv) {
      y = this.norm.forward(y.permute(0, 2, 3, 1), 'channel_last');
      y = this.act.forward(this.pointwiseConv1.forward(y));
      if (this.grn) y = this.grn.forward(y, 'channel_last');
      y = this.pointwiseConv2.forward(y).permute(0, 3, 1, 2);
    } else {
      y = this.act.forward(this.pointwiseConv1.forward(this.norm.forward(y, 'channel_first')));
      if (this.grn) y = this.grn.forward(y, 'channel_first');
      y = this.pointwiseConv2.forward(y);
    }
    if (this.gamma) y = y.mul(this.gamma.view(1, -1, 1, 1));
    return x.add(this.dropPath.forward(y));
  }
}
