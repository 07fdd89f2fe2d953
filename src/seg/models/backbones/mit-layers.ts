// SegFormer's MiT blocks as MMSeg names them: MixFFN (1x1 conv, 3x3 depthwise "positional" conv,
// 1x1 conv), EfficientMultiheadAttention (keys/values spatially reduced by sr_ratio) and their layer.
import * as torch from '../../../torch/index.js';
import { nn, type Tensor } from '../../../torch/index.js';
import { buildActivationLayer, buildNormLayer, nchwToNlc, nlcToNchw } from '../utils/index.js';
import { BaseModule } from '../init/index.js';
import { MultiheadAttention, buildDropout, type DropoutLayerCfg } from './transformer-bricks.js';
import type { ActCfg, NormCfg } from './vit-layer.js';

export interface MixFFNOptions {
  embedDims: number;
  feedforwardChannels: number;
  actCfg?: ActCfg;
  ffnDrop?: number;
  dropoutLayer?: DropoutLayerCfg;
}

/** out = identity + dropout_layer(fc2(drop(act(pe_conv(fc1(x)))))) on the NCHW view of the tokens. */
export class MixFFN extends BaseModule {
  activate: nn.Module;
  layers: nn.Sequential;
  dropoutLayer: nn.Module;

  constructor(opts: MixFFNOptions) {
    super();
    const c = opts.embedDims;
    const hidden = opts.feedforwardChannels;
    this.activate = this.registerModule('activate', buildActivationLayer(opts.actCfg ?? { type: 'GELU' }));
    const drop = new nn.Dropout(opts.ffnDrop ?? 0);
    this.layers = this.registerModule('layers', new nn.Sequential(
      new nn.Conv2d(c, hidden, 1),
      new nn.Conv2d(hidden, hidden, 3, { padding: 1, groups: hidden }),
      this.activate,
      drop,
      new nn.Conv2d(hidden, c, 1),
      drop,
    ));
    this.dropoutLayer = this.registerModule('dropout_layer', buildDropout(opts.dropoutLayer ?? null));
  }

  /** In a tidy scope: intermediates autograd does not save are freed now, as Python's refcounting would, not at the end of the step. */
  forward(x: Tensor, hwShape: [number, number], identity: Tensor | null = null): Tensor {
    return torch.tidy(() => {
      const out = nchwToNlc(this.layers.forward(nlcToNchw(x, hwShape)));
      return (identity ?? x).add(this.dropoutLayer.forward(out));
    });
  }
}

export interface EfficientMultiheadAttentionOptions {
  embedDims: number;
  numHeads: number;
  attnDrop?: number;
  projDrop?: number;
  dropoutLayer?: DropoutLayerCfg;
  qkvBias?: boolean;
  normCfg?: NormCfg;
  /** Keys and values come from the map reduced by an sr x sr, stride-sr conv (+ norm) when > 1. */
  srRatio?: number;
}

export class EfficientMultiheadAttention extends MultiheadAttention {
  readonly srRatio: number;
  sr: nn.Conv2d | null = null;
  norm: nn.Module | null = null;

  constructor(opts: EfficientMultiheadAttentionOptions) {
    super({
      embedDims: opts.embedDims,
      numHeads: opts.numHeads,
      attnDrop: opts.attnDrop ?? 0,
      projDrop: opts.projDrop ?? 0,
      dropoutLayer: opts.dropoutLayer ?? null,
      batchFirst: true,
      bias: opts.qkvBias ?? false,
    });
    this.srRatio = opts.srRatio ?? 1;
    if (this.srRatio > 1) {
      this.sr = this.registerModule('sr', new nn.Conv2d(opts.embedDims, opts.embedDims, this.srRatio, { stride: this.srRatio }));
      this.norm = this.registerModule('norm', buildNormLayer(opts.normCfg ?? { type: 'LN' }, opts.embedDims)[1]);
    }
  }

  /** Self-attention of x (B, N, C) over the (possibly reduced) map of shape hwShape. */
  forwardTokens(x: Tensor, hwShape: [number, number], identity: Tensor | null = null): Tensor {
    return torch.tidy(() => {
      let kv = x;
      if (this.sr && this.norm) kv = this.norm.forward(nchwToNlc(this.sr.forward(nlcToNchw(x, hwShape))));
      return super.forward(x, { key: kv, value: kv, identity: identity ?? x });
    });
  }
}

export interface MiTLayerOptions {
  embedDims: number;
  numHeads: number;
  feedforwardChannels: number;
  dropRate?: number;
  attnDropRate?: number;
  dropPathRate?: number;
  qkvBias?: boolean;
  actCfg?: ActCfg;
  normCfg?: NormCfg;
  srRatio?: number;
}

/** MiT's encoder layer: x = attn(norm1(x)) + x; x = ffn(norm2(x)) + x, with drop path on both branches. */
export class MiTTransformerEncoderLayer extends BaseModule {
  norm1: nn.Module;
  attn: EfficientMultiheadAttention;
  norm2: nn.Module;
  ffn: MixFFN;

  constructor(opts: MiTLayerOptions) {
    super();
    const normCfg = opts.normCfg ?? { type: 'LN' };
    const dropPath: DropoutLayerCfg = { type: 'DropPath', drop_prob: opts.dropPathRate ?? 0 };
    this.norm1 = this.registerModule('norm1', buildNormLayer(normCfg, opts.embedDims)[1]);
    this.attn = this.registerModule('attn', new EfficientMultiheadAttention({
      embedDims: opts.embedDims,
      numHeads: opts.numHeads,
      attnDrop: opts.attnDropRate ?? 0,
      projDrop: opts.dropRate ?? 0,
      dropoutLayer: dropPath,
      qkvBias: opts.qkvBias ?? true,
      normCfg,
      srRatio: opts.srRatio ?? 1,
    }));
    this.norm2 = this.registerModule('norm2', buildNormLayer(normCfg, opts.embedDims)[1]);
    this.ffn = this.registerModule('ffn', new MixFFN({
      embedDims: opts.embedDims,
      feedforwardChannels: opts.feedforwardChannels,
      ffnDrop: opts.dropRate ?? 0,
      dropoutLayer: dropPath,
      actCfg: opts.actCfg ?? { type: 'GELU' },
    }));
  }

  forward(x: Tensor, hwShape: [number, number]): Tensor {
    return torch.tidy(() => {
      const y = this.attn.forwardTokens(this.norm1.forward(x), hwShape, x);
      return this.ffn.forward(this.norm2.forward(y), hwShape, y);
    });
  }
}
