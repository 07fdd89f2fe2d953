// MultiheadAttention with PyTorch's parameter names (in_proj_weight, in_proj_bias, out_proj.*)
// and the arithmetic of PyTorch 1.13's multi_head_attention_forward.
import { type Tensor, op } from '../tensor.js';
import { cat, empty, zeros, zerosLike } from '../creation.js';
import { tidy } from '../memory.js';
import * as F from '../functional/index.js';
import { Module } from './module.js';
import type { Parameter } from './parameter.js';
import { Linear } from './linear.js';
import { constant_, xavierNormal_, xavierUniform_ } from './init.js';
import type { FactoryOptions } from './conv.js';

export interface MultiheadAttentionOptions extends FactoryOptions {
  /** Dropout on the attention weights while training. */
  dropout?: number;
  bias?: boolean;
  /** Learnt key/value rows appended to the sequence (bias_k, bias_v). */
  addBiasKv?: boolean;
  /** A zero key/value row appended after the projections. */
  addZeroAttn?: boolean;
  kdim?: number | null;
  vdim?: number | null;
  /** Inputs and output are (N, L, E) instead of (L, N, E). */
  batchFirst?: boolean;
}

export interface MultiheadAttentionCall {
  /** (N, S) bool (true = ignore this key) or float (added) mask. */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights as well (default true). */
  needWeights?: boolean;
  /** (L, S) or (N * numHeads, L, S): bool (true = not allowed) or float (added to the logits). */
  attnMask?: Tensor | null;
  /** Average the returned weights over heads (default true). */
  averageAttnWeights?: boolean;
}

const shapeText = (t: Tensor): string => `[${t.shape.join(', ')}]`;

export class MultiheadAttention extends Module {
  readonly kdim: number;
  readonly vdim: number;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly addZeroAttn: boolean;
  /** Whether q, k, v share one packed projection (in_proj_weight). */
  readonly qkvSameEmbedDim: boolean;
  inProjWeight: Parameter | null = null;
  qProjWeight: Parameter | null = null;
  kProjWeight: Parameter | null = null;
  vProjWeight: Parameter | null = null;
  inProjBias: Parameter | null;
  outProj: Linear;
  biasK: Parameter | null = null;
  biasV: Parameter | null = null;

  constructor(readonly embedDim: number, readonly numHeads: number, opts: MultiheadAttentionOptions = {}) {
    super();
    this.kdim = opts.kdim ?? embedDim;
    this.vdim = opts.vdim ?? embedDim;
    this.qkvSameEmbedDim = this.kdim === embedDim && this.vdim === embedDim;
    this.dropout = opts.dropout ?? 0;
    this.batchFirst = opts.batchFirst ?? false;
    this.addZeroAttn = opts.addZeroAttn ?? false;
    this.headDim = Math.floor(embedDim / numHeads);
    if (!Number.isInteger(numHeads) || numHeads < 1 || this.headDim * numHeads !== embedDim) {
      throw new RangeError(`MultiheadAttention: embed_dim must be divisible by num_heads (got ${embedDim} and ${numHeads})`);
    }
    const factory = { dtype: opts.dtype, device: opts.device };
    if (this.qkvSameEmbedDim) {
      this.inProjWeight = this.registerParameter('in_proj_weight', empty([3 * embedDim, embedDim], factory));
    } else {
      this.qProjWeight = this.registerParameter('q_proj_weight', empty([embedDim, embedDim], factory));
      this.kProjWeight = this.registerParameter('k_proj_weight', empty([embedDim, this.kdim], factory));
      this.vProjWeight = this.registerParameter('v_proj_weight', empty([embedDim, this.vdim], factory));
    }
    const bias = opts.bias ?? true;
    this.inProjBias = this.registerParameter('in_proj_bias', bias ? empty([3 * embedDim], factory) : null);
    this.outProj = this.registerModule('out_proj', new Linear(embedDim, embedDim, { ...factory, bias, generator: opts.generator }));
    if (opts.addBiasKv) {
      this.biasK = this.registerParameter('bias_k', empty([1, 1, embedDim], factory));
      this.biasV = this.registerParameter('bias_v', empty([1, 1, embedDim], factory));
    }
    this.resetParameters(opts.generator);
  }

  /** Xavier-uniform projections, zero biases, Xavier-normal bias_k/bias_v; out_proj.weight keeps Linear's init. */
  resetParameters(generator?: FactoryOptions['generator']): void {
    for (const w of [this.inProjWeight, this.qProjWeight, this.kProjWeight, this.vProjWeight]) if (w) xavierUniform_(w, 1, generator);
    if (this.inProjBias) constant_(this.inProjBias, 0);
    if (this.outProj.bias) constant_(this.outProj.bias, 0);
    if (this.biasK) xavierNormal_(this.biasK, 1, generator);
    if (this.biasV) xavierNormal_(this.biasV, 1, generator);
  }

  /** Returns [output, weights]: output like query; weights (N, L, S), or (N, H, L, S) unaveraged, or null. */
  forward(query: Tensor, key: Tensor, value: Tensor, call: MultiheadAttentionCall = {}): [Tensor, Tensor | null] {
    return tidy(() => this.#attend(query, key, value, call));
  }

  #project(q: Tensor, k: Tensor, v: Tensor): [Tensor, Tensor, Tensor] {
    const E = this.embedDim;
    const b = this.inProjBias ? this.inProjBias.split(E, 0) : [null, null, null];
    const w = this.inProjWeight ? this.inProjWeight.split(E, 0) : [this.qProjWeight!, this.kProjWeight!, this.vProjWeight!];
    return [F.linear(q, w[0]!, b[0]), F.linear(k, w[1]!, b[1]), F.linear(v, w[2]!, b[2])];
  }

