// mmcv.imresize (cv2.resize from OpenCV itself, through segkit_image.node) and mmcv's rescale_size rules.
import { cv2, INTERPOLATION_CODES } from './cv2-native.js';
import type { Image, PixelArray } from './ndarray-ops.js';

/** mmcv's interpolation names (cv2.INTER_NEAREST / LINEAR / CUBIC / AREA / LANCZOS4). */
export type Interpolation = keyof typeof INTERPOLATION_CODES;

/**
 * Resizes to `size` = [width, height] with cv2.resize (uint8, uint16 or float32; [H, W, C] or
 * [H, W], the rank is kept where cv2 would drop a channel axis of 1). The same size returns a copy.
 */
export function resize<A extends PixelArray>(img: Image<A>, size: readonly [number, number], interpolation: Interpolation): Image<A> {
  const [dw, dh] = size;
  if (!Number.isInteger(dw) || !Number.isInteger(dh) || dw <= 0 || dh <= 0) {
    throw new RangeError(`resize: target size must be positive integers [w, h], got [${size.join(', ')}]`);
  }
  if (dw === img.shape[1] && dh === img.shape[0]) return { data: img.data.slice() as A, shape: [...img.shape] };
  const code = INTERPOLATION_CODES[interpolation];
  if (code === undefined) throw new RangeError(`resize: interpolation must be one of ${Object.keys(INTERPOLATION_CODES).join(', ')}, got ${String(interpolation)}`);
  return cv2().resize(img.data, img.shape, dw, dh, code) as Image<A>;
}

/** mmcv's _scale_size: (w, h) times a factor, rounded half up. */
export function scaleSize(size: readonly [number, number], scale: number | readonly [number, number]): [number, number] {
  const [sw, sh] = typeof scale === 'number' ? [scale, scale] : scale;
  return [Math.trunc(size[0] * sw + 0.5), Math.trunc(size[1] * sh + 0.5)];
}

/**
 * mmcv.rescale_size: the size of `oldSize` = (w, h) rescaled by a factor, or as large as possible
 * inside `scale` = (a, b) keeping the aspect ratio (long edge <= max(a, b), short edge <= min(a, b)).
 */
export function rescaleSize(oldSize: readonly [number, number], scale: number | readonly [number, number]): { size: [number, number]; scaleFactor: number } {
  const [w, h] = oldSize;
  let factor: number;
  if (typeof scale === 'number') {
    if (!(scale > 0)) throw new RangeError(`rescale: invalid scale ${scale}, must be positive`);
    factor = scale;
  } else {
    const longEdge = Math.max(scale[0], scale[1]), shortEdge = Math.min(scale[0], scale[1]);
    factor = Math.min(longEdge / Math.max(h, w), shortEdge / Math.min(h, w));
  }
  return { size: scaleSize([w, h], factor), scaleFactor: factor };
}
