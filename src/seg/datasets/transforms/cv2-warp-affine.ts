// cv2.warpAffine (constant border, INTER_LINEAR / INTER_NEAREST) re-done bit for bit, and mmcv.imrotate on top of it.
import { dims, emptyLike, roundHalfEven, saturateFor, type Image, type PixelArray } from './ndarray-ops.js';
import type { Interpolation } from './cv2-resize.js';

/** A 2x3 affine matrix, row major: [m00, m01, m02, m10, m11, m12]. */
export type Affine = [number, number, number, number, number, number];

/** cv2.getRotationMatrix2D: rotation by `angle` degrees (counter-clockwise, y down) about `center` = (x, y). */
export function rotationMatrix2D(center: readonly [number, number], angle: number, scale: number): Affine {
  const rad = (angle * Math.PI) / 180;
  const alpha = Math.cos(rad) * scale, beta = Math.sin(rad) * scale;
  const [cx, cy] = center;
  return [alpha, beta, (1 - alpha) * cx - beta * cy, -beta, alpha, beta * cx + (1 - alpha) * cy];
}

/** The inverse of an affine map, computed as OpenCV does before warping. */
function invertAffine(m: Affine): Affine {
  let d = m[0] * m[4] - m[1] * m[3];
  d = d !== 0 ? 1 / d : 0;
  const a11 = m[4] * d, a22 = m[0] * d, a12 = m[1] * -d, a21 = m[3] * -d;
  return [a11, a12, -a11 * m[2] - a12 * m[5], a21, a22, -a21 * m[2] - a22 * m[5]];
}

const AB_BITS = 10;
const AB_SCALE = 1 << AB_BITS;
const INTER_BITS = 5;
const INTER_TAB = 1 << INTER_BITS;
const REMAP_SHIFT = 15; // INTER_REMAP_COEF_BITS

/**
 * dst(x, y) = src(M^-1 (x, y)) for a forward matrix `m`, output `size` = [w, h], pixels that
 * map outside the source take `borderValue`. Source positions are quantised to 1/32 pixel and
 * uint8 results use OpenCV's 15-bit weights, so uint8 output equals cv2.warpAffine's.
 */
export function warpAffine<A extends PixelArray>(img: Image<A>, m: Affine, size: readonly [number, number], interpolation: Interpolation, borderValue: number): Image<A> {
  const [sh, sw, c] = dims(img);
  const [dw, dh] = size;
  const inv = invertAffine(m);
  const out = emptyLike(img, dh, dw);
  const src = img.data, dst = out.data;
  const nearest = interpolation === 'nearest';
  const roundDelta = nearest ? AB_SCALE / 2 : AB_SCALE / INTER_TAB / 2;
  const adelta = new Int32Array(dw), bdelta = new Int32Array(dw);
  for (let x = 0; x < dw; x++) {
    adelta[x] = roundHalfEven(inv[0] * x * AB_SCALE);
    bdelta[x] = roundHalfEven(inv[3] * x * AB_SCALE);
  }
  const fixed = src instanceof Uint8Array;
  const store = saturateFor(dst);
  const pixel = (sy: number, sx: number, k: number): number => (sx >= 0 && sx < sw && sy >= 0 && sy < sh ? src[(sy * sw + sx) * c + k]! : borderValue);
  for (let y = 0; y < dh; y++) {
    const x0 = roundHalfEven((inv[1] * y + inv[2]) * AB_SCALE) + roundDelta;
    const y0 = roundHalfEven((inv[4] * y + inv[5]) * AB_SCALE) + roundDelta;
    for (let x = 0; x < dw; x++) {
      const d = (y * dw + x) * c;
      if (nearest) {
        const sx = (x0 + adelta[x]!) >> AB_BITS, sy = (y0 + bdelta[x]!) >> AB_BITS;
        for (let k = 0; k < c; k++) dst[d + k] = pixel(sy, sx, k);
        continue;
      }
      const X = (x0 + adelta[x]!) >> (AB_BITS - INTER_BITS), Y = (y0 + bdelta[x]!) >> (AB_BITS - INTER_BITS);
      const sx = X >> INTER_BITS, sy = Y >> INTER_BITS;
      const ax = X & (INTER_TAB - 1), ay = Y & (INTER_TAB - 1);
      if (sx >= sw || sx + 1 < 0 || sy >= sh || sy + 1 < 0) {
        for (let k = 0; k < c; k++) dst[d + k] = borderValue;
        continue;
      }
      if (fixed) {
        // OpenCV's bilinear table: products of (1 - f, f) at 1/32 steps, times 2^15 (exact).
        const w00 = (INTER_TAB - ay) * (INTER_TAB - ax) * 32, w01 = (INTER_TAB - ay) * ax * 32;
        const w10 = ay * (INTER_TAB - ax) * 32, w11 = ay * ax * 32;
        for (let k = 0; k < c; k++) {
          const v = (pixel(sy, sx, k) * w00 + pixel(sy, sx + 1, k) * w01 + pixel(sy + 1, sx, k) * w10 + pixel(sy + 1, sx + 1, k) * w11 + (1 << (REMAP_SHIFT - 1))) >> REMAP_SHIFT;
          dst[d + k] = v < 0 ? 0 : v > 255 ? 255 : v;
        }
      } else {
        const fx = ax / INTER_TAB, fy = ay / INTER_TAB;
        const w00 = (1 - fy) * (1 - fx), w01 = (1 - fy) * fx, w10 = fy * (1 - fx), w11 = fy * fx;
        for (let k = 0; k < c; k++) {
          dst[d + k] = store(pixel(sy, sx, k) * w00 + pixel(sy, sx + 1, k) * w01 + pixel(sy + 1, sx, k) * w10 + pixel(sy + 1, sx + 1, k) * w11);
        }
      }
    }
  }
  return out;
}

export interface RotateOptions {
  /** Rotation centre (x, y) in the source; default the image centre ((w - 1) / 2, (h - 1) / 2). */
  center?: readonly [number, number] | null;
  scale?: number;
  borderValue?: number;
  interpolation?: Interpolation;
  /** Grow the output to hold the whole rotated image (cannot be combined with `center`). */
  autoBound?: boolean;
}

/** mmcv.imrotate: rotates clockwise by `angle` degrees (negative: counter-clockwise). */
export function imrotate<A extends PixelArray>(img: Image<A>, angle: number, opts: RotateOptions = {}): Image<A> {
  const { center = null, scale = 1, borderValue = 0, interpolation = 'bilinear', autoBound = false } = opts;
  if (center && autoBound) throw new Error('imrotate: auto_bound conflicts with center');
  let [h, w] = dims(img);
  const m = rotationMatrix2D(center ?? [(w - 1) * 0.5, (h - 1) * 0.5], -angle, scale);
  if (autoBound) {
    const cos = Math.abs(m[0]), sin = Math.abs(m[1]);
    const newW = h * sin + w * cos, newH = h * cos + w * sin;
    m[2] += (newW - w) * 0.5;
    m[5] += (newH - h) * 0.5;
    w = roundHalfEven(newW);
    h = roundHalfEven(newH);
  }
  return warpAffine(img, m, [w, h], interpolation, borderValue);
}
