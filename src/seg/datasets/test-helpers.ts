// Helpers for the dataset/transform tests: where the shared real data sets are, and small PNG files made on the fly.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode as encodePng } from 'fast-png';

/** ../shared/data beside the project root (this file runs from dist/src/seg/datasets/). */
export const SHARED_DATA = fileURLToPath(new URL('../../../../../shared/data/', import.meta.url));
export const DRIVE_ROOT = join(SHARED_DATA, 'drive');
export const CAMVID_ROOT = join(SHARED_DATA, 'camvid-240x180');

export const tempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), `segkit-${prefix}-`));

/** Writes a PNG: channels 1 (gray) or 3 (RGB), depth 8 or 16; with `palette`, an indexed PNG of `depth` bits. */
export function writePng(path: string, width: number, height: number, data: Uint8Array | Uint16Array,
  opts: { channels?: number; depth?: 1 | 2 | 4 | 8 | 16; palette?: number[][] } = {}): string {
  const { channels = 1, depth = 8, palette } = opts;
  let pixels: Uint8Array | Uint16Array = data;
  if (palette && depth < 8) {
    // Pack indices MSB first, rows padded to whole bytes.
    const rowBytes = Math.ceil((width * depth) / 8);
    const packed = new Uint8Array(rowBytes * height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const bit = x * depth;
        packed[y * rowBytes + (bit >> 3)]! |= data[y * width + x]! << (8 - depth - (bit & 7));
      }
    }
    pixels = packed;
  }
  writeFileSync(path, encodePng({ width, height, data: pixels, channels, depth, ...(palette ? { palette } : {}) }));
  return path;
}
