// Loads segkit_image.node, the data pipeline's OpenCV 4.6 kernels (the library python3-opencv wraps, so results equal cv2's), and types its surface.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the addon returns: an HWC ([h, w, c]) or HW array of the input's element type. */
export interface NativeImage {
  data: Uint8Array | Uint16Array | Float32Array;
  shape: number[];
}

type Pixels = Uint8Array | Uint16Array | Float32Array;

/**
 * The addon's functions (native/image/image_ops.cc). Inputs are plain typed arrays with a shape
 * [h, w] or [h, w, c]; outputs are new arrays. Every call runs OpenCV on the calling thread only
 * (cv::setNumThreads(0), as mmengine sets for cv2), so data-loader workers can call it in parallel.
 * It links OpenCV only: loading it costs a worker ~90 ms and ~45 MB once per process, against
 * ~520 ms and ~150 MB for the libtorch addon, which workers therefore never load.
 */
export interface ImageAddon {
  /** cv::imdecode with cv::IMREAD_* flags. */
  decode(bytes: Uint8Array, flags: number): NativeImage;
  /** cv::resize to width x height with a cv::INTER_* code; the input's rank is kept. */
  resize(data: Pixels, shape: readonly number[], width: number, height: number, interpolation: number): NativeImage;
  /** cv::cvtColor for the COLOR_* codes in ColorCode. */
  cvtColor(data: Pixels, shape: readonly number[], code: number): NativeImage;
  /**
   * cv::warpAffine with BORDER_CONSTANT. A number border value is cv2's Scalar(v): channel 0 gets
   * v and the others 0; an array gives one value per channel (at most 4).
   */
  warpAffine(
    data: Pixels, shape: readonly number[], matrix: readonly number[], width: number, height: number,
    interpolation: number, borderValue: number | readonly number[],
  ): NativeImage;
  /** cv::flip: code 1 mirrors left-right, 0 top-bottom, -1 both; the input's rank is kept. */
  flip(data: Pixels, shape: readonly number[], code: number): NativeImage;
  /** HWC -> CHW planes (cv::split into one array); an [h, w] array gives [1, h, w]. */
  toChw(data: Pixels, shape: readonly number[]): NativeImage;
  /** cv::getRotationMatrix2D (the centre is taken as float, as cv2 does), row major. */
  rotationMatrix2D(cx: number, cy: number, angle: number, scale: number): number[];
  /** OpenCV's version string, e.g. '4.6.0'. */
  readonly version: string;
}

/** cv::IMREAD_* flags. */
export const ImreadFlag = { UNCHANGED: -1, GRAYSCALE: 0, COLOR: 1, IGNORE_ORIENTATION: 128 } as const;

/** cv::INTER_* codes, under mmcv's interpolation names. */
export const INTERPOLATION_CODES = { nearest: 0, bilinear: 1, bicubic: 2, area: 3, lanczos: 4 } as const;

/** cv::COLOR_* codes the addon accepts. */
export const ColorCode = { BGR2RGB: 4, BGR2GRAY: 6, GRAY2BGR: 8, BGR2HSV: 40, HSV2BGR: 54 } as const;

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('segkit: cannot find the package root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

function load(): ImageAddon {
  const file = process.env.SEGKIT_IMAGE_NATIVE ?? join(packageRoot(), 'build', 'native', 'Release', 'segkit_image.node');
  if (!existsSync(file)) {
    throw new Error(`segkit: the image addon is not at ${file}; install OpenCV's headers `
      + `(apt-get install -y libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev) and run 'npm run build:native'`);
  }
  return createRequire(import.meta.url)(file) as ImageAddon;
}

let addon: ImageAddon | null = null;

/** The addon, loaded on first use (so importing the transforms works where only the tensor addon is built). */
export function cv2(): ImageAddon {
  return (addon ??= load());
}
