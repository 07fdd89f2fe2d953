// MMCV's transformer bricks used by MMSeg's ViT-style backbones: MultiheadAttention (a wrapper of
// nn.MultiheadAttention with identity shortcut) and FFN, with MMCV's child names (attn, proj_drop, layers, ...).
import { nn, type Tensor } from '../../../torch/index.js';
import { BaseModule } from '../init/index.js';

/** MMCV's dropout_layer configs: `{type: 'DropPath', drop_prob}` or `{type: 'Dropout', drop_prob}`. */
export type DropoutLayerCfg = { type: 'DropPath' | 'Dropout'; drop_prob?: number } | null;

/** Builds an MMCV dropout layer (mmcv's defaults: DropPath 0.1, Dropout 0.5); null gives Identity. */
export function buildDropout(cfg: DropoutLayerCfg): nn.Module {
  if (!cfg) return new nn.Identity();
  if (cfg.type === 'DropPath') return new nn.DropPath(cfg.drop_prob ?? 0.1);
  if (cfg.type === 'Dropout') return new nn.Dropout(cfg.drop_prob ?? 0.5);
  throw new TypeError(`buildDropout: expected type 'DropPath' | 'Dropout', got ${JSON.stringify((cfg as { type: unknown }).type)}`);
}

export interface MultiheadAttentionOptions {
  embedDims: number;
  numHeads: number;
  /** Dropout on the attention weights. */
  attnDrop?: number;
  /** Dropout on the attention output, before the shortcut. */
  projDrop?: number;
  /** Applied to the output before it is added to the shortcut (MMCV default: Dropout 0). */
  dropoutLayer?: DropoutLayerCfg;
  /** Inputs are (batch, tokens, dims) when true, (tokens, batch, dims) otherwise. */
  batchFirst?: boolean;
  /** Biases of the q/k/v and output projections. */
  bias?: boolean;
}

export interface AttentionCall {
  key?: Tensor | null;
  value?: Tensor | null;
  /** The shortcut; defaults to the query. */
  identity?: Tensor | null;
  queryPos?: Tensor | null;
  keyPos?: Tensor | null;
  attnMask?: Tensor | null;
  keyPaddingMask?: Tensor | null;
}

/** MMCV's MultiheadAttention: identity + dropout_layer(proj_drop(attn(q, k, v))). */
export class MultiheadAttention extends BaseModule {
  readonly embedDims: number;
  readonly numHeads: number;
  readonly batchFirst: boolean;
  attn: nn.MultiheadAttention;
  projDrop: nn.Dropout;
  dropoutLayer: nn.Module;

  constructor(opts: MultiheadAttentionOptions) {
    super();
    this.embedDims = opts.embedDims;
    this.numHeads = opts.numHeads;
    this.batchFirst = opts.batchFirst ?? false;
    this.attn = this.registerModule('attn', new nn.MultiheadAttention(opts.embedDims, opts.numHeads, { dropout: opts.attnDrop ?? 0, bias: opts.bias ?? true }));
    this.projDrop = this.registerModule('proj_drop', new nn.Dropout(opts.projDrop ?? 0));
    this.dropoutLayer = this.registerModule('dropout_layer', buildDropout(opts.dropoutLayer === undefined ? { type: 'Dropout', drop_prob: 0 } : opts.dropoutLayer));
  }

  forward(query: Tensor, call: AttentionCall = {}): Tensor {
    let key = call.key ?? query;
    let value = call.value ?? key;
    const identity = call.identity ?? query;
    let keyPos = call.keyPos ?? null;
    if (!keyPos && call.queryPos && call.queryPos.shape.join() === key.shape.join()) keyPos = call.queryPos;
    if (call.queryPos) query = query.add(call.queryPos);
    if (keyPos) key = key.add(keyPos);
    if (this.batchFirst) [query, key, value] = [query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)];
    let [out] = this.attn.forward(query, key, value, { attnMask: call.attnMask ?? null, keyPaddingMask: call.keyPaddingMask ?? null, needWeights: false });
    if (this.batchFirst) out = out.transpose(0, 1);
    return identity.add(this.dropoutLayer.forward(this.projDrop.forward(out)));
  }
}

export interface FFNOptions {
  embedDims?: number;
  feedforwardChannels?: number;
  /** Number of Linear layers (>= 2). */
  numFcs?: number;
  /** Builds the activation after each hidden Linear (a fresh module each call). */
  act: () => nn.Module;
  ffnDrop?: number;
  dropoutLayer?: DropoutLayerCfg;
  /** Add the shortcut (MMCV default true; BEiT turns it off and adds its own scaled residual). */
  addIdentity?: boolean;
}

/**
 * MMCV's FFN: layers = [Sequential(Linear, act, Dropout)] * (num_fcs - 1) + [Linear, Dropout],
 * so names read `ffn.layers.0.0.weight` and `ffn.layers.1.weight` for two layers.
 */
export class FFN extends BaseModule {
  layers: nn.Sequential;
  dropoutLayer: nn.Module;
  readonly addIdentity: boolean;

  constructor(opts: FFNOptions) {
    super();
    const embed = opts.embedDims ?? 256;
    const hidden = opts.feedforwardChannels ?? 1024;
    const numFcs = opts.numFcs ?? 2;
    if (!Number.isInteger(numFcs) || numFcs < 2) throw new RangeError(`FFN: num_fcs should be an integer of at least 2, got ${numFcs}`);
    const drop = opts.ffnDrop ?? 0;
    const layers: nn.Module[] = [];
    let inChannels = embed;
    for (let i = 0; i < numFcs - 1; i++) {
      layers.push(new nn.Sequential(new nn.Linear(inChannels, hidden), opts.act(), new nn.Dropout(drop)));
      inChannels = hidden;
    }
    layers.push(new nn.Linear(hidden, embed), new nn.Dropout(drop));
    this.layers = this.registerModule('layers', new nn.Sequential(...layers));
    this.dropoutLayer = this.registerModule('dropout_layer', buildDropout(opts.dropoutLayer ?? null));
    this.addIdentity = opts.addIdentity ?? true;
  }

  forward(x: Tensor, identity: Tensor | null = null): Tensor {
    const out = this.dropoutLayer.forward(this.layers.forward(x));
    return this.addIdentity ? (identity ?? x).add(out) : out;
  }
}
