// BEiT's attention with a learnt relative position bias (plus q/v-only biases) and its
// layer-scaled encoder layer (gamma_1, gamma_2), named as MMSeg's beit.py.
import * as torch from '../../../torch/index.js';
import { nn, type Tensor } from '../../../torch/index.js';
import * as F from '../../../torch/functional/index.js';
import { BaseModule } from '../init/index.js';
import { TransformerEncoderLayer, type ActCfg, type NormCfg } from './vit-layer.js';

export interface BEiTAttentionOptions {
  embedDims: number;
  numHeads: number;
  /** The patch grid (Wh, Ww) the relative position table covers. */
  windowSize: [number, number];
  /** 'qv_bias': learnt q and v biases, none for k; true: one qkv bias; false: none. */
  bias?: 'qv_bias' | boolean;
  qkScale?: number | null;
}

/**
 * The index into relative_position_bias_table for every (query, key) token pair of a
 * (Wh*Ww + 1)-token sequence; the cls token's rows/columns use the table's last three slots.
 */
export function relativePositionIndex(wh: number, ww: number): number[][] {
  const n = wh * ww;
  const numDistance = (2 * wh - 1) * (2 * ww - 1) + 3;
  const index = Array.from({ length: n + 1 }, () => new Array<number>(n + 1).fill(0));
  for (let i = 0; i < n; i++) {
    const [hi, wi] = [Math.floor(i / ww), i % ww];
    for (let j = 0; j < n; j++) {
      const [hj, wj] = [Math.floor(j / ww), j % ww];
      index[i + 1]![j + 1] = (hi - hj + wh - 1) * (2 * ww - 1) + (wi - wj + ww - 1);
    }
  }
  for (let j = 0; j <= n; j++) index[0]![j] = numDistance - 3;
  for (let i = 0; i <= n; i++) index[i]![0] = numDistance - 2;
  index[0]![0] = numDistance - 1;
  return index;
}

/** Multi-head self-attention with relative position bias, as BEiT's (attention dropout fixed at 0 as in MMSeg). */
export class BEiTAttention extends BaseModule {
  readonly embedDims: number;
  readonly numHeads: number;
  readonly windowSize: [number, number];
  readonly bias: 'qv_bias' | boolean;
  readonly scale: number;
  readonly numRelativeDistance: number;
  qBias: nn.Parameter | null = null;
  vBias: nn.Parameter | null = null;
  relativePositionBiasTable: nn.Parameter;
  relativePositionIndex: Tensor;
  qkv: nn.Linear;
  attnDrop: nn.Dropout;
  proj: nn.Linear;
  projDrop: nn.Dropout;

  constructor(opts: BEiTAttentionOptions) {
    super();
    this.embedDims = opts.embedDims;
    this.numHeads = opts.numHeads;
    this.bias = opts.bias ?? 'qv_bias';
    this.scale = opts.qkScale ?? Math.floor(opts.embedDims / opts.numHeads) ** -0.5;
    if (this.bias === 'qv_bias') {
      this.qBias = this.registerParameter('q_bias', torch.zeros([opts.embedDims]));
      this.vBias = this.registerParameter('v_bias', torch.zeros([opts.embedDims]));
    }
    this.windowSize = opts.windowSize;
    const [wh, ww] = opts.windowSize;
    this.numRelativeDistance = (2 * wh - 1) * (2 * ww - 1) + 3;
    this.relativePositionBiasTable = this.registerParameter('relative_position_bias_table', torch.zeros([this.numRelativeDistance, opts.numHeads]));
    this.relativePositionIndex = this.registerBuffer('relative_position_index', torch.tensor(relativePositionIndex(wh, ww), { dtype: 'int64' }));
    this.qkv = this.registerModule('qkv', new nn.Linear(opts.embedDims, opts.embedDims * 3, { bias: this.bias === true }));
    // MMSeg passes the rates under names BEiTAttention does not read, so both dropouts stay at 0.
    this.attnDrop = this.registerModule('attn_drop', new nn.Dropout(0));
    this.proj = this.registerModule('proj', new nn.Linear(opts.embedDims, opts.embedDims));
    this.projDrop = this.registerModule('proj_drop', new nn.Dropout(0));
  }

