// Decoding image files as mmcv.imfrombytes does: images with cv2.imdecode (OpenCV itself) into BGR, label maps as raw class indices.
import { readFileSync } from 'node:fs';
import { decode as decodePng, hasPngSignature } from 'fast-png';
import { z } from 'zod';
import { cv2, ImreadFlag } from './cv2-native.js';
import type { Image } from './ndarray-ops.js';

/** MMEngine's backend_args: only local files are read, so null or {backend: 'local'}. */
export const backendArgsSchema = z.union([z.null(), z.object({ backend: z.literal('local') }).strict()]).default(null);

/** mmcv's imread flags. */
export type ColorType = 'color' | 'grayscale' | 'unchanged' | 'color_ignore_orientation' | 'grayscale_ignore_orientation';

/**
 * Reads a whole file; the error names the file and what was being read. Synchronous, like
 * mmengine's LocalBackend: fs.promises.readFile takes four thread-pool round trips (open, stat,
 * read, close), measured 0.12-0.8 ms per CamVid file on a busy 2-core machine against 0.03-0.07 ms,
 * and the pipeline runs in data-loader workers, whose event loops have nothing else to do.
 */
export function readBytes(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${path}: cannot read the ${what} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
}

const IMREAD_FLAGS: Record<ColorType, number> = {
  color: ImreadFlag.COLOR,
  grayscale: ImreadFlag.GRAYSCALE,
  unchanged: ImreadFlag.UNCHANGED,
  color_ignore_orientation: ImreadFlag.COLOR | ImreadFlag.IGNORE_ORIENTATION,
  grayscale_ignore_orientation: ImreadFlag.GRAYSCALE | ImreadFlag.IGNORE_ORIENTATION,
};

/**
 * Decodes an image file as mmcv.imfrombytes(flag=colorType, backend='cv2'): cv2.imdecode itself
 * (segkit_image.node). 'color' gives [H, W, 3] BGR uint8 (EXIF orientation applied, gray expanded,
 * alpha dropped, 16-bit scaled down); 'grayscale' gives [H, W]; 'unchanged' keeps the channels
 * (BGR / BGRA / gray) and 16-bit depth (a Uint16Array).
 */
export function decodeImage(bytes: Uint8Array, path: string, colorType: ColorType): Image {
  try {
    return cv2().decode(bytes, IMREAD_FLAGS[colorType]) as Image;
  } catch (err) {
    throw new Error(`${path}: cannot decode the image (${(err as Error).message})`, { cause: err });
  }
}

/** PNG colour type 0 (gray) at 8 or 16 bits, read from the IHDR chunk that follows the signature. */
function isWholeByteGrayPng(bytes: Uint8Array): boolean {
  return bytes.length > 25 && bytes[25] === 0 && (bytes[24] === 8 || bytes[24] === 16);
}

/** Unpacks rows of 1/2/4-bit samples (PNG packs them MSB first, rows padded to whole bytes). */
function unpackBits(packed: Uint8Array, width: number, height: number, depth: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      out[y * width + x] = (packed[y * rowBytes + (bit >> 3)]! >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

/** Takes one channel of interleaved data when every pixel has equal colour channels (gray saved as RGB). */
function equalChannels(data: ArrayLike<number>, pixels: number, channels: number, colorChannels: number): Uint16Array | null {
  const out = new Uint16Array(pixels);
  for (let p = 0; p < pixels; p++) {
    const v = data[p * channels]!;
    for (let k = 1; k < colorChannels; k++) if (data[p * channels + k] !== v) return null;
    out[p] = v;
  }
  return out;
}

/**
 * Decodes a label map into [H, W] raw class indices (Uint8Array, or Uint16Array for 16-bit
 * files). 8- and 16-bit gray PNGs (the usual label files) and other formats are decoded by
 * cv2.imdecode(IMREAD_UNCHANGED). Other PNGs go through fast-png, because OpenCV expands palette
 * PNGs to colours and rescales 1/2/4-bit gray to 0..255, whereas their raw indices are wanted
 * (as PIL gives them for palette PNGs; 1/2/4-bit samples are unpacked as they are). A colour
 * image is accepted only when its channels are equal everywhere; anything else is an error
 * naming the file.
 */
export function decodeLabelMap(bytes: Uint8Array, path: string): Image<Uint8Array | Uint16Array> {
  let width: number, height: number, channels: number, depth: number, data: ArrayLike<number>;
  try {
    if (hasPngSignature(bytes) && !isWholeByteGrayPng(bytes)) {
      const png = decodePng(bytes);
      ({ width, height, channels, depth } = png);
      // Only gray and palette PNGs (one channel) have depths below 8.
      data = depth < 8 ? unpackBits(png.data as Uint8Array, width, height, depth) : png.data;
    } else {
      const img = cv2().decode(bytes, ImreadFlag.UNCHANGED);
      [height, width] = img.shape as [number, number];
      channels = img.shape[2] ?? 1;
      depth = img.data instanceof Uint16Array ? 16 : 8;
      data = img.data;
    }
  } catch (err) {
    throw new Error(`${path}: cannot decode the label map (${(err as Error).message})`, { cause: err });
  }
  const pixels = width * height;
  let values: ArrayLike<number> = data;
  if (channels !== 1) {
    const colorChannels = channels === 2 ? 0 : Math.min(channels, 3);
    const single = colorChannels ? equalChannels(data, pixels, channels, colorChannels) : null;
    if (!single) {
      const kind = channels === 2 ? 'gray + alpha' : `a ${channels}-channel colour image`;
      throw new Error(`${path}: the label map is ${kind}; expected one channel of class indices (a gray or palette image)`);
    }
    values = single;
  }
  if (values instanceof (depth === 16 ? Uint16Array : Uint8Array) && values.length === pixels) {
    return { data: values as Uint8Array | Uint16Array, shape: [height, width] };
  }
  const out = depth === 16 ? new Uint16Array(pixels) : new Uint8Array(pixels);
  for (let p = 0; p < pixels; p++) out[p] = values[p]!;
  return { data: out, shape: [height, width] };
}
