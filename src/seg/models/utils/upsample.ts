// Upsample: MMSeg's models/utils wrapper — resize to a fixed size, or to int(input size * scale_factor).
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import type * as F from '../../../torch/functional/index.js';
import { resize } from './resize.js';

export interface UpsampleWrapperOptions {
  size?: number[] | null;
  scaleFactor?: number | null;
  mode?: F.InterpolateMode;
  alignCorners?: boolean | null;
}

/** Like nn.Upsample, but a scale factor becomes a truncated target size first (as MMSeg's wrapper). */
export class Upsample extends nn.Module {
  readonly size: number[] | null;
  readonly scaleFactor: number | null;
  readonly mode: F.InterpolateMode;
  readonly alignCorners: boolean | null;

  constructor(opts: UpsampleWrapperOptions = {}) {
    super();
    this.size = opts.size ?? null;
    this.scaleFactor = opts.scaleFactor ?? null;
    this.mode = opts.mode ?? 'nearest';
    this.alignCorners = opts.alignCorners ?? null;
    if (this.size === null && this.scaleFactor === null) throw new RangeError('Upsample: give size or scaleFactor');
  }

  forward(x: Tensor): Tensor {
    const f = this.scaleFactor ?? 1;
    const size = this.size ?? [Math.trunc(x.size(-2) * f), Math.trunc(x.size(-1) * f)];
    return resize(x, { size, mode: this.mode, alignCorners: this.alignCorners });
  }
}
