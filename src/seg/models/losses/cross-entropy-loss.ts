// CrossEntropyLoss: MMSeg's softmax / sigmoid / mask cross entropy with class_weight, avg_non_ignore and loss_weight.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import * as F from '../../../torch/functional/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { getClassWeight, weightReduceLoss, type DecodeLoss, type LossCallOptions, type Reduction } from './utils.js';

interface CriterionOptions {
  weight: Tensor | null;
  classWeight: Tensor | null;
  reduction: Reduction;
  avgFactor: number | null;
  ignoreIndex: number | null;
  avgNonIgnore: boolean;
}

/**
 * Softmax cross entropy per pixel (ignored pixels give 0), then weighted and reduced: 'mean' is
 * over ALL pixels unless avgNonIgnore, which divides by the non-ignored count (PyTorch's mean).
 */
export function crossEntropy(pred: Tensor, label: Tensor, o: CriterionOptions): Tensor {
  return torch.tidy(() => {
    const ignoreIndex = o.ignoreIndex ?? -100;
    const loss = F.crossEntropy(pred, label, { weight: o.classWeight, reduction: 'none', ignoreIndex });
    let avgFactor = o.avgFactor;
    if (avgFactor === null && o.avgNonIgnore && o.reduction === 'mean') avgFactor = label.numel - label.eq(ignoreIndex).sum().item();
    return weightReduceLoss(loss, o.weight ? o.weight.float() : null, o.reduction, avgFactor);
  });
}

/** MMSeg's _expand_onehot_labels: class indices [N, ...] -> one-hot [N, C, ...] and the valid-pixel weights. */
function expandOnehotLabels(labels: Tensor, labelWeights: Tensor | null, targetShape: number[], ignoreIndex: number): [Tensor, Tensor, Tensor] {
  const valid = labels.ge(0).logicalAnd(labels.ne(ignoreIndex));
  const safe = labels.where(valid, 0);
  const onehot = F.oneHot(safe, targetShape[1]!).mul(valid.unsqueeze(-1).long());
  const n = onehot.ndim;
  const bin = onehot.permute(0, n - 1, ...Array.from({ length: n - 2 }, (_, i) => i + 1));
  const validMask = valid.unsqueeze(1).expand(...targetShape).float();
  const weights = labelWeights ? labelWeights.unsqueeze(1).expand(...targetShape).mul(validMask) : validMask;
  return [bin, weights, validMask];
}

/** Sigmoid (binary) cross entropy: [N, 1, H, W] logits against 0/1 labels, or one-hot expanded [N, C, H, W]. */
export function binaryCrossEntropy(pred: Tensor, label: Tensor, o: CriterionOptions): Tensor {
  return torch.tidy(() => {
    const ignoreIndex = o.ignoreIndex ?? -100;
    let p = pred;
    if (p.size(1) === 1) {
      // Binary segmentation: one channel against labels in {0, 1} (plus ignored pixels).
      const kept = label.index([label.ne(ignoreIndex)]);
      if (kept.numel > 0 && kept.max().item() > 1) throw new RangeError('CrossEntropyLoss(use_sigmoid): for pred of shape [N, 1, H, W] the label must have at most 2 classes');
      p = p.squeeze(1);
    }
    let target: Tensor;
    let weight: Tensor;
    let validMask: Tensor;
    if (p.ndim !== label.ndim) {
      if (!((p.ndim === 2 && label.ndim === 1) || (p.ndim === 4 && label.ndim === 3))) {
        throw new RangeError(`CrossEntropyLoss(use_sigmoid): supports pred [N, C] with label [N], or pred [N, C, H, W] with label [N, H, W]; got [${p.shape.join(', ')}] and [${label.shape.join(', ')}]`);
      }
      [target, weight, validMask] = expandOnehotLabels(label, o.weight, p.shape, ignoreIndex);
    } else {
      validMask = label.ge(0).logicalAnd(label.ne(ignoreIndex)).float();
      weight = o.weight ? o.weight.mul(validMask) : validMask;
      target = label;
    }
    let avgFactor = o.avgFactor;
    if (o.reduction === 'mean' && avgFactor === null && o.avgNonIgnore) avgFactor = validMask.sum().item();
    const loss = F.binaryCrossEntropyWithLogits(p, target.to(p.dtype), { posWeight: o.classWeight, reduction: 'none' });
    return weightReduceLoss(loss, weight, o.reduction, avgFactor);
  });
}