  /** The bias table's own init (used when an init_cfg other than Pretrained drives the backbone). */
  override initWeights(): void {
    nn.init.truncNormal_(this.relativePositionBiasTable, 0, 0.02);
  }

  /** The (heads, N, N) bias added to the attention logits. */
  relativePositionBias(): Tensor {
    const n = this.windowSize[0] * this.windowSize[1] + 1;
    return this.relativePositionBiasTable.index([this.relativePositionIndex.view(-1)]).view(n, n, -1).permute(2, 0, 1).contiguous();
  }

  forward(x: Tensor): Tensor {
    const [b, n, c] = x.shape as [number, number, number];
    let qkv: Tensor;
    if (this.qBias && this.vBias) {
      const bias = torch.cat([this.qBias, torch.zerosLike(this.vBias), this.vBias]);
      qkv = F.linear(x, this.qkv.weight, bias);
    } else {
      qkv = this.qkv.forward(x);
    }
    const [q, k, v] = qkv.reshape(b, n, 3, this.numHeads, -1).permute(2, 0, 3, 1, 4).unbind(0) as [Tensor, Tensor, Tensor];
    let attn = q.mul(this.scale).matmul(k.transpose(-2, -1));
    attn = attn.add(this.relativePositionBias().unsqueeze(0));
    attn = this.attnDrop.forward(F.softmax(attn, -1));
    const out = attn.matmul(v).transpose(1, 2).reshape(b, n, c);
    return this.projDrop.forward(this.proj.forward(out));
  }
}

export interface BEiTLayerOptions {
  embedDims: number;
  numHeads: number;
  feedforwardChannels: number;
  dropPathRate?: number;
  numFcs?: number;
  bias?: 'qv_bias' | boolean;
  actCfg?: ActCfg;
  normCfg?: NormCfg;
  windowSize: [number, number];
  /** Initial value of the layer scales gamma_1 and gamma_2. */
  initValues: number;
}

/** x = x + drop_path(gamma_1 * attn(ln1(x))); x = x + drop_path(gamma_2 * ffn(ln2(x))). */
export class BEiTTransformerEncoderLayer extends TransformerEncoderLayer {
  dropPath: nn.DropPath;
  gamma1: nn.Parameter;
  gamma2: nn.Parameter;

  constructor(opts: BEiTLayerOptions, makeAttn: (o: BEiTAttentionOptions) => nn.Module = (o) => new BEiTAttention(o)) {
    super({
      embedDims: opts.embedDims,
      numHeads: opts.numHeads,
      feedforwardChannels: opts.feedforwardChannels,
      dropPathRate: 0,
      dropRate: 0,
      numFcs: opts.numFcs ?? 2,
      actCfg: opts.actCfg,
      normCfg: opts.normCfg,
      buildAttn: () => makeAttn({ embedDims: opts.embedDims, numHeads: opts.numHeads, windowSize: opts.windowSize, bias: opts.bias ?? 'qv_bias', qkScale: null }),
      ffnAddIdentity: false,
    });
    this.dropPath = this.registerModule('drop_path', new nn.DropPath(opts.dropPathRate ?? 0));
    this.gamma1 = this.registerParameter('gamma_1', torch.full([opts.embedDims], opts.initValues));
    this.gamma2 = this.registerParameter('gamma_2', torch.full([opts.embedDims], opts.initValues));
  }

  override forward(x: Tensor): Tensor {
    const attn = this.attn as BEiTAttention;
    x = x.add(this.dropPath.forward(this.gamma1.mul(attn.forward(this.norm1.forward(x)))));
    return x.add(this.dropPath.forward(this.gamma2.mul(this.ffn.forward(this.norm2.forward(x)))));
  }
}
