// One pre-norm encoder layer of MMSeg's VisionTransformer (ln1, attn, ln2, ffn), reused by BEiT and MAE.
import { nn, type Tensor } from '../../../torch/index.js';
import { buildActivationLayer, buildNormLayer } from '../utils/index.js';
import { BaseModule } from '../init/index.js';
import { FFN, MultiheadAttention } from './transformer-bricks.js';

export type NormCfg = Parameters<typeof buildNormLayer>[0];
export type ActCfg = Parameters<typeof buildActivationLayer>[0];

export interface TransformerEncoderLayerOptions {
  embedDims: number;
  numHeads: number;
  feedforwardChannels: number;
  /** Dropout after the attention projection and inside the FFN. */
  dropRate?: number;
  attnDropRate?: number;
  /** Stochastic depth on the FFN branch (MMSeg 1.x puts none on the attention branch). */
  dropPathRate?: number;
  numFcs?: number;
  qkvBias?: boolean;
  actCfg?: ActCfg;
  normCfg?: NormCfg;
  batchFirst?: boolean;
  /** Builds a different attention module (BEiT's); default MMCV's MultiheadAttention. */
  buildAttn?: () => nn.Module;
  /** FFN adds its own shortcut (BEiT turns this off and adds a scaled one). */
  ffnAddIdentity?: boolean;
}

/** x = attn(ln1(x)) + x; x = ffn(ln2(x)) + x, with MMSeg's parameter names. */
export class TransformerEncoderLayer extends BaseModule {
  readonly norm1Name: string;
  readonly norm2Name: string;
  attn: nn.Module;
  ffn: FFN;

  constructor(opts: TransformerEncoderLayerOptions) {
    super();
    const normCfg: NormCfg = opts.normCfg ?? { type: 'LN' };
    const actCfg: ActCfg = opts.actCfg ?? { type: 'GELU' };
    const [n1, norm1] = buildNormLayer(normCfg, opts.embedDims, 1);
    this.norm1Name = n1;
    this.registerModule(n1, norm1);
    this.attn = this.registerModule('attn', opts.buildAttn ? opts.buildAttn() : new MultiheadAttention({
      embedDims: opts.embedDims,
      numHeads: opts.numHeads,
      attnDrop: opts.attnDropRate ?? 0,
      projDrop: opts.dropRate ?? 0,
      batchFirst: opts.batchFirst ?? true,
      bias: opts.qkvBias ?? true,
    }));
    const [n2, norm2] = buildNormLayer(normCfg, opts.embedDims, 2);
    this.norm2Name = n2;
    this.registerModule(n2, norm2);
    const dropPath = opts.dropPathRate ?? 0;
    this.ffn = this.registerModule('ffn', new FFN({
      embedDims: opts.embedDims,
      feedforwardChannels: opts.feedforwardChannels,
      numFcs: opts.numFcs ?? 2,
      ffnDrop: opts.dropRate ?? 0,
      dropoutLayer: dropPath > 0 ? { type: 'DropPath', drop_prob: dropPath } : null,
      act: () => buildActivationLayer(actCfg),
      addIdentity: opts.ffnAddIdentity ?? true,
    }));
  }

  get norm1(): nn.Module {
    return this.getSubmodule(this.norm1Name);
  }

  get norm2(): nn.Module {
    return this.getSubmodule(this.norm2Name);
  }

  forward(x: Tensor): Tensor {
    const attn = this.attn as MultiheadAttention;
    x = attn.forward(this.norm1.forward(x), { identity: x });
    return this.ffn.forward(this.norm2.forward(x), x);
  }
}
