// Resizing by size or scale factor (torch.nn.functional.interpolate, PyTorch 1.13 rules).
import { type Tensor, op } from '../tensor.js';
import { shapeStr } from './args.js';

export type InterpolateMode = 'nearest' | 'nearest-exact' | 'area' | 'linear' | 'bilinear' | 'bicubic' | 'trilinear';

export interface InterpolateOptions {
  /** Output spatial size: one number for every spatial dimension, or one each. */
  size?: number | number[] | null;
  /** Multiplier for the spatial size; exactly one of size and scaleFactor is given. */
  scaleFactor?: number | number[] | null;
  mode?: InterpolateMode;
  /** Only for linear | bilinear | bicubic | trilinear (default false there). */
  alignCorners?: boolean | null;
  /** Recompute the scale from the floored output size instead of passing scaleFactor to the kernel. */
  recomputeScaleFactor?: boolean | null;
  /** Anti-aliased downsampling (bilinear / bicubic on 4-D input only). */
  antialias?: boolean;
}

const MODES: readonly InterpolateMode[] = ['nearest', 'nearest-exact', 'area', 'linear', 'bilinear', 'bicubic', 'trilinear'];
/** The spatial rank each interpolating mode works on. */
const INTERPOLATING: Partial<Record<InterpolateMode, number>> = { linear: 1, bilinear: 2, bicubic: 2, trilinear: 3 };

function spatialList(value: number | number[], dim: number, x: Tensor, what: string): number[] {
  const list = typeof value === 'number' ? new Array<number>(dim).fill(value) : [...value];
  if (list.length !== dim) {
    throw new RangeError(`interpolate: ${what} has ${list.length} entries but input of shape ${shapeStr(x)} has ${dim} spatial dimensions`);
  }
  return list;
}

/** F.interpolate(x, size | scale_factor, mode, align_corners, recompute_scale_factor, antialias). */
export function interpolate(x: Tensor, opts: InterpolateOptions): Tensor {
  const mode = opts.mode ?? 'nearest';
  if (!MODES.includes(mode)) throw new TypeError(`interpolate: mode: expected one of ${MODES.join(' | ')}, got '${String(mode)}'`);
  const rank = INTERPOLATING[mode];
  let alignCorners = opts.alignCorners ?? null;
  if (rank === undefined && alignCorners !== null) {
    throw new TypeError(`interpolate: alignCorners can only be set with the interpolating modes linear | bilinear | bicubic | trilinear, not with mode '${mode}'`);
  }
  alignCorners ??= false;
  const dim = x.ndim - 2;
  if (dim < 1 || dim > 3) throw new RangeError(`interpolate: input must be 3-D, 4-D or 5-D (N, C, *spatial), got shape ${shapeStr(x)}`);
  if (rank !== undefined && rank !== dim) {
    throw new RangeError(`interpolate: mode '${mode}' needs ${rank + 2}-D input, got shape ${shapeStr(x)}`);
  }

  const hasSize = opts.size !== undefined && opts.size !== null;
  const hasScale = opts.scaleFactor !== undefined && opts.scaleFactor !== null;
  if (hasSize && hasScale) throw new TypeError('interpolate: give only one of size and scaleFactor');
  if (!hasSize && !hasScale) throw new TypeError('interpolate: either size or scaleFactor must be given');
  let outputSize: number[] | null = null;
  let scales: number[] | null = null;
  if (hasSize) {
    outputSize = spatialList(opts.size!, dim, x, 'size');
    if (outputSize.some((v) => !Number.isInteger(v) || v <= 0)) {
      throw new RangeError(`interpolate: size must hold positive integers, got ${JSON.stringify(opts.size)}`);
    }
  } else {
    scales = spatialList(opts.scaleFactor!, dim, x, 'scaleFactor');
    if (scales.some((v) => !(v > 0) || !Number.isFinite(v))) {
      throw new RangeError(`interpolate: scaleFactor must hold positive numbers, got ${JSON.stringify(opts.scaleFactor)}`);
    }
  }
  let recompute = opts.recomputeScaleFactor ?? null;
  if (recompute && hasSize) throw new TypeError('interpolate: recomputeScaleFactor is not meaningful with an explicit size');
  // 'area' is adaptive average pooling, which needs an explicit size.
  if (mode === 'area' && outputSize === null) recompute = true;
  if (recompute && scales) {
    outputSize = scales.map((s, i) => Math.floor(x.size(i + 2) * s));
    scales = null;
  }
  if (opts.antialias && !((mode === 'bilinear' || mode === 'bicubic') && dim === 2)) {
    throw new TypeError(`interpolate: antialias is only supported for bilinear and bicubic modes on 4-D input (got mode '${mode}')`);
  }

  const suffix = ['1d', '2d', '3d'][dim - 1]!;
  switch (mode) {
    case 'nearest': return op(`upsample_nearest${suffix}.vec`, x, outputSize, scales);
    case 'nearest-exact': return op(`_upsample_nearest_exact${suffix}.vec`, x, outputSize, scales);
    case 'area': return op(`adaptive_avg_pool${suffix}`, x, outputSize);
    case 'linear': return op('upsample_linear1d.vec', x, outputSize, alignCorners, scales);
    case 'bilinear':
      return op(opts.antialias ? '_upsample_bilinear2d_aa.vec' : 'upsample_bilinear2d.vec', x, outputSize, alignCorners, scales);
    case 'bicubic':
      return op(opts.antialias ? '_upsample_bicubic2d_aa.vec' : 'upsample_bicubic2d.vec', x, outputSize, alignCorners, scales);
    case 'trilinear': return op('upsample_trilinear3d.vec', x, outputSize, alignCorners, scales);
  }
}
