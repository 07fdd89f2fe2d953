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

// Which of (v, v(1-s), v(1-s*f), v(1-s(1-f))) is b, g, r in each of the six hue sectors.
const SECTORS = [[1, 3, 0], [1, 0, 2], [3, 0, 1], [0, 2, 1], [0, 1, 3], [2, 1, 0]] as const;

/**
 * OpenCV's SIMD loop converts pixels in blocks of 32 per row (AVX2, the widest kernel its
 * builds dispatch this file to) and truncates; the row's remaining pixels take the scalar path,
 * which rounds. Both are reproduced, so the output depends on each pixel's column as in cv2.
 */
const SIMD_BLOCK = 32;

/**
 * cv2.COLOR_HSV2BGR on interleaved uint8 HSV pixels, rows of `width` pixels: OpenCV scales s, v
 * to [0, 1] and works in float32.
 */
export function hsvToBgr(hsv: Uint8Array, width: number): Uint8Array {
  const f32 = Math.fround;
  const hscale = f32(6 / 180);
  const inv255 = f32(1 / 255);
  const out = new Uint8Array(hsv.length);
  const tab = [0, 0, 0, 0];
  const rounded = (x: number): number => {
    const r = roundHalfEven(f32(x * 255));
    return r < 0 ? 0 : r > 255 ? 255 : r;
  };
  const truncated = (x: number): number => Math.min(Math.trunc(f32(x * 255)), 255);
  if (!Number.isInteger(width) || width <= 0 || hsv.length % (3 * width) !== 0) {
    throw new RangeError(`hsvToBgr: ${hsv.length / 3} pixels are not whole rows of ${width}`);
  }
  const simdEnd = Math.floor(width / SIMD_BLOCK) * SIMD_BLOCK;
  for (let i = 0; i < hsv.length; i += 3) {
    const simd = (i / 3) % width < simdEnd;
    const toByte = simd ? truncated : rounded;
    const s = f32(hsv[i + 1]! * inv255), v = f32(hsv[i + 2]! * inv255);
    let b: number, g: number, r: number;
    if (s === 0) {
      b = g = r = v;
    } else {
      let h = f32(hsv[i]! * hscale);
      while (h < 0) h = f32(h + 6);
      while (h >= 6) h = f32(h - 6);
      let sector = Math.floor(h);
      h = f32(h - sector);
      if (sector < 0 || sector >= 6) { sector = 0; h = 0; }
      tab[0] = v;
      tab[1] = f32(v * f32(1 - s));
      // OpenCV's AVX2 build fuses 1 - s*h into one multiply-add (one rounding) in both loops, and
      // 1 - s*(1 - h) only in the vector loop (found by comparing every HSV triple with cv2).
      tab[2] = f32(v * f32(1 - s * h));
      tab[3] = f32(v * f32(1 - (simd ? s * f32(1 - h) : f32(s * f32(1 - h)))));
      const sec = SECTORS[sector]!;
      b = tab[sec[0]]!;
      g = tab[sec[1]]!;
      r = tab[sec[2]]!;
    }
    out[i] = toByte(b);
    out[i + 1] = toByte(g);
    out[i + 2] = toByte(r);
  }
  return out;
}
