// LoadAnnotations: MMSeg's transform that reads results.seg_map_path into gt_seg_map (uint8 class indices), checking every value.
import { z } from 'zod';
import { parseOptions } from '../../../engine/config/errors.js';
import { BaseTransform, type Results } from '../../../engine/dataset/index.js';
import { TRANSFORMS } from '../../../engine/registry/index.js';
import { backendArgsSchema, decodeLabelMap, readBytes } from './image-io.js';

export const loadAnnotationsSchema = z.object({
  /** Deprecated in MMSeg (set it on the dataset); when given it must agree with the dataset's. */
  reduce_zero_label: z.boolean().nullable().default(null),
  /** Label files are decoded as raw indices whatever the backend name (see image-io.ts). */
  imdecode_backend: z.enum(['pillow', 'cv2']).default('pillow'),
  backend_args: backendArgsSchema,
  /**
   * A label map with a value outside [0, num_classes) and ignore_index (after reduce_zero_label and
   * label_map) is an error naming the file; with this set, the sample is dropped instead (the
   * dataset refetches another in training), counted and reported in a warning.
   */
  skip_invalid_labels: z.boolean().default(false),
}).strict();
export type LoadAnnotationsOptions = z.input<typeof loadAnnotationsSchema>;

let skipped = 0;

/** How many label maps this thread's LoadAnnotations dropped for invalid values (skip_invalid_labels). */
export function skippedLabelMaps(): number {
  return skipped;
}

/**
 * Adds gt_seg_map ([H, W] uint8) and appends it to seg_fields. With reduce_zero_label, 0 becomes
 * 255 and every other value drops by one (255 stays 255); then label_map ({old: new}, from the
 * dataset's class subset) remaps values. The value check needs the dataset's num_classes and
 * ignore_index in the results (BaseSegDataset puts them there); without num_classes only values
 * above 255 are refused.
 */
export class LoadAnnotations extends BaseTransform {
  readonly options: z.output<typeof loadAnnotationsSchema>;

  constructor(options: unknown = {}) {
    super();
    this.options = parseOptions(loadAnnotationsSchema, options);
    if (this.options.reduce_zero_label !== null) {
      process.emitWarning('LoadAnnotations: `reduce_zero_label` will be deprecated; set `reduce_zero_label=True` on the dataset to ignore label zero', 'DeprecationWarning');
    }
  }

  async transform(results: Results): Promise<Results | null> {
    const path = results.seg_map_path;
    if (typeof path !== 'string') throw new TypeError(`results.seg_map_path should be a file path, got ${JSON.stringify(path)}`);
    const raw = await decodeLabelMap(await readBytes(path, 'label map'), path);
    const reduceZero = this.#reduceZeroLabel(results);
    const lut = labelLut(reduceZero, results.label_map);
    const invalid = this.#findInvalid(raw.data, lut, results);
    if (invalid) {
      const message = `${path}: ${invalid}`;
      if (!this.options.skip_invalid_labels) throw new RangeError(message);
      skipped++;
      process.emitWarning(`${message}; skipping this sample (${skipped} label map${skipped > 1 ? 's' : ''} skipped so far in this thread)`, 'InvalidLabelWarning');
      return null;
    }
    const ori = results.ori_shape;
    if (Array.isArray(ori) && (ori[0] !== raw.shape[0] || ori[1] !== raw.shape[1])) {
      throw new RangeError(`${path}: the label map is ${raw.shape[0]}x${raw.shape[1]} (h x w) but the image ${String(results.img_path)} is ${ori[0]}x${ori[1]}`);
    }
    const out = new Uint8Array(raw.data.length);
    for (let i = 0; i < out.length; i++) out[i] = lut[raw.data[i]!]!;
    results.gt_seg_map = { data: out, shape: raw.shape };
    if (!Array.isArray(results.seg_fields)) results.seg_fields = [];
    (results.seg_fields as string[]).push('gt_seg_map');
    return results;
  }

  #reduceZeroLabel(results: Results): boolean {
    const fromDataset = typeof results.reduce_zero_label === 'boolean' ? results.reduce_zero_label : null;
    const own = this.options.reduce_zero_label;
    if (own !== null && fromDataset !== null && own !== fromDataset) {
      throw new Error(`the dataset was built with reduce_zero_label ${fromDataset} but LoadAnnotations has reduce_zero_label ${own}; set it on the dataset only`);
    }
    return own ?? fromDataset ?? false;
  }

  /** A description of the first out-of-range value, or null when every value is valid. */
  #findInvalid(data: Uint8Array | Uint16Array, lut: Uint8Array, results: Results): string | null {
    const numClasses = typeof results.num_classes === 'number' ? results.num_classes : null;
    const ignoreIndex = typeof results.ignore_index === 'number' ? results.ignore_index : 255;
    const bad = new Uint8Array(256);
    if (numClasses !== null) for (let v = 0; v < 256; v++) bad[v] = lut[v]! < numClasses || lut[v] === ignoreIndex ? 0 : 1;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v > 255 || bad[v]) {
        const mapped = v <= 255 && lut[v] !== v ? ` (${lut[v]} after reduce_zero_label/label_map)` : '';
        const range = numClasses === null ? '0..255' : `0..${numClasses - 1} and ignore_index ${ignoreIndex}`;
        return `label value ${v}${mapped} outside ${range}`;
      }
    }
    return null;
  }
}
TRANSFORMS.register(LoadAnnotations);

/** The value each raw byte becomes: reduce_zero_label first, then label_map (keys may be strings after JSON). */
export function labelLut(reduceZeroLabel: boolean, labelMap: unknown): Uint8Array {
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = reduceZeroLabel ? (v === 0 || v === 255 ? 255 : v - 1) : v;
  if (labelMap !== null && labelMap !== undefined) {
    if (typeof labelMap !== 'object') throw new TypeError(`results.label_map should be an object {old: new}, got ${JSON.stringify(labelMap)}`);
    const map = new Map(Object.entries(labelMap as Record<string, unknown>).map(([k, v]) => [Number(k), Number(v)]));
    const before = lut.slice();
    for (let v = 0; v < 256; v++) {
      const to = map.get(before[v]!);
      if (to !== undefined) lut[v] = to;
    }
  }
  return lut;
}
