// The image type the visualizer and its backends exchange (HWC uint8 pixels), with its checks and PNG coding.
import sharp from 'sharp';

/** Pixels in row-major HWC order: RGB for 3 channels (RGBA 4, grey 1, grey+alpha 2), one byte each. */
export interface RgbImage {
  data: Uint8Array;
  height: number;
  width: number;
  channels: number;
}

/** Throws unless `image` is a well-formed RgbImage; `where` names the caller and image in the message. */
export function checkRgbImage(image: unknown, where: string): asserts image is RgbImage {
  if (typeof image !== 'object' || image === null) {
    throw new TypeError(`${where}: expected an image { data, height, width, channels }, got ${image === null ? 'null' : typeof image}`);
  }
  const { data, height, width, channels } = image as Partial<RgbImage>;
  if (!(data instanceof Uint8Array)) {
    throw new TypeError(`${where}: image.data must be a Uint8Array of uint8 pixels, got ${data === undefined ? 'nothing' : (data as object)?.constructor?.name ?? typeof data}`);
  }
  for (const [key, v] of [['height', height], ['width', width]] as const) {
    if (!Number.isInteger(v) || (v as number) <= 0) throw new RangeError(`${where}: image.${key} must be a positive integer, got ${String(v)}`);
  }
  if (!Number.isInteger(channels) || (channels as number) < 1 || (channels as number) > 4) {
    throw new RangeError(`${where}: image.channels must be 1, 2, 3 or 4, got ${String(channels)}`);
  }
  const expected = height! * width! * channels!;
  if (data.length !== expected) {
    throw new RangeError(`${where}: image.data has ${data.length} bytes, expected height*width*channels = ${height}*${width}*${channels} = ${expected}`);
  }
}

/** A copy of `image` (setImage keeps its own pixels, so later drawing never touches the caller's buffer). */
export const cloneRgbImage = (image: RgbImage): RgbImage => ({ ...image, data: new Uint8Array(image.data) });

/** Encodes to PNG (libvips through sharp, off the main thread). */
export function encodePng(image: RgbImage): Promise<Buffer> {
  const { data, height, width, channels } = image;
  const pipeline = sharp(data, { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 } });
  // Without this, libvips turns grey input into an RGB PNG.
  return (channels <= 2 ? pipeline.toColourspace('b-w') : pipeline).png().toBuffer();
}

/** Decodes any image file sharp reads (PNG, JPEG, ...) into an RgbImage with its stored channels. */
export async function decodeImage(input: Buffer | string): Promise<RgbImage> {
  const stored = await sharp(input).metadata();
  const { data, info } = await sharp(input).raw().toBuffer({ resolveWithObject: true });
  const pixels = new Uint8Array(data.buffer, data.byteOffset, data.length);
  const { height, width } = info;
  if (stored.channels > 2 || info.channels === stored.channels) return { data: pixels, height, width, channels: info.channels };
  // libvips hands grey files back as RGB(A) with equal bands: keep the grey band (and alpha).
  const grey = new Uint8Array(height * width * stored.channels);
  for (let p = 0; p < height * width; p++) {
    grey[p * stored.channels] = pixels[p * info.channels]!;
    if (stored.channels === 2) grey[p * 2 + 1] = pixels[p * info.channels + info.channels - 1]!;
  }
  return { data: grey, height, width, channels: stored.channels };
}
