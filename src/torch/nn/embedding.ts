// Embedding: a lookup table of learnt vectors indexed by integer ids (torch.nn.Embedding).
import { type Tensor, op, opInplace } from '../tensor.js';
import { empty } from '../creation.js';
import { noGrad } from '../autograd.js';
import type { Generator } from '../runtime.js';
import { Module } from './module.js';
import type { Parameter } from './parameter.js';
import { normal_ } from './init.js';
import type { FactoryOptions } from './conv.js';

export interface EmbeddingOptions extends FactoryOptions {
  /** This row gets no gradient and starts at zero (negative counts from the end). */
  paddingIdx?: number | null;
  /** Rows looked up are renormalised in place to at most this norm. */
  maxNorm?: number | null;
  normType?: number;
  scaleGradByFreq?: boolean;
  sparse?: boolean;
  /** Initial weights [numEmbeddings, embeddingDim] instead of N(0, 1). */
  weight?: Tensor;
}

export class Embedding extends Module {
  readonly paddingIdx: number | null;
  readonly maxNorm: number | null;
  readonly normType: number;
  readonly scaleGradByFreq: boolean;
  readonly sparse: boolean;
  weight: Parameter;

  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    let pad = opts.paddingIdx ?? null;
    if (pad !== null) {
      if (!Number.isInteger(pad) || pad >= numEmbeddings || pad < -numEmbeddings) {
        throw new RangeError(`Embedding: padding_idx must be within num_embeddings (${numEmbeddings}), got ${pad}`);
      }
      if (pad < 0) pad += numEmbeddings;
    }
    this.paddingIdx = pad;
    this.maxNorm = opts.maxNorm ?? null;
    this.normType = opts.normType ?? 2;
    this.scaleGradByFreq = opts.scaleGradByFreq ?? false;
    this.sparse = opts.sparse ?? false;
    if (opts.weight) {
      const s = opts.weight.shape;
      if (s.length !== 2 || s[0] !== numEmbeddings || s[1] !== embeddingDim) {
        throw new RangeError(`Embedding: weight must have shape [${numEmbeddings}, ${embeddingDim}], got [${s.join(', ')}]`);
      }
      this.weight = this.registerParameter('weight', opts.weight);
    } else {
      this.weight = this.registerParameter('weight', empty([numEmbeddings, embeddingDim], { dtype: opts.dtype, device: opts.device }));
      this.resetParameters(opts.generator);
    }
  }

  /** N(0, 1) weights with the padding row zeroed. */
  resetParameters(generator?: Generator): void {
    normal_(this.weight, 0, 1, generator);
    this.#zeroPaddingRow();
  }

  #zeroPaddingRow(): void {
    if (this.paddingIdx === null) return;
    const idx = this.paddingIdx;
    noGrad(() => {
      const row = this.weight.select(0, idx);
      row.zero_();
      row.dispose();
    });
  }

  forward(input: Tensor): Tensor {
    if (this.maxNorm !== null) {
      const maxNorm = this.maxNorm;
      noGrad(() => opInplace(this.weight, 'embedding_renorm_', input, maxNorm, this.normType));
    }
    return op('embedding', this.weight, input, this.paddingIdx ?? -1, this.scaleGradByFreq, this.sparse);
  }

  /** An Embedding holding `embeddings` (frozen unless freeze is false), as Embedding.from_pretrained. */
  static fromPretrained(embeddings: Tensor, opts: Omit<EmbeddingOptions, 'weight' | 'dtype' | 'device' | 'generator'> & { freeze?: boolean } = {}): Embedding {
    if (embeddings.ndim !== 2) throw new RangeError(`Embedding.fromPretrained: embeddings must be 2-D, got shape [${embeddings.shape.join(', ')}]`);
    const [rows, cols] = embeddings.shape as [number, number];
    const e = new Embedding(rows, cols, { ...opts, weight: embeddings });
    e.weight.requiresGrad_(!(opts.freeze ?? true));
    return e;
  }

  override extraRepr(): string {
    let s = `${this.numEmbeddings}, ${this.embeddingDim}`;
    if (this.paddingIdx !== null) s += `, padding_idx=${this.paddingIdx}`;
    if (this.maxNorm !== null) s += `, max_norm=${this.maxNorm}`;
    return s;
  }
}