  #attend(query: Tensor, key: Tensor, value: Tensor, call: MultiheadAttentionCall): [Tensor, Tensor | null] {
    const batched = query.ndim === 3;
    if (!batched && query.ndim !== 2) throw new RangeError(`MultiheadAttention: query must be 2-D (unbatched) or 3-D, got shape ${shapeText(query)}`);
    if (key.ndim !== query.ndim || value.ndim !== query.ndim) {
      throw new RangeError(`MultiheadAttention: query ${shapeText(query)}, key ${shapeText(key)} and value ${shapeText(value)} must have the same number of dimensions`);
    }
    let [q, k, v] = [query, key, value];
    let kpm = call.keyPaddingMask ?? null;
    let mask = call.attnMask ?? null;
    if (this.batchFirst && batched) [q, k, v] = [q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)];
    if (!batched) {
      [q, k, v] = [q.unsqueeze(1), k.unsqueeze(1), v.unsqueeze(1)];
      if (kpm) kpm = kpm.unsqueeze(0);
    }
    const [tgtLen, bsz, embed] = q.shape as [number, number, number];
    if (embed !== this.embedDim) throw new RangeError(`MultiheadAttention: expected embedding dimension ${this.embedDim}, got query of shape ${shapeText(query)}`);
    if (k.size(0) !== v.size(0) || k.size(1) !== v.size(1)) throw new RangeError(`MultiheadAttention: key ${shapeText(key)} and value ${shapeText(value)} differ in sequence or batch size`);
    const H = this.numHeads;
    const hd = this.headDim;
    let [qp, kp, vp] = this.#project(q, k, v);

    if (mask) {
      if (mask.dtype === 'uint8') mask = mask.to('bool');
      const want = mask.ndim === 2 ? [tgtLen, k.size(0)] : [bsz * H, tgtLen, k.size(0)];
      if ((mask.ndim !== 2 && mask.ndim !== 3) || mask.shape.some((s, i) => s !== want[i])) {
        throw new RangeError(`MultiheadAttention: attn_mask has shape ${shapeText(mask)}, expected [${tgtLen}, ${k.size(0)}] or [${bsz * H}, ${tgtLen}, ${k.size(0)}]`);
      }
      if (mask.ndim === 2) mask = mask.unsqueeze(0);
    }
    if (this.biasK && this.biasV) {
      kp = cat([kp, this.biasK.repeat(1, bsz, 1)]);
      vp = cat([vp, this.biasV.repeat(1, bsz, 1)]);
      if (mask) mask = F.pad(mask, [0, 1]);
      if (kpm) kpm = F.pad(kpm, [0, 1]);
    }
    const heads = (t: Tensor, len: number): Tensor => t.contiguous().view(len, bsz * H, hd).transpose(0, 1);
    const qh = heads(qp, tgtLen);
    let kh = heads(kp, kp.size(0));
    let vh = heads(vp, vp.size(0));
    if (this.addZeroAttn) {
      const z = zeros([bsz * H, 1, hd], { dtype: kh.dtype, device: kh.device });
      kh = cat([kh, z], 1);
      vh = cat([vh, z], 1);
      if (mask) mask = F.pad(mask, [0, 1]);
      if (kpm) kpm = F.pad(kpm, [0, 1]);
    }
    const srcLen = kh.size(1);
    if (kpm) {
      if (kpm.ndim !== 2 || kpm.size(0) !== bsz || kpm.size(1) !== srcLen) {
        throw new RangeError(`MultiheadAttention: key_padding_mask has shape ${shapeText(kpm)}, expected [${bsz}, ${srcLen}]`);
      }
      kpm = kpm.view(bsz, 1, 1, srcLen).expand(-1, H, -1, -1).reshape(bsz * H, 1, srcLen);
      if (!mask) mask = kpm;
      else if (mask.dtype === 'bool') mask = mask.logicalOr(kpm);
      else mask = mask.maskedFill(kpm, -Infinity);
    }
    if (mask && mask.dtype === 'bool') mask = zerosLike(mask, { dtype: qh.dtype }).maskedFill_(mask, -Infinity);

    const scaled = qh.div(Math.sqrt(hd));
    const kt = kh.transpose(-2, -1);
    let weights = F.softmax(mask ? op('baddbmm', mask, scaled, kt) : scaled.bmm(kt), -1);
    if (this.training && this.dropout > 0) weights = F.dropout(weights, this.dropout);
    const merged = weights.bmm(vh).transpose(0, 1).contiguous().view(tgtLen * bsz, embed);
    let out = F.linear(merged, this.outProj.weight, this.outProj.bias).view(tgtLen, bsz, embed);
    let returned: Tensor | null = null;
    if (call.needWeights ?? true) {
      returned = weights.view(bsz, H, tgtLen, srcLen);
      if (call.averageAttnWeights ?? true) returned = returned.sum(1).div(H);
      if (!batched) returned = returned.squeeze(0);
    }
    if (!batched) out = out.squeeze(1);
    else if (this.batchFirst) out = out.transpose(0, 1);
    return [out, returned];
  }
}
