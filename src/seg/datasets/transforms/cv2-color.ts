// cv2.cvtColor BGR<->HSV on uint8 pixels (hue 0..179), from OpenCV itself through segkit_image.node.
import { ColorCode, cv2 } from './cv2-native.js';

/** The [h, w, 3] shape of interleaved uint8 pixels in rows of `width`; errors name `what`. */
function rowsOf(pixels: Uint8Array, width: number, what: string): [number, number, number] {
  if (!Number.isInteger(width) || width <= 0 || pixels.length === 0 || pixels.length % (3 * width) !== 0) {
    throw new RangeError(`${what}: ${pixels.length / 3} pixels are not whole rows of ${width}`);
  }
  return [pixels.length / (3 * width), width, 3];
}

/**
 * cv2.cvtColor(img, cv2.COLOR_BGR2HSV) on interleaved uint8 BGR pixels in rows of `width` (a new
 * array). The width matters: OpenCV's vector and scalar loops round differently, per column.
 */
export function bgrToHsv(bgr: Uint8Array, width: number): Uint8Array {
  return cv2().cvtColor(bgr, rowsOf(bgr, width, 'bgrToHsv'), ColorCode.BGR2HSV).data as Uint8Array;
}

/** cv2.cvtColor(img, cv2.COLOR_HSV2BGR) on interleaved uint8 HSV pixels in rows of `width` (a new array). */
export function hsvToBgr(hsv: Uint8Array, width: number): Uint8Array {
  return cv2().cvtColor(hsv, rowsOf(hsv, width, 'hsvToBgr'), ColorCode.HSV2BGR).data as Uint8Array;
}
