// Upsample layers: resizing by size or scale factor through F.interpolate (torch.nn.Upsample and friends).
import type { Tensor } from '../tensor.js';
import * as F from '../functional/index.js';
import { Module } from './module.js';

export interface UpsampleOptions {
  size?: number | number[] | null;
  scaleFactor?: number | number[] | null;
  mode?: F.InterpolateMode;
  alignCorners?: boolean | null;
  recomputeScaleFactor?: boolean | null;
}

export class Upsample extends Module {
  readonly size: number | number[] | null;
  readonly scaleFactor: number | number[] | null;
  readonly mode: F.InterpolateMode;
  readonly alignCorners: boolean | null;
  readonly recomputeScaleFactor: boolean | null;

  constructor(opts: UpsampleOptions = {}) {
    super();
    this.size = opts.size ?? null;
    this.scaleFactor = opts.scaleFactor ?? null;
    this.mode = opts.mode ?? 'nearest';
    this.alignCorners = opts.alignCorners ?? null;
    this.recomputeScaleFactor = opts.recomputeScaleFactor ?? null;
  }

  forward(x: Tensor): Tensor {
    return F.interpolate(x, {
      size: this.size, scaleFactor: this.scaleFactor, mode: this.mode,
      alignCorners: this.alignCorners, recomputeScaleFactor: this.recomputeScaleFactor,
    });
  }

  override extraRepr(): string {
    const what = this.scaleFactor !== null ? `scale_factor=${JSON.stringify(this.scaleFactor)}` : `size=${JSON.stringify(this.size)}`;
    return `${what}, mode='${this.mode}'`;
  }
}

/** Bilinear upsampling with align_corners=True (torch.nn.UpsamplingBilinear2d). */
export class UpsamplingBilinear2d extends Upsample {
  constructor(opts: { size?: number | number[] | null; scaleFactor?: number | number[] | null } = {}) {
    super({ ...opts, mode: 'bilinear', alignCorners: true });
  }
}

/** Nearest-neighbour upsampling (torch.nn.UpsamplingNearest2d). */
export class UpsamplingNearest2d extends Upsample {
  constructor(opts: { size?: number | number[] | null; scaleFactor?: number | number[] | null } = {}) {
    super({ ...opts, mode: 'nearest' });
  }
}
