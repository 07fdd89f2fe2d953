// LovaszLoss: MMSeg's Lovasz-softmax (multi_class) and Lovasz-hinge (binary) surrogates of the Jaccard index.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import * as F from '../../../torch/functional/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { getClassWeight, weightReduceLoss, type DecodeLoss, type LossCallOptions, type Reduction } from './utils.js';

type Classes = 'all' | 'present' | number[];

/** Gradient of the Lovasz extension of the Jaccard loss at sorted ground truth. */
function lovaszGrad(gtSorted: Tensor): Tensor {
  const p = gtSorted.size(0);
  const gts = gtSorted.sum();
  const intersection = gts.sub(gtSorted.float().cumsum(0));
  const union = gts.add(gtSorted.float().neg().add(1).cumsum(0));
  const jaccard = intersection.div(union).neg().add(1);
  if (p <= 1) return jaccard;
  return torch.cat([jaccard.slice(0, 0, 1), jaccard.slice(0, 1, p).sub(jaccard.slice(0, 0, p - 1))]);
}

const dot = (a: Tensor, b: Tensor): Tensor => torch.op('dot', a, b);

function lovaszHingeFlat(logits: Tensor, labels: Tensor): Tensor {
  if (labels.numel === 0) return logits.sum().mul(0);
  const signs = labels.float().mul(2).sub(1);
  const errors = logits.mul(signs).neg().add(1);
  const { values, indices } = errors.sort(0, true);
  const grad = lovaszGrad(labels.index([indices]));
  return dot(F.relu(values), grad.to(values.dtype));
}

function flattenValid(values: Tensor, labels: Tensor, ignoreIndex: number | null): [Tensor, Tensor] {
  if (ignoreIndex === null) return [values, labels];
  const valid = labels.ne(ignoreIndex);
  return [values.index([valid]), labels.index([valid])];
}

/** Binary Lovasz hinge on logits [B, H, W] (or [B, 1, H, W]) against 0/1 labels. */
export function lovaszHinge(logits: Tensor, labels: Tensor, opts: { perImage?: boolean; reduction?: Reduction; avgFactor?: number | null; ignoreIndex?: number | null } = {}): Tensor {
  const ignore = opts.ignoreIndex === undefined ? 255 : opts.ignoreIndex;
  return torch.tidy(() => {
    if (opts.perImage) {
      const losses = Array.from({ length: logits.size(0) }, (_, i) =>
        lovaszHingeFlat(...flattenValid(logits.select(0, i).reshape(-1), labels.select(0, i).reshape(-1), ignore)));
      return weightReduceLoss(torch.stack(losses), null, opts.reduction ?? 'mean', opts.avgFactor ?? null);
    }
    return lovaszHingeFlat(...flattenValid(logits.reshape(-1), labels.reshape(-1), ignore));
  });
}

function lovaszSoftmaxFlat(probs: Tensor, labels: Tensor, classes: Classes, classWeight: Tensor | null): Tensor {
  if (probs.numel === 0) return probs.mul(0);
  const C = probs.size(1);
  const losses: Tensor[] = [];
  const toSum = classes === 'all' || classes === 'present' ? Array.from({ length: C }, (_, c) => c) : classes;
  for (const c of toSum) {
    const fg = labels.eq(c).to(probs.dtype);
    if (classes === 'present' && fg.sum().item() === 0) continue;
    if (C === 1 && Array.isArray(classes) && classes.length > 1) throw new RangeError('LovaszLoss: sigmoid output possible only with 1 class');
    const classPred = C === 1 ? probs.select(1, 0) : probs.select(1, c);
    const errors = fg.sub(classPred).abs();
    const { values, indices } = errors.sort(0, true);
    let loss = dot(values, lovaszGrad(fg.index([indices])).to(values.dtype));
    if (classWeight) loss = loss.mul(classWeight.select(0, c));
    losses.push(loss);
  }
  if (losses.length === 0) throw new RangeError('LovaszLoss: no class to average (classes="present" and every pixel is ignored)');
  return torch.stack(losses).mean();
}

