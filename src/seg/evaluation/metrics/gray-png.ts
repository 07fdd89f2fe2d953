// Writes an 8-bit greyscale PNG synchronously (IoUMetric's prediction maps, PIL's mode 'L').
import { writeFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** PNG bytes of a height x width uint8 map (colour type 0, no interlace, filter 0 per row). */
export function encodeGrayPng(pixels: Uint8Array, height: number, width: number): Buffer {
  if (pixels.length !== height * width) throw new RangeError(`encodeGrayPng: ${pixels.length} pixels for ${height}x${width}`);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  const raw = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * Synchronous on purpose: metrics' process() is synchronous, and the files must exist when
 * the test loop returns.
 */
export function writeGrayPng(file: string, pixels: Uint8Array, height: number, width: number): void {
  writeFileSync(file, encodeGrayPng(pixels, height, width));
}
