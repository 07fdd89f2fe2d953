// Reads an image file as RGB pixels (mmcv.imread(..., channel_order='rgb')), and turns CHW BGR inputs back into images.
import sharp from 'sharp';
import type { RgbImage } from '../../engine/visualization/image.js';

/** Decodes any file sharp reads into 3-channel RGB (grey is expanded, alpha dropped). */
export async function readRgbImage(path: string): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(path).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), height: info.height, width: info.width, channels: info.channels };
  } catch (err) {
    throw new Error(`${path}: cannot read the image (${(err as Error).message})`);
  }
}

/** A packed input `{ data, shape: [3, H, W] }` in BGR order (PackSegInputs' `inputs`) as an RGB image. */
export function chwBgrToRgbImage(input: { data: ArrayLike<number>; shape: number[] }, where = 'inputs'): RgbImage {
  const [c, h, w] = input.shape;
  if (input.shape.length !== 3 || c !== 3) throw new RangeError(`${where}: expected a [3, H, W] BGR image, got shape [${input.shape.join(', ')}]`);
  const plane = h! * w!;
  const out = new Uint8Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    out[p * 3] = input.data[2 * plane + p]!;
    out[p * 3 + 1] = input.data[plane + p]!;
    out[p * 3 + 2] = input.data[p]!;
  }
  return { data: out, height: h!, width: w!, channels: 3 };
}
