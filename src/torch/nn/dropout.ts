// Dropout layers: elementwise (Dropout), channel-wise (Dropout2d) and per-sample stochastic depth (DropPath).
import { type Tensor, opInplace } from '../tensor.js';
import * as F from '../functional/index.js';
import { Module } from './module.js';
import { split } from './args.js';

/** Zeroes elements with probability p while training and scales the rest by 1 / (1 - p). */
export class Dropout extends Module {
  readonly p: number;
  readonly inplace: boolean;

  /** new Dropout(0.1) or new Dropout({ p: 0.1, inplace: true }); p defaults to 0.5. */
  constructor(arg?: number | { p?: number; inplace?: boolean }) {
    super();
    const [p, opts] = split<'p', number, { inplace?: boolean }>(arg, 'p');
    this.p = p ?? 0.5;
    this.inplace = opts.inplace ?? false;
    if (!(this.p >= 0 && this.p <= 1)) throw new RangeError(`${this.className}: dropout probability has to be between 0 and 1, but got ${this.p}`);
  }

  forward(x: Tensor): Tensor {
    return this.inplace ? opInplace(x, 'dropout_', this.p, this.training) : F.dropout(x, this.p, this.training);
  }

  override extraRepr(): string {
    return `p=${this.p}, inplace=${this.inplace ? 'True' : 'False'}`;
  }
}

/** Zeroes whole channels of (N, C, H, W) with probability p while training. */
export class Dropout2d extends Dropout {
  override forward(x: Tensor): Tensor {
    return this.inplace ? opInplace(x, 'feature_dropout_', this.p, this.training) : F.dropout2d(x, this.p, this.training);
  }
}

/**
 * Stochastic depth on residual branches: drops a whole sample with probability dropProb
 * while training. The default 0.1 is mmcv's (configs name it as 'DropPath').
 */
export class DropPath extends Module {
  readonly dropProb: number;

  /** new DropPath(0.2) or new DropPath({ dropProb: 0.2 }). */
  constructor(arg?: number | { dropProb?: number }) {
    super();
    const [dropProb] = split<'dropProb', number, object>(arg, 'dropProb');
    this.dropProb = dropProb ?? 0.1;
    if (!(this.dropProb >= 0 && this.dropProb <= 1)) throw new RangeError(`DropPath: drop_prob must be between 0 and 1, got ${this.dropProb}`);
  }

  forward(x: Tensor): Tensor {
    return F.dropPath(x, this.dropProb, this.training);
  }

  override extraRepr(): string {
    return `drop_prob=${this.dropProb}`;
  }
}
