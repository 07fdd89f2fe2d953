// Decoding image files as mmcv.imfrombytes does: images through sharp into BGR, label maps as raw class indices.
import { readFile } from 'node:fs/promises';
import { decode as decodePng, hasPngSignature } from 'fast-png';
import sharp from 'sharp';
import { z } from 'zod';
import type { Image } from './ndarray-ops.js';

/** MMEngine's backend_args: only local files are read, so null or {backend: 'local'}. */
export const backendArgsSchema = z.union([z.null(), z.object({ backend: z.literal('local') }).strict()]).default(null);

/** mmcv's imread flags. */
export type ColorType = 'color' | 'grayscale' | 'unchanged' | 'color_ignore_orientation' | 'grayscale_ignore_orientation';

/** Reads a whole file; the error names the file and what was being read. */
export async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new Error(`${path}: cannot read the ${what} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
}

/** cv2's RGB -> gray in fixed point (0.299 R + 0.587 G + 0.114 B, 14-bit weights). */
const grayOf = (r: number, g: number, b: number): number => (r * 4899 + g * 9617 + b * 1868 + 8192) >> 14;

/**
 * Decodes an image file into HWC BGR uint8 (cv2.imdecode). 'color' applies the EXIF orientation,
 * expands gray to three channels and drops alpha; 'grayscale' gives [H, W]; 'unchanged' keeps
 * the channels (BGR / BGRA / gray) and 16-bit depth (as a Uint16Array). libvips decodes PNG
 * (8- and 16-bit) and JPEG to the same colour pixels as cv2 (a test compares a DRIVE image).
 * 'grayscale' of a colour file is computed from its RGB with cv2.cvtColor's weights, whereas
 * cv2.imread lets libpng/libjpeg convert: PNGs then differ by at most 1 on some pixels, JPEGs by
 * a few levels (libjpeg returns its own luma plane).
 */
export async function decodeImage(bytes: Uint8Array, path: string, colorType: ColorType): Promise<Image> {
  try {
    if (colorType === 'unchanged') return await decodeUnchanged(bytes);
    let pipeline = sharp(bytes);
    if (!colorType.endsWith('_ignore_orientation')) pipeline = pipeline.rotate();
    const { data, info } = await pipeline.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    const { width: w, height: h, channels: c } = info;
    if (colorType.startsWith('grayscale')) {
      const out = new Uint8Array(w * h);
      if (c === 1) out.set(data);
      else for (let p = 0; p < w * h; p++) out[p] = grayOf(data[p * c]!, data[p * c + 1]!, data[p * c + 2]!);
      return { data: out, shape: [h, w] };
    }
    const out = new Uint8Array(w * h * 3);
    // One loop per channel count, on a plain Uint8Array view: the per-pixel branch and Buffer reads cost more than the swap.
    const src = new Uint8Array(data.buffer, data.byteOffset, data.length);
    if (c === 1) {
      for (let p = 0; p < w * h; p++) out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = src[p]!;
    } else {
      for (let p = 0, q = 0; p < w * h * 3; p += 3, q += c) {
        out[p] = src[q + 2]!;
        out[p + 1] = src[q + 1]!;
        out[p + 2] = src[q]!;
      }
    }
    return { data: out, shape: [h, w, 3] };
  } catch (err) {
    throw new Error(`${path}: cannot decode the image (${(err as Error).message})`, { cause: err });
  }
}

async function decodeUnchanged(bytes: Uint8Array): Promise<Image> {
  const meta = await sharp(bytes).metadata();
  const wide = meta.depth === 'ushort';
  const channels = meta.channels ?? 3;
  const space = channels <= 2 ? (wide ? 'grey16' : 'b-w') : wide ? 'rgb16' : 'srgb';
  const { data, info } = await sharp(bytes).toColourspace(space).raw({ depth: wide ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  const { width: w, height: h, channels: c } = info;
  const src = wide ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : new Uint8Array(data.buffer, data.byteOffset, data.length);
  const out = wide ? new Uint16Array(w * h * c) : new Uint8Array(w * h * c);
  for (let p = 0; p < w * h; p++) {
    const o = p * c;
    if (c >= 3) {
      out[o] = src[o + 2]!;
      out[o + 1] = src[o + 1]!;
      out[o + 2] = src[o]!;
      if (c === 4) out[o + 3] = src[o + 3]!;
    } else {
      for (let k = 0; k < c; k++) out[o + k] = src[o + k]!;
    }
  }
  return { data: out, shape: c === 1 ? [h, w] : [h, w, c] };
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
 * files). PNGs are decoded with fast-png, which returns palette indices of palette PNGs (sharp
 * would expand them to colours); 1/2/4-bit samples are unpacked as they are (PIL would rescale
 * gray ones to 0..255). Other formats go through sharp. A colour image is accepted only when its
 * channels are equal everywhere; anything else is an error naming the file.
 */
export async function decodeLabelMap(bytes: Uint8Array, path: string): Promise<Image<Uint8Array | Uint16Array>> {
  let width: number, height: number, channels: number, depth: number, data: ArrayLike<number>;
  try {
    if (hasPngSignature(bytes)) {
      const png = decodePng(bytes);
      ({ width, height, channels, depth } = png);
      // Only gray and palette PNGs (one channel) have depths below 8.
      data = depth < 8 ? unpackBits(png.data as Uint8Array, width, height, depth) : png.data;
    } else {
      const img = await decodeUnchanged(bytes);
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
  const out = depth === 16 ? new Uint16Array(pixels) : new Uint8Array(pixels);
  for (let p = 0; p < pixels; p++) out[p] = values[p]!;
  return { data: out, shape: [height, width] };
}
