// Typed access to the pipeline's results dict (mmcv's keys), with errors that say which transform is missing.
import type { Results } from '../../../engine/dataset/index.js';
import { isImage, type Image } from './ndarray-ops.js';

/** results[key] as an image array; an error naming the key otherwise. */
export function imageOf(results: Results, key = 'img'): Image {
  const v = results[key];
  if (!isImage(v)) {
    const hint = key === 'img' ? ' (put LoadImageFromFile first)' : key === 'gt_seg_map' ? ' (put LoadAnnotations first)' : '';
    throw new TypeError(`results.${key} ${v === undefined ? 'is missing' : 'is not an image array {data, shape: [H, W(, C)]}'}${hint}`);
  }
  return v;
}

/**
 * The keys of the label maps to transform alongside the image: `seg_fields` (MMSeg's list) plus
 * `gt_seg_map` when present.
 */
export function segFieldsOf(results: Results): string[] {
  const listed = Array.isArray(results.seg_fields) ? (results.seg_fields as unknown[]).filter((k): k is string => typeof k === 'string') : [];
  const keys = new Set(listed);
  if (results.gt_seg_map !== undefined) keys.add('gt_seg_map');
  return [...keys].filter((k) => results[k] !== undefined && results[k] !== null);
}

/** [h, w] of an image array. */
export const shapeHW = (img: Image): [number, number] => [img.shape[0]!, img.shape[1]!];
