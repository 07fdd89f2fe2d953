// cv2.resize (INTER_LINEAR / INTER_NEAREST) re-done bit for bit, and mmcv's rescale_size rules.
import { dims, emptyLike, roundHalfEven, saturateFor, type Image, type PixelArray } from './ndarray-ops.js';

export type Interpolation = 'bilinear' | 'nearest';

/**
 * Resizes to `size` = [width, height] as cv2.resize does. For uint8 images the bilinear path
 * uses OpenCV's fixed-point arithmetic (11-bit coefficients, the same rounding), so results are
 * identical to cv2's; uint16/float32 images use the same taps in floating point.
 */
export function resize<A extends PixelArray>(img: Image<A>, size: readonly [number, number], interpolation: Interpolation): Image<A> {
  const [dw, dh] = size;
  if (!Number.isInteger(dw) || !Number.isInteger(dh) || dw <= 0 || dh <= 0) {
    throw new RangeError(`resize: target size must be positive integers [w, h], got [${size.join(', ')}]`);
  }
  const [h, w] = dims(img);
  if (dw === w && dh === h) return { data: img.data.slice() as A, shape: [...img.shape] };
  return interpolation === 'nearest' ? resizeNearest(img, dw, dh) : resizeLinear(img, dw, dh);
}

/** cv2's resizeNN: source index floor(d * (1 / (dst / src))), clipped to the last pixel. */
function nearestOffsets(src: number, dst: number): Int32Array {
  const inv = 1 / (dst / src);
  const ofs = new Int32Array(dst);
  for (let d = 0; d < dst; d++) ofs[d] = Math.min(Math.floor(d * inv), src - 1);
  return ofs;
}

function resizeNearest<A extends PixelArray>(img: Image<A>, dw: number, dh: number): Image<A> {
  const [h, w, c] = dims(img);
  const out = emptyLike(img, dh, dw);
  const xo = nearestOffsets(w, dw), yo = nearestOffsets(h, dh);
  const src = img.data, dst = out.data;
  if (c === 1) {
    // Label maps: one element per pixel, no channel loop (a third of the time on CamVid labels).
    for (let y = 0; y < dh; y++) {
      const srow = yo[y]! * w, d = y * dw;
      for (let x = 0; x < dw; x++) dst[d + x] = src[srow + xo[x]!]!;
    }
    return out;
  }
  for (let y = 0; y < dh; y++) {
    const srow = yo[y]! * w;
    for (let x = 0; x < dw; x++) {
      const s = (srow + xo[x]!) * c, d = (y * dw + x) * c;
      for (let k = 0; k < c; k++) dst[d + k] = src[s + k]!;
    }
  }
  return out;
}

const COEF_SCALE = 2048; // INTER_RESIZE_COEF_SCALE

interface Taps {
  /** First source index of each destination index. */
  ofs: Int32Array;
  /** Float weights (1 - f, f) per destination index. */
  wf: Float32Array;
  /** The same as fixed-point shorts, rounded as cv2 does. */
  wi: Int32Array;
}

/**
 * Source taps as cv2's resizeGeneric computes them: f = float((d + 0.5) * scale - 0.5), in
 * single precision. Along x the tap is clamped with its fraction zeroed; along y only the row
 * indices are clamped (the weights keep the fraction), as in OpenCV.
 */
