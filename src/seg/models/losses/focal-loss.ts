// FocalLoss: MMSeg's sigmoid focal loss (per class, one-hot targets, ignore_index masked), in its PyTorch form.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import * as F from '../../../torch/functional/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { weightReduceLoss, type DecodeLoss, type LossCallOptions } from './utils.js';

export interface SigmoidFocalOptions {
  weight?: Tensor | null;
  gamma?: number;
  /** Weight of positives (negatives get 1 - alpha); a list gives one per class. */
  alpha?: number | number[];
  classWeight?: number[] | null;
  validMask?: Tensor | null;
  reduction?: 'none' | 'mean' | 'sum';
  avgFactor?: number | null;
}

/**
 * MMSeg's py_sigmoid_focal_loss on [N, C] logits and [N, C] 0/1 targets:
 * BCE-with-logits * (alpha t + (1 - alpha)(1 - t)) * |t - sigmoid(p)|^gamma, weighted and reduced.
 */
export function sigmoidFocalLoss(pred: Tensor, target: Tensor, opts: SigmoidFocalOptions = {}): Tensor {
  const gamma = opts.gamma ?? 2;
  const alphaOpt = opts.alpha ?? 0.5;
  return torch.tidy(() => {
    const alpha = typeof alphaOpt === 'number' ? alphaOpt : torch.tensor(alphaOpt, { dtype: pred.dtype, device: pred.device });
    const sig = pred.sigmoid();
    const t = target.to(pred.dtype);
    const oneMinusT = t.neg().add(1);
    const oneMinusPt = sig.neg().add(1).mul(t).add(sig.mul(oneMinusT));
    const alphaT = typeof alpha === 'number' ? t.mul(alpha).add(oneMinusT.mul(1 - alpha)) : t.mul(alpha).add(oneMinusT.mul(alpha.neg().add(1)));
    const focalWeight = alphaT.mul(oneMinusPt.pow(gamma));
    const loss = F.binaryCrossEntropyWithLogits(pred, t, { reduction: 'none' }).mul(focalWeight);
    let finalWeight = torch.ones([1, pred.size(1)], { dtype: loss.dtype, device: loss.device });
    let weight = opts.weight ?? null;
    if (weight) {
      const sameShape = weight.ndim === loss.ndim && weight.shape.every((v, i) => v === loss.shape[i]);
      // A weight per pixel ([N] or [B, H, W] flattened to N) applies to every class.
      if (!sameShape && weight.numel === loss.size(0)) weight = weight.reshape(-1, 1);
      if (weight.ndim !== loss.ndim) throw new RangeError(`FocalLoss: weight of shape [${weight.shape.join(', ')}] does not fit the loss [${loss.shape.join(', ')}]`);
      finalWeight = finalWeight.mul(weight);
    }
    if (opts.classWeight) finalWeight = finalWeight.mul(torch.tensor(opts.classWeight, { dtype: loss.dtype, device: loss.device }));
    if (opts.validMask) finalWeight = finalWeight.mul(opts.validMask);
    return weightReduceLoss(loss, finalWeight, opts.reduction ?? 'mean', opts.avgFactor ?? null);
  });
}

export const focalLossSchema = z.object({
  /** Only the sigmoid form exists (as MMSeg). */
  use_sigmoid: z.literal(true).default(true),
  gamma: z.number().default(2),
  alpha: z.union([z.number(), z.array(z.number())]).default(0.5),
  reduction: z.enum(['none', 'mean', 'sum']).default('mean'),
  class_weight: z.array(z.number()).nullable().default(null),
  loss_weight: z.number().default(1),
  loss_name: z.string().default('loss_focal'),
}).strict();

export type FocalLossOptions = z.input<typeof focalLossSchema>;

export class FocalLoss extends nn.Module implements DecodeLoss {
  readonly cfg: z.output<typeof focalLossSchema>;

  constructor(options: FocalLossOptions = {}) {
    super();
    this.cfg = parseOptions(focalLossSchema, options);
    if (Array.isArray(this.cfg.alpha) && this.cfg.alpha.length === 0) throw new ConfigError(['alpha'], 'must not be an empty list');
  }

  get lossName(): string {
    return this.cfg.loss_name;
  }

  /** pred [B, C, ...] logits; target [B, ...] class indices (ignore_index masked) or [B, C, ...] one-hot. */
  forward(pred: Tensor, target: Tensor, opts: LossCallOptions = {}): Tensor {
    const ignoreIndex = opts.ignoreIndex ?? 255;
    const sameShape = pred.ndim === target.ndim && pred.shape.every((v, i) => v === target.shape[i]);
    if (!sameShape && !(pred.size(0) === target.size(0) && target.ndim === pred.ndim - 1 && pred.shape.slice(2).every((v, i) => v === target.shape[i + 1]))) {
      throw new RangeError(`FocalLoss: target shape [${target.shape.join(', ')}] does not match pred [${pred.shape.join(', ')}]`);
    }
    const reduction = opts.reductionOverride ?? this.cfg.reduction;
    return torch.tidy(() => {
      const shape = pred.shape;
      const numClasses = shape[1]!;
      // [B, C, d...] -> [N, C]
      const flat = pred.transpose(0, 1).reshape(numClasses, -1).transpose(0, 1).contiguous();
      let t: Tensor;
      let validMask: Tensor;
      if (sameShape) {
        t = target.transpose(0, 1).reshape(numClasses, -1).transpose(0, 1).contiguous();
        validMask = t.argmax(1).ne(ignoreIndex).view(-1, 1);
      } else {
        const labels = target.reshape(-1);
        validMask = labels.ne(ignoreIndex).view(-1, 1);
        t = F.oneHot(labels.where(labels.ne(ignoreIndex), 0), numClasses);
      }
      let loss = sigmoidFocalLoss(flat, t, {
        weight: opts.weight ?? null, gamma: this.cfg.gamma, alpha: this.cfg.alpha, classWeight: this.cfg.class_weight,
        validMask, reduction, avgFactor: opts.avgFactor ?? null,
      });
      if (reduction === 'none') loss = loss.transpose(0, 1).reshape(numClasses, shape[0]!, ...shape.slice(2)).transpose(0, 1).contiguous();
      return loss.mul(this.cfg.loss_weight);
    });
  }
}
MODELS.register(FocalLoss);
