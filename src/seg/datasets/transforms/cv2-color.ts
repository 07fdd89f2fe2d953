// cv2.cvtColor BGR<->HSV for uint8 images (hue 0..179), with OpenCV's fixed-point and float32 arithmetic.
import { roundHalfEven } from './ndarray-ops.js';

const HSV_SHIFT = 12;
// OpenCV's division tables: round((255 << 12) / v) and round((180 << 12) / (6 * d)).
const SDIV = new Int32Array(256);
const HDIV = new Int32Array(256);
for (let i = 1; i < 256; i++) {
  SDIV[i] = roundHalfEven((255 << HSV_SHIFT) / i);
  HDIV[i] = roundHalfEven((180 << HSV_SHIFT) / (6 * i));
}

/** cv2.COLOR_BGR2HSV on interleaved uint8 BGR pixels (a new array). */
export function bgrToHsv(bgr: Uint8Array): Uint8Array {
  const out = new Uint8Array(bgr.length);
  const half = 1 << (HSV_SHIFT - 1);
  for (let i = 0; i < bgr.length; i += 3) {
    const b = bgr[i]!, g = bgr[i + 1]!, r = bgr[i + 2]!;
    const v = Math.max(b, g, r);
    const diff = v - Math.min(b, g, r);
    const s = (diff * SDIV[v]! + half) >> HSV_SHIFT;
    let h = v === r ? g - b : v === g ? b - r + 2 * diff : r - g + 4 * diff;
    h = (h * HDIV[diff]! + half) >> HSV_SHIFT;
    if (h < 0) h += 180;
    out[i] = h > 255 ? 255 : h;
    out[i + 1] = s;
    out[i + 2] = v;
  }
  return out;
}

/**
 * OpenCV's SIMD loop converts pixels in blocks of 32 per row (AVX2, the widest kernel its
 * builds dispatch this file to) and truncates; the row's remaining pixels take the scalar path,
 * which rounds. Both are reproduced, so the output depends on each pixel's column as in cv2.
 */
const SIMD_BLOCK = 32;

/** Per byte value: s or v scaled to [0, 1] in float32; the hue's sector (0..5) and the fraction within it. */
const UNIT = new Float32Array(256);
const SECTOR = new Int32Array(256);
const FRACTION = new Float32Array(256);
{
  const f32 = Math.fround;
  const hscale = f32(6 / 180), inv255 = f32(1 / 255);
  for (let k = 0; k < 256; k++) {
    UNIT[k] = f32(k * inv255);
    let h = f32(k * hscale);
    while (h >= 6) h = f32(h - 6);
    let sector = Math.floor(h);
    h = f32(h - sector);
    if (sector < 0 || sector >= 6) { sector = 0; h = 0; }
    SECTOR[k] = sector;
    FRACTION[k] = h;
  }
}

/** The scalar loop's float -> uchar: round half to even, saturate. */
function roundedByte(x: number): number {
  const r = roundHalfEven(Math.fround(x * 255));
  return r < 0 ? 0 : r > 255 ? 255 : r;
}

/** The vector loop's float -> uchar: truncate, saturate above. */
function truncatedByte(x: number): number {
  return Math.min(Math.trunc(Math.fround(x * 255)), 255);
}

/**
 * cv2.COLOR_HSV2BGR on interleaved uint8 HSV pixels, rows of `width` pixels: OpenCV scales s, v
 * to [0, 1] and works in float32. The per-byte scalings and hue sectors come from tables.
 */
export function hsvToBgr(hsv: Uint8Array, width: number): Uint8Array {
  const f32 = Math.fround;
  const out = new Uint8Array(hsv.length);
  if (!Number.isInteger(width) || width <= 0 || hsv.length % (3 * width) !== 0) {
    throw new RangeError(`hsvToBgr: ${hsv.length / 3} pixels are not whole rows of ${width}`);
  }
  const simdEnd = Math.floor(width / SIMD_BLOCK) * SIMD_BLOCK;
  for (let i = 0, col = 0; i < hsv.length; i += 3) {
    const simd = col < simdEnd;
    if (++col === width) col = 0;
    const s = UNIT[hsv[i + 1]!]!, v = UNIT[hsv[i + 2]!]!;
    let b: number, g: number, r: number;
    if (s === 0) {
      b = g = r = v;
    } else {
      const h = FRACTION[hsv[i]!]!;
      // (v, v(1-s), v(1-s*h), v(1-s(1-h))) as tab[0..3]; OpenCV's AVX2 build fuses 1 - s*h into one
      // multiply-add (one rounding) in both loops, and 1 - s*(1 - h) only in the vector loop (found
      // by comparing every HSV triple with cv2).
      const t1 = f32(v * f32(1 - s));
      const t2 = f32(v * f32(1 - s * h));
      const t3 = f32(v * f32(1 - (simd ? s * f32(1 - h) : f32(s * f32(1 - h)))));
      switch (SECTOR[hsv[i]!]) {
        case 0: b = t1; g = t3; r = v; break;
        case 1: b = t1; g = v; r = t2; break;
        case 2: b = t3; g = v; r = t1; break;
        case 3: b = v; g = t2; r = t1; break;
        case 4: b = v; g = t1; r = t3; break;
        default: b = t2; g = t1; r = v;
      }
    }
    if (simd) {
      out[i] = truncatedByte(b);
      out[i + 1] = truncatedByte(g);
      out[i + 2] = truncatedByte(r);
    } else {
      out[i] = roundedByte(b);
      out[i + 1] = roundedByte(g);
      out[i + 2] = roundedByte(r);
    }
  }
  return out;
}