function linearTaps(src: number, dst: number, clampWeights: boolean): Taps {
  const scale = 1 / (dst / src);
  const f32 = Math.fround;
  const ofs = new Int32Array(dst), wf = new Float32Array(2 * dst), wi = new Int32Array(2 * dst);
  for (let d = 0; d < dst; d++) {
    let f = f32((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = f32(f - s);
    if (clampWeights) {
      if (s < 0) { f = 0; s = 0; }
      if (s >= src - 1) { f = 0; s = src - 1; }
    }
    ofs[d] = s;
    const a0 = f32(1 - f);
    wf[2 * d] = a0;
    wf[2 * d + 1] = f;
    wi[2 * d] = roundHalfEven(f32(a0 * COEF_SCALE));
    wi[2 * d + 1] = roundHalfEven(f32(f * COEF_SCALE));
  }
  return { ofs, wf, wi };
}

function resizeLinear<A extends PixelArray>(img: Image<A>, dw: number, dh: number): Image<A> {
  const [h, w, c] = dims(img);
  const xt = linearTaps(w, dw, true), yt = linearTaps(h, dh, false);
  const out = emptyLike(img, dh, dw);
  const src = img.data, dst = out.data;
  if (src instanceof Uint8Array) {
    resizeLinearU8(src, w, c, dst as Uint8Array, dw, dh, h, xt, yt);
    return out;
  }
  // uint16 / float32: float taps. Per output element: the offsets of its two source taps in a row and their weights.
  const rowLen = dw * c;
  const o0 = new Int32Array(rowLen), o1 = new Int32Array(rowLen);
  const wf0 = new Float32Array(rowLen), wf1 = new Float32Array(rowLen);
  for (let x = 0; x < dw; x++) {
    const sx = xt.ofs[x]!;
    const sx1 = sx + 1 < w ? sx + 1 : sx;
    for (let k = 0; k < c; k++) {
      const i = x * c + k;
      o0[i] = sx * c + k;
      o1[i] = sx1 * c + k;
      wf0[i] = xt.wf[2 * x]!;
      wf1[i] = xt.wf[2 * x + 1]!;
    }
  }
  // Horizontal pass of the (at most two) source rows each output row needs; recent rows are kept.
  const cache = new Map<number, Float32Array>();
  const hrow = (sy: number): Float32Array => {
    let row = cache.get(sy);
    if (row) return row;
    const base = sy * w * c;
    const f32 = Math.fround;
    row = new Float32Array(rowLen);
    for (let i = 0; i < rowLen; i++) row[i] = f32(f32(src[base + o0[i]!]! * wf0[i]!) + f32(src[base + o1[i]!]! * wf1[i]!));
    if (cache.size > 4) cache.delete(cache.keys().next().value!);
    cache.set(sy, row);
    return row;
  };
  const store = saturateFor(dst);
  for (let y = 0; y < dh; y++) {
    const sy = yt.ofs[y]!;
    const r0 = hrow(Math.min(Math.max(sy, 0), h - 1));
    const r1 = hrow(Math.min(Math.max(sy + 1, 0), h - 1));
    const o = y * rowLen;
    const b0 = yt.wf[2 * y]!, b1 = yt.wf[2 * y + 1]!;
    for (let i = 0; i < rowLen; i++) dst[o + i] = store(Math.fround(Math.fround(r0[i]! * b0) + Math.fround(r1[i]! * b1)));
  }
  return out;
}

/**
 * The uint8 path of resizeLinear with monomorphic arrays (the generic loop reads Int32Array |
 * Float32Array rows and stores through a union, which V8 cannot specialise): the same fixed-point
 * arithmetic, with the two horizontally filtered source rows kept in two reused buffers.
 */
function resizeLinearU8(src: Uint8Array, w: number, c: number, dst: Uint8Array, dw: number, dh: number, h: number, xt: Taps, yt: Taps): void {
  const rowLen = dw * c;
  // Per output pixel: the element offsets of its two source pixels and their weights.
  const p0 = new Int32Array(dw), p1 = new Int32Array(dw), a0 = new Int32Array(dw), a1 = new Int32Array(dw);
  for (let x = 0; x < dw; x++) {
    const sx = xt.ofs[x]!;
    p0[x] = sx * c;
    p1[x] = (sx + 1 < w ? sx + 1 : sx) * c;
    a0[x] = xt.wi[2 * x]!;
    a1[x] = xt.wi[2 * x + 1]!;
  }
  const rows = [new Int32Array(rowLen), new Int32Array(rowLen)];
  const held = [-1, -1];
  const fill = (k: number, sy: number): void => {
    const r = rows[k]!, base = sy * w * c;
    if (c === 3) {
      for (let x = 0, i = 0; x < dw; x++, i += 3) {
        const p = base + p0[x]!, q = base + p1[x]!, wa = a0[x]!, wb = a1[x]!;
        r[i] = src[p]! * wa + src[q]! * wb;
        r[i + 1] = src[p + 1]! * wa + src[q + 1]! * wb;
        r[i + 2] = src[p + 2]! * wa + src[q + 2]! * wb;
      }
    } else {
      for (let x = 0, i = 0; x < dw; x++) {
        const p = base + p0[x]!, q = base + p1[x]!, wa = a0[x]!, wb = a1[x]!;
        for (let k = 0; k < c; k++, i++) r[i] = src[p + k]! * wa + src[q + k]! * wb;
      }
    }
    held[k] = sy;
  };
  for (let y = 0; y < dh; y++) {
    const sy = yt.ofs[y]!;
    const s0 = Math.min(Math.max(sy, 0), h - 1), s1 = Math.min(Math.max(sy + 1, 0), h - 1);
    // Row s0 goes in the buffer that does not hold s1, so filling one never evicts the other.
    let k0 = held[0] === s0 ? 0 : held[1] === s0 ? 1 : -1;
    if (k0 < 0) fill((k0 = held[0] === s1 ? 1 : 0), s0);
    let k1 = held[0] === s1 ? 0 : held[1] === s1 ? 1 : -1;
    if (k1 < 0) fill((k1 = 1 - k0), s1);
    const r0 = rows[k0]!, r1 = rows[k1]!;
    const b0 = yt.wi[2 * y]!, b1 = yt.wi[2 * y + 1]!;
    const o = y * rowLen;
    // OpenCV's VResizeLinear for uchar: products of (row >> 4) with 16-bit weights, >> 16, then + 2 >> 2.
    for (let i = 0; i < rowLen; i++) {
      const v = (((b0 * (r0[i]! >> 4)) >> 16) + ((b1 * (r1[i]! >> 4)) >> 16) + 2) >> 2;
      dst[o + i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
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
