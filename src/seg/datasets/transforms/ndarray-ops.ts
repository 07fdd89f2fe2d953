// Pixel-array helpers of the data pipeline (mmcv's imflip/impad/crop slicing) over HWC / HW NdArrays.
import type { NdArray } from '../../../engine/dataset/index.js';
import { cv2 } from './cv2-native.js';

/** The pixel types the pipeline handles: uint8 images and labels, uint16 (16-bit PNGs), float32 (to_float32, Normalize). */
export type PixelArray = Uint8Array | Uint16Array | Float32Array;
/** An image [H, W, C] or [H, W] (grayscale, label maps), C order. */
export type Image<A extends PixelArray = PixelArray> = NdArray<A> & { data: A };

type PixelArrayCtor = { new (n: number): PixelArray };

export function isImage(v: unknown): v is Image {
  if (v === null || typeof v !== 'object') return false;
  const { data, shape } = v as Image;
  if (!(data instanceof Uint8Array || data instanceof Uint16Array || data instanceof Float32Array) || !Array.isArray(shape)) return false;
  if (shape.length !== 2 && shape.length !== 3) return false;
  return shape.reduce((a, b) => a * b, 1) === data.length;
}

/** [height, width, channels] (channels 1 for a 2-D array). */
export function dims(img: Image): [number, number, number] {
  return [img.shape[0]!, img.shape[1]!, img.shape.length === 3 ? img.shape[2]! : 1];
}

/** An empty array of the same type and rank as `like`, of size h x w. */
export function emptyLike<A extends PixelArray>(like: Image<A>, h: number, w: number): Image<A> {
  const c = dims(like)[2];
  const Ctor = like.data.constructor as PixelArrayCtor;
  return { data: new Ctor(h * w * c) as A, shape: like.shape.length === 3 ? [h, w, c] : [h, w] };
}

/** img[y1:y2, x1:x2] with numpy's clipping of the bounds to the array. */
export function crop<A extends PixelArray>(img: Image<A>, y1: number, y2: number, x1: number, x2: number): Image<A> {
  const [h, w, c] = dims(img);
  const ya = Math.min(Math.max(y1, 0), h), yb = Math.min(Math.max(y2, ya), h);
  const xa = Math.min(Math.max(x1, 0), w), xb = Math.min(Math.max(x2, xa), w);
  const out = emptyLike(img, yb - ya, xb - xa);
  const rowLen = (xb - xa) * c;
  for (let y = ya; y < yb; y++) {
    const start = (y * w + xa) * c;
    out.data.set(img.data.subarray(start, start + rowLen), (y - ya) * rowLen);
  }
  return out;
}

export type FlipDirection = 'horizontal' | 'vertical' | 'diagonal';

const FLIP_CODES: Record<FlipDirection, number> = { horizontal: 1, vertical: 0, diagonal: -1 };

/** mmcv.imflip (cv2.flip): mirror left-right, top-bottom, or both (diagonal). */
export function flip<A extends PixelArray>(img: Image<A>, direction: FlipDirection): Image<A> {
  return cv2().flip(img.data, img.shape, FLIP_CODES[direction]) as Image<A>;
}

export type PaddingMode = 'constant' | 'edge' | 'reflect' | 'symmetric';

/** The source index for an index outside 0..n-1 (cv2's borderInterpolate), or -1 for constant. */
function borderIndex(i: number, n: number, mode: PaddingMode): number {
  if (i >= 0 && i < n) return i;
  if (mode === 'constant') return -1;
  if (mode === 'edge') return i < 0 ? 0 : n - 1;
  if (n === 1) return 0;
  // reflect: cv2.BORDER_REFLECT_101 (gfedcb|abcdefgh|gfedcba); symmetric: BORDER_REFLECT (fedcba|abcdefgh|hgfedcba).
  const period = mode === 'reflect' ? 2 * n - 2 : 2 * n;
  let j = ((i % period) + period) % period;
  if (j >= n) j = mode === 'reflect' ? period - j : period - 1 - j;
  return j;
}

/**
 * mmcv.impad with a target shape: adds rows at the bottom and columns at the right (never crops).
 * `padVal` is one value for every channel or one per channel.
 */
export function padTo<A extends PixelArray>(img: Image<A>, height: number, width: number, padVal: number | readonly number[], mode: PaddingMode = 'constant'): Image<A> {
  const [h, w, c] = dims(img);
  const oh = Math.max(height, h), ow = Math.max(width, w);
  if (oh === h && ow === w) return { data: img.data.slice() as A, shape: [...img.shape] };
  const vals = typeof padVal === 'number' ? Array.from({ length: c }, () => padVal) : [...padVal];
  if (vals.length !== c) throw new RangeError(`pad: ${vals.length} pad values for an image of ${c} channels`);
  const out = emptyLike(img, oh, ow);
  const src = img.data, dst = out.data;
  for (let y = 0; y < oh; y++) {
    const sy = borderIndex(y, h, mode);
    for (let x = 0; x < ow; x++) {
      const sx = borderIndex(x, w, mode);
      const d = (y * ow + x) * c;
      if (sy < 0 || sx < 0) {
        for (let k = 0; k < c; k++) dst[d + k] = vals[k]!;
      } else {
        const s = (sy * w + sx) * c;
        for (let k = 0; k < c; k++) dst[d + k] = src[s + k]!;
      }
    }
  }
  return out;
}

/** HWC -> CHW (an [H, W] array becomes [1, H, W]), as PackSegInputs' transpose(2, 0, 1). */
export function hwcToChw<A extends PixelArray>(img: Image<A>): NdArray<A> {
  return cv2().toChw(img.data, img.shape) as NdArray<A>;
}

/** cv2's saturate_cast<int>(double): round half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