function flattenProbs(probs: Tensor, labels: Tensor, ignoreIndex: number | null): [Tensor, Tensor] {
  const p4 = probs.ndim === 3 ? probs.unsqueeze(1) : probs;
  const C = p4.size(1);
  const flat = p4.permute(0, 2, 3, 1).contiguous().view(-1, C);
  return flattenValid(flat, labels.reshape(-1), ignoreIndex);
}

/** Multi-class Lovasz-softmax on probabilities [B, C, H, W]. */
export function lovaszSoftmax(probs: Tensor, labels: Tensor, opts: { classes?: Classes; perImage?: boolean; classWeight?: Tensor | null; reduction?: Reduction; avgFactor?: number | null; ignoreIndex?: number | null } = {}): Tensor {
  const classes = opts.classes ?? 'present';
  const ignore = opts.ignoreIndex === undefined ? 255 : opts.ignoreIndex;
  return torch.tidy(() => {
    if (opts.perImage) {
      const losses = Array.from({ length: probs.size(0) }, (_, i) =>
        lovaszSoftmaxFlat(...flattenProbs(probs.narrow(0, i, 1), labels.narrow(0, i, 1), ignore), classes, opts.classWeight ?? null));
      return weightReduceLoss(torch.stack(losses), null, opts.reduction ?? 'mean', opts.avgFactor ?? null);
    }
    return lovaszSoftmaxFlat(...flattenProbs(probs, labels, ignore), classes, opts.classWeight ?? null);
  });
}

export const lovaszLossSchema = z.object({
  loss_type: z.enum(['binary', 'multi_class']).default('multi_class'),
  classes: z.union([z.enum(['all', 'present']), z.array(z.number().int().nonnegative())]).default('present'),
  per_image: z.boolean().default(false),
  /** Must be 'none' when per_image is false (one loss for the whole batch). */
  reduction: z.enum(['none', 'mean', 'sum']).default('mean'),
  class_weight: z.union([z.array(z.number()), z.string()]).nullable().default(null),
  loss_weight: z.number().default(1),
  loss_name: z.string().default('loss_lovasz'),
}).strict();

export type LovaszLossOptions = z.input<typeof lovaszLossSchema>;

export class LovaszLoss extends nn.Module implements DecodeLoss {
  readonly cfg: z.output<typeof lovaszLossSchema>;
  readonly classWeight: number[] | null;

  constructor(options: LovaszLossOptions = {}) {
    super();
    this.cfg = parseOptions(lovaszLossSchema, options);
    if (!this.cfg.per_image && this.cfg.reduction !== 'none') throw new ConfigError(['reduction'], "should be 'none' when per_image is false");
    try {
      this.classWeight = getClassWeight(this.cfg.class_weight);
    } catch (err) {
      throw new ConfigError(['class_weight'], (err as Error).message);
    }
  }

  get lossName(): string {
    return this.cfg.loss_name;
  }

  /** Multi-class: softmax of the logits, then Lovasz-softmax; binary: Lovasz hinge on the logits. */
  forward(clsScore: Tensor, label: Tensor, opts: LossCallOptions = {}): Tensor {
    const c = this.cfg;
    const reduction = opts.reductionOverride ?? c.reduction;
    const ignoreIndex = opts.ignoreIndex === undefined ? 255 : opts.ignoreIndex;
    return torch.tidy(() => {
      let loss: Tensor;
      if (c.loss_type === 'multi_class') {
        const classWeight = this.classWeight ? torch.tensor(this.classWeight, { dtype: clsScore.dtype, device: clsScore.device }) : null;
        loss = lovaszSoftmax(F.softmax(clsScore, 1), label, { classes: c.classes, perImage: c.per_image, classWeight, reduction, avgFactor: opts.avgFactor ?? null, ignoreIndex });
      } else {
        loss = lovaszHinge(clsScore, label, { perImage: c.per_image, reduction, avgFactor: opts.avgFactor ?? null, ignoreIndex });
      }
      return loss.mul(c.loss_weight);
    });
  }
}
MODELS.register(LovaszLoss);
