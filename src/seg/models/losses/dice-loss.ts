// DiceLoss: MMSeg 1.x's dice loss (per-sample over flattened class maps; squared or naive denominators).
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import * as F from '../../../torch/functional/index.js';
import { parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { weightReduceLoss, type DecodeLoss, type LossCallOptions, type Reduction } from './utils.js';

/**
 * Class indices [N, H, W] -> one-hot [N, C, H, W]; values outside 0..C-1 (the ignore label)
 * become all-zero columns, as MMSeg's clamp-to-C then drop-the-extra-class trick.
 */
function expandOnehotLabelsDice(pred: Tensor, target: Tensor): Tensor {
  const numClasses = pred.size(1);
  return torch.tidy(() => {
    const clamped = target.clamp(0, numClasses);
    const onehot = F.oneHot(clamped, numClasses + 1).narrow(-1, 0, numClasses);
    return onehot.permute(0, 3, 1, 2);
  });
}

export interface DiceOptions {
  weight?: Tensor | null;
  eps?: number;
  reduction?: Reduction;
  naiveDice?: boolean;
  avgFactor?: number | null;
  /** Drops this CHANNEL index from pred and target (MMSeg's behaviour); null keeps all. */
  ignoreIndex?: number | null;
}

/** MMSeg's dice_loss: 1 - 2|p.t| / (|p|^2 + |t|^2 + 2 eps) per sample, or the naive (sums) form. */
export function diceLoss(pred: Tensor, target: Tensor, opts: DiceOptions = {}): Tensor {
  const eps = opts.eps ?? 1e-3;
  return torch.tidy(() => {
    let p = pred;
    let t = target;
    const ignore = opts.ignoreIndex === undefined ? 255 : opts.ignoreIndex;
    if (ignore !== null && ignore >= 0 && ignore < p.size(1)) {
      const keep = torch.tensor(Array.from({ length: p.size(1) }, (_, c) => c).filter((c) => c !== ignore), { dtype: 'int64', device: p.device });
      if (keep.numel === 0) throw new RangeError('DiceLoss: ignore_index removes the only class');
      p = p.indexSelect(1, keep);
      t = t.indexSelect(1, keep);
    }
    const input = p.flatten(1);
    const flatTarget = t.flatten(1).float();
    const a = input.mul(flatTarget).sum(1);
    let d: Tensor;
    if (opts.naiveDice) {
      d = a.mul(2).add(eps).div(input.sum(1).add(flatTarget.sum(1)).add(eps));
    } else {
      const b = input.mul(input).sum(1).add(eps);
      const c = flatTarget.mul(flatTarget).sum(1).add(eps);
      d = a.mul(2).div(b.add(c));
    }
    const loss = d.neg().add(1);
    const weight = opts.weight ?? null;
    if (weight && (weight.ndim !== loss.ndim || weight.size(0) !== pred.size(0))) {
      throw new RangeError(`DiceLoss: weight must be one value per sample ([${pred.size(0)}]), got [${weight.shape.join(', ')}]`);
    }
    return weightReduceLoss(loss, weight, opts.reduction ?? 'mean', opts.avgFactor ?? null);
  });
}

export const diceLossSchema = z.object({
  use_sigmoid: z.boolean().default(true),
  /** Apply sigmoid / softmax to the logits first. */
  activate: z.boolean().default(true),
  reduction: z.enum(['none', 'mean', 'sum']).default('mean'),
  naive_dice: z.boolean().default(false),
  loss_weight: z.number().default(1),
  /** A CHANNEL to leave out of the dice (255 leaves none out for fewer classes). */
  ignore_index: z.number().int().nullable().default(255),
  eps: z.number().default(1e-3),
  loss_name: z.string().default('loss_dice'),
}).strict();

export type DiceLossOptions = z.input<typeof diceLossSchema>;

export class DiceLoss extends nn.Module implements DecodeLoss {
  readonly cfg: z.output<typeof diceLossSchema>;

  constructor(options: DiceLossOptions = {}) {
    super();
    this.cfg = parseOptions(diceLossSchema, options);
  }

  get lossName(): string {
    return this.cfg.loss_name;
  }

  /** The head's ignore_index is not used: the loss's own ignore_index applies, as in MMSeg. */
  forward(pred: Tensor, target: Tensor, opts: LossCallOptions = {}): Tensor {
    const c = this.cfg;
    return torch.tidy(() => {
      const sameShape = pred.shape.length === target.shape.length && pred.shape.every((v, i) => v === target.shape[i]);
      const oneHot = sameShape ? target : expandOnehotLabelsDice(pred, target);
      let p = pred;
      if (c.activate) {
        if (c.use_sigmoid) p = p.sigmoid();
        else if (p.size(1) !== 1) p = F.softmax(p, 1);
      }
      const loss = diceLoss(p, oneHot, {
        weight: opts.weight ?? null, eps: c.eps, reduction: opts.reductionOverride ?? c.reduction, naiveDice: c.naive_dice,
        avgFactor: opts.avgFactor ?? null, ignoreIndex: c.ignore_index,
      });
      return loss.mul(c.loss_weight);
    });
  }
}
MODELS.register(DiceLoss);
