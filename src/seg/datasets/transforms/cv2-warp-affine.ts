// mmcv.imrotate over cv2.warpAffine and cv2.getRotationMatrix2D, from OpenCV itself through segkit_image.node.
import { cv2, INTERPOLATION_CODES } from './cv2-native.js';
import type { Interpolation } from './cv2-resize.js';
import { roundHalfEven, type Image, type PixelArray } from './ndarray-ops.js';

/** A 2x3 affine matrix, row major: [m00, m01, m02, m10, m11, m12]. */
export type Affine = [number, number, number, number, number, number];

/** cv2.getRotationMatrix2D: rotation by `angle` degrees (counter-clockwise, y down) about `center` = (x, y). */
export function rotationMatrix2D(center: readonly [number, number], angle: number, scale: number): Affine {
  return cv2().rotationMatrix2D(center[0], center[1], angle, scale) as Affine;
}

/**
 * cv2.warpAffine(img, m, size, flags=interpolation, borderMode=BORDER_CONSTANT, borderValue):
 * dst(x, y) = src(M^-1 (x, y)) for a forward matrix `m`, output `size` = [w, h]. A number border
 * value is what cv2 makes of a Python number, Scalar(v, 0, 0, 0): only channel 0 gets v.
 */
export function warpAffine<A extends PixelArray>(img: Image<A>, m: Affine, size: readonly [number, number], interpolation: Interpolation, borderValue: number | readonly number[]): Image<A> {
  const [dw, dh] = size;
  if (!Number.isInteger(dw) || !Number.isInteger(dh) || dw <= 0 || dh <= 0) {
    throw new RangeError(`warpAffine: output size must be positive integers [w, h], got [${size.join(', ')}]`);
  }
  return cv2().warpAffine(img.data, img.shape, m, dw, dh, INTERPOLATION_CODES[interpolation], borderValue) as Image<A>;
}

export interface RotateOptions {
  /** Rotation centre (x, y) in the source; default the image centre ((w - 1) / 2, (h - 1) / 2). */
  center?: readonly [number, number] | null;
  scale?: number;
  /** cv2's borderValue (see warpAffine: a number fills channel 0 only, as in mmcv). */
  borderValue?: number | readonly number[];
  interpolation?: Interpolation;
  /** Grow the output to hold the whole rotated image (cannot be combined with `center`). */
  autoBound?: boolean;
}

/** mmcv.imrotate: rotates clockwise by `angle` degrees (negative: counter-clockwise). */
export function imrotate<A extends PixelArray>(img: Image<A>, angle: number, opts: RotateOptions = {}): Image<A> {
  const { center = null, scale = 1, borderValue = 0, interpolation = 'bilinear', autoBound = false } = opts;
  if (center && autoBound) throw new Error('imrotate: auto_bound conflicts with center');
  let [h, w] = img.shape as [number, number];
  const m = rotationMatrix2D(center ?? [(w - 1) * 0.5, (h - 1) * 0.5], -angle, scale);
  if (autoBound) {
    const cos = Math.abs(m[0]), sin = Math.abs(m[1]);
    const newW = h * sin + w * cos, newH = h * cos + w * sin;
    m[2] += (newW - w) * 0.5;
    m[5] += (newH - h) * 0.5;
    // numpy's np.round (half to even), as mmcv rounds the bound.
    w = roundHalfEven(newW);
    h = roundHalfEven(newH);
  }
  return warpAffine(img, m, [w, h], interpolation, borderValue);
}
