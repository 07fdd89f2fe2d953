// LoadImageFromFile: mmcv's transform that reads results.img_path into an HWC BGR image with cv2.imdecode (OpenCV, via segkit_image.node).
import { z } from 'zod';
import { parseOptions } from '../../../engine/config/errors.js';
import { BaseTransform, type Results } from '../../../engine/dataset/index.js';
import { TRANSFORMS } from '../../../engine/registry/index.js';
import { backendArgsSchema, decodeImage, readBytes } from './image-io.js';
import { shapeHW } from './results.js';

export const loadImageFromFileSchema = z.object({
  to_float32: z.boolean().default(false),
  color_type: z.enum(['color', 'grayscale', 'unchanged', 'color_ignore_orientation', 'grayscale_ignore_orientation']).default('color'),
  /** Every backend decodes with OpenCV's imdecode (mmcv's 'cv2' backend); the names are accepted so MMSeg configs load. */
  imdecode_backend: z.enum(['cv2', 'pillow']).default('cv2'),
  /** When decoding fails, drop the sample (the dataset refetches another) instead of raising. */
  ignore_empty: z.boolean().default(false),
  /** Only local files are read; these must stay null. */
  file_client_args: z.null().default(null),
  backend_args: backendArgsSchema,
}).strict();
export type LoadImageFromFileOptions = z.input<typeof loadImageFromFileSchema>;

/** Adds img ([H, W, 3] BGR uint8, or float32 with to_float32), img_shape and ori_shape ([h, w]). */
export class LoadImageFromFile extends BaseTransform {
  readonly options: z.output<typeof loadImageFromFileSchema>;

  constructor(options: unknown = {}) {
    super();
    this.options = parseOptions(loadImageFromFileSchema, options);
  }

  async transform(results: Results): Promise<Results | null> {
    const path = results.img_path;
    if (typeof path !== 'string') throw new TypeError(`results.img_path should be a file path, got ${JSON.stringify(path)}`);
    let img;
    try {
      img = await decodeImage(await readBytes(path, 'image'), path, this.options.color_type);
    } catch (err) {
      if (this.options.ignore_empty) return null;
      throw err;
    }
    if (this.options.to_float32 && !(img.data instanceof Float32Array)) img = { data: Float32Array.from(img.data), shape: img.shape };
    results.img = img;
    results.img_shape = shapeHW(img);
    results.ori_shape = shapeHW(img);
    return results;
  }
}
TRANSFORMS.register(LoadImageFromFile);