/** MMSeg's mask_cross_entropy: BCE of the logit at each sample's class (`classIndices`); no ignore_index, mean only. */
export function maskCrossEntropy(pred: Tensor, target: Tensor, classIndices: Tensor | null, o: CriterionOptions): Tensor {
  if (o.ignoreIndex !== null) throw new RangeError('CrossEntropyLoss(use_mask): ignore_index must be null (mask cross entropy does not support it)');
  if (o.reduction !== 'mean' || o.avgFactor !== null) throw new RangeError("CrossEntropyLoss(use_mask): only reduction 'mean' without avg_factor is supported");
  if (!classIndices) throw new RangeError('CrossEntropyLoss(use_mask): pass the class index of each sample as `weight`');
  return torch.tidy(() => {
    const rows = torch.arange(0, pred.size(0), 1, { device: pred.device });
    const slice = pred.index([rows, classIndices.long()]).squeeze(1);
    const loss = F.binaryCrossEntropyWithLogits(slice, target, { weight: o.classWeight, reduction: 'mean' });
    return loss.unsqueeze(0);
  });
}

export const crossEntropyLossSchema = z.object({
  use_sigmoid: z.boolean().default(false),
  use_mask: z.boolean().default(false),
  reduction: z.enum(['none', 'mean', 'sum']).default('mean'),
  /** Per-class weights: a list, or a path to a .npy / .json file with the list. */
  class_weight: z.union([z.array(z.number()), z.string()]).nullable().default(null),
  loss_weight: z.number().default(1),
  loss_name: z.string().default('loss_ce'),
  /** Average over non-ignored pixels only (PyTorch's mean); MMSeg's default averages over all pixels. */
  avg_non_ignore: z.boolean().default(false),
}).strict();

export type CrossEntropyLossOptions = z.input<typeof crossEntropyLossSchema>;

export class CrossEntropyLoss extends nn.Module implements DecodeLoss {
  readonly useSigmoid: boolean;
  readonly useMask: boolean;
  readonly reduction: Reduction;
  readonly classWeight: number[] | null;
  readonly lossWeight: number;
  readonly avgNonIgnore: boolean;
  readonly #lossName: string;

  constructor(options: CrossEntropyLossOptions = {}) {
    super();
    const o = parseOptions(crossEntropyLossSchema, options);
    if (o.use_sigmoid && o.use_mask) throw new ConfigError(['use_mask'], 'use_sigmoid and use_mask cannot both be true');
    this.useSigmoid = o.use_sigmoid;
    this.useMask = o.use_mask;
    this.reduction = o.reduction;
    this.lossWeight = o.loss_weight;
    this.avgNonIgnore = o.avg_non_ignore;
    this.#lossName = o.loss_name;
    try {
      this.classWeight = getClassWeight(o.class_weight);
    } catch (err) {
      throw new ConfigError(['class_weight'], (err as Error).message);
    }
  }

  get lossName(): string {
    return this.#lossName;
  }

  /** `opts.ignoreIndex` defaults to -100 as MMSeg's; with use_mask, `opts.weight` holds the class indices. */
  forward(clsScore: Tensor, label: Tensor, opts: LossCallOptions = {}): Tensor {
    return torch.tidy(() => {
      const classWeight = this.classWeight ? torch.tensor(this.classWeight, { dtype: clsScore.dtype, device: clsScore.device }) : null;
      const o: CriterionOptions = {
        weight: opts.weight ?? null, classWeight, reduction: opts.reductionOverride ?? this.reduction,
        avgFactor: opts.avgFactor ?? null, ignoreIndex: opts.ignoreIndex === undefined ? -100 : opts.ignoreIndex, avgNonIgnore: this.avgNonIgnore,
      };
      let loss: Tensor;
      if (this.useSigmoid) loss = binaryCrossEntropy(clsScore, label, o);
      else if (this.useMask) loss = maskCrossEntropy(clsScore, label, o.weight, { ...o, weight: null });
      else loss = crossEntropy(clsScore, label, o);
      return loss.mul(this.lossWeight);
    });
  }

  override extraRepr(): string {
    return `use_sigmoid=${this.useSigmoid}, loss_weight=${this.lossWeight}, loss_name=${this.#lossName}, avg_non_ignore=${this.avgNonIgnore}`;
  }
}
MODELS.register(CrossEntropyLoss);
