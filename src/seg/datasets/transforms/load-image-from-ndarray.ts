// LoadImageFromNDArray: MMSeg's first transform for an image given in memory (results.img, HWC BGR) instead of a file.
import { parseOptions } from '../../../engine/config/errors.js';
import { BaseTransform, type Results } from '../../../engine/dataset/index.js';
import { TRANSFORMS } from '../../../engine/registry/index.js';
import { loadImageFromFileSchema } from './load-image-from-file.js';
import { imageOf, shapeHW } from './results.js';

/** Takes LoadImageFromFile's options (only to_float32 matters); sets img_path null, img_shape and ori_shape. */
export class LoadImageFromNDArray extends BaseTransform {
  readonly toFloat32: boolean;

  constructor(options: unknown = {}) {
    super();
    this.toFloat32 = parseOptions(loadImageFromFileSchema, options).to_float32;
  }

  transform(results: Results): Results {
    let img = imageOf(results);
    if (this.toFloat32 && !(img.data instanceof Float32Array)) img = { data: Float32Array.from(img.data), shape: [...img.shape] };
    results.img_path = null;
    results.img = img;
    results.img_shape = shapeHW(img);
    results.ori_shape = shapeHW(img);
    return results;
  }
}
TRANSFORMS.register(LoadImageFromNDArray);
