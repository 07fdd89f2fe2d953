// Dice of one class inside a field-of-view mask (DRIVE's `fov/NN.png`), as a metric, plus the
// no-learning green-channel top-hat baseline that sets the floor a trained model must beat.
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { decode as decodePng } from 'fast-png';
import { z } from 'zod';
import * as torch from '../../torch/index.js';
import { Tensor } from '../../torch/index.js';
import { parseOptions } from '../../engine/config/errors.js';
import { BaseMetric, type MetricValues } from '../../engine/evaluator/metric.js';
import type { DataBatch } from '../../engine/model/base-model.js';
import { METRICS } from '../../engine/registry/index.js';
import { isNdArray, type SegDataSample } from '../structures/seg-data-sample.js';

/** Pixel counts for Dice: |pred ∩ gt|, |pred|, |gt| of one class. */
export interface DiceAreas { intersect: number; pred: number; label: number }

export const dice = (a: DiceAreas): number => (a.pred + a.label === 0 ? NaN : (2 * a.intersect) / (a.pred + a.label));

/** Counts for class `cls`, over the pixels where `mask` is non-zero (all pixels when mask is null); label 255 is ignored. */
export function diceAreas(pred: Uint8Array, label: Uint8Array, mask: Uint8Array | null, cls = 1): DiceAreas {
  if (pred.length !== label.length || (mask && mask.length !== label.length)) {
    throw new RangeError(`diceAreas: sizes differ (pred ${pred.length}, label ${label.length}, mask ${mask?.length ?? '-'})`);
  }
  const areas = { intersect: 0, pred: 0, label: 0 };
  for (let i = 0; i < label.length; i++) {
    if ((mask && !mask[i]) || label[i] === 255) continue;
    const p = pred[i] === cls;
    const g = label[i] === cls;
    if (p) areas.pred++;
    if (g) areas.label++;
    if (p && g) areas.intersect++;
  }
  return areas;
}

export const sumDiceAreas = (xs: DiceAreas[]): DiceAreas =>
  xs.reduce((s, a) => ({ intersect: s.intersect + a.intersect, pred: s.pred + a.pred, label: s.label + a.label }), { intersect: 0, pred: 0, label: 0 });

/** A greyscale (or first-channel) 8-bit PNG as [height, width, pixels]. */
export function readGrayPng(path: string): { data: Uint8Array; height: number; width: number } {
  const png = decodePng(readFileSync(path));
  if (png.depth !== 8) throw new TypeError(`readGrayPng: ${path} has bit depth ${png.depth}, expected 8`);
  const src = png.data as Uint8Array;
  const data = png.channels === 1 ? src : Uint8Array.from({ length: png.width * png.height }, (_, i) => src[i * png.channels]!);
  return { data, height: png.height, width: png.width };
}

/** DRIVE's layout: `<split>/images/NN.png` has its mask at `<split>/fov/NN.png`. */
export const driveFovPath = (imgPath: string): string => join(dirname(dirname(imgPath)), 'fov', basename(imgPath));

function labelBytes(data: unknown, where: string): Uint8Array {
  if (data instanceof Tensor) return torch.tidy(() => (data.squeeze().to('uint8').cpu().data() as Uint8Array).slice());
  if (isNdArray(data)) return data.data as Uint8Array;
  throw new TypeError(`${where}: expected a Tensor or an NdArray {data, shape}`);
}

const fovDiceOptionsSchema = z.object({
  /** The class whose Dice is reported (DRIVE: 1 = vessel). */
  class_index: z.number().int().nonnegative().default(1),
  prefix: z.string().nullable().default(null),
  collect_device: z.enum(['cpu', 'gpu']).default('cpu'),
}).strict();

/**
 * Dice of `class_index` over the whole split (areas summed over images, as IoUMetric does), both
 * inside each image's FOV mask (found next to the image, DRIVE's layout) and over the whole image.
 * Values are fractions in [0, 1]: `dice_fov`, `dice_whole`.
 */
export class FovDiceMetric extends BaseMetric {
  readonly classIndex: number;
  declare results: { fov: DiceAreas; whole: DiceAreas }[];

  constructor(options: z.input<typeof fovDiceOptionsSchema> = {}) {
    const o = parseOptions(fovDiceOptionsSchema, options);
    super({ collect_device: o.collect_device, prefix: o.prefix });
    this.classIndex = o.class_index;
  }

  override process(_dataBatch: DataBatch, dataSamples: unknown[]): void {
    for (const [i, s] of (dataSamples as Partial<SegDataSample>[]).entries()) {
      const where = `FovDiceMetric.process: data sample ${i} (${s.metainfo?.img_path ?? 'no img_path'})`;
      if (!s.pred_sem_seg || !s.gt_sem_seg || !s.metainfo?.img_path) throw new Error(`${where}: needs pred_sem_seg, gt_sem_seg and metainfo.img_path`);
      const pred = labelBytes(s.pred_sem_seg.data, `${where}: pred_sem_seg.data`);
      const label = labelBytes(s.gt_sem_seg.data, `${where}: gt_sem_seg.data`);
      const fov = readGrayPng(driveFovPath(s.metainfo.img_path));
      if (fov.data.length !== label.length) throw new RangeError(`${where}: FOV mask has ${fov.data.length} pixels, the label ${label.length}`);
      this.results.push({ fov: diceAreas(pred, label, fov.data, this.classIndex), whole: diceAreas(pred, label, null, this.classIndex) });
    }
  }

  override computeMetrics(results: unknown[]): MetricValues {
    const rs = results as FovDiceMetric['results'];
    return { dice_fov: dice(sumDiceAreas(rs.map((r) => r.fov))), dice_whole: dice(sumDiceAreas(rs.map((r) => r.whole))) };
  }
}
METRICS.register(FovDiceMetric);

/** Grey-level erosion (min) or dilation (max) with a disk of `radius`; pixels outside the image are left out. */
export function morphDisk(src: Float32Array, height: number, width: number, radius: number, op: 'min' | 'max'): Float32Array {
  const pick = op === 'min' ? Math.min : Math.max;
  // Row-wise min/max over half-width w for every w the disk uses, then a column pass over the disk's rows.
  const rows: Float32Array[] = [];
  for (let w = 0; w <= radius; w++) {
    const r = new Float32Array(src.length);
    for (let y = 0; y < height; y++) {
      const o = y * width;
      for (let x = 0; x < width; x++) {
        let v = src[o + x]!;
        for (let k = Math.max(0, x - w); k <= Math.min(width - 1, x + w); k++) v = pick(v, src[o + k]!);
        r[o + x] = v;
      }
    }
    rows.push(r);
  }
  const out = Float32Array.from(src);
  for (let dy = -radius; dy <= radius; dy++) {
    const row = rows[Math.floor(Math.sqrt(radius * radius - dy * dy))]!;
    for (let y = Math.max(0, -dy); y < Math.min(height, height - dy); y++) {
      const o = y * width;
      const p = (y + dy) * width;
      for (let x = 0; x < width; x++) out[o + x] = pick(out[o + x]!, row[p + x]!);
    }
  }
  return out;
}

/**
 * The no-learning baseline's response: green channel of the RGB image, inverted (vessels are dark
 * in green, so they become bright), pixels outside the FOV set to the mean inside it (so the dark
 * border does not turn into a bright rim), then a white top-hat (image minus its opening by a disk
 * of `radius`), which keeps bright structures thinner than the disk: the vessels.
 */
export function greenTopHat(rgb: Uint8Array, fov: Uint8Array, height: number, width: number, radius = 7): Float32Array {
  const n = height * width;
  if (rgb.length !== 3 * n || fov.length !== n) throw new RangeError(`greenTopHat: expected ${3 * n} RGB bytes and ${n} mask bytes, got ${rgb.length} and ${fov.length}`);
  const inv = new Float32Array(n);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    inv[i] = 255 - rgb[3 * i + 1]!;
    if (fov[i]) { sum += inv[i]!; count++; }
  }
  const mean = count ? sum / count : 0;
  for (let i = 0; i < n; i++) if (!fov[i]) inv[i] = mean;
  const opened = morphDisk(morphDisk(inv, height, width, radius, 'min'), height, width, radius, 'max');
  return inv.map((v, i) => v - opened[i]!);
}

/**
 * Thresholds the top-hat responses (vessel where response > t) with the single t, on a 0.5 grid,
 * that maximises the Dice summed over all given images inside their FOV: an oracle threshold, so
 * the floor is the best this baseline can do on exactly these images.
 */
export function bestThresholdDice(images: { response: Float32Array; label: Uint8Array; fov: Uint8Array }[]): { threshold: number; dice: number } {
  const bins = 512; // response in [0, 255] at 0.5 steps
  const vessel = new Float64Array(bins);
  const other = new Float64Array(bins);
  let labelTotal = 0;
  for (const { response, label, fov } of images) {
    for (let i = 0; i < label.length; i++) {
      if (!fov[i] || label[i] === 255) continue;
      const b = Math.min(bins - 1, Math.max(0, Math.floor(response[i]! * 2)));
      if (label[i] === 1) { vessel[b]!++; labelTotal++; } else other[b]!++;
    }
  }
  // Predicted-vessel counts for "response > t": suffix sums over the bins above t's.
  let best = { threshold: 0, dice: -1 };
  let tp = 0;
  let pred = 0;
  for (let b = bins - 1; b >= 0; b--) {
    const d = (2 * tp) / (pred + labelTotal);
    if (d > best.dice) best = { threshold: b / 2, dice: d };
    tp += vessel[b]!;
    pred += vessel[b]! + other[b]!;
  }
  return best;
}

/** Reads DRIVE test image NN from `root` (`<root>/{images,labels,fov}/NN.png`) and computes its top-hat response. */
export function driveBaselineInputs(root: string, name: string, radius = 7): { response: Float32Array; label: Uint8Array; fov: Uint8Array } {
  const png = decodePng(readFileSync(join(root, 'images', name)));
  if (png.channels < 3 || png.depth !== 8) throw new TypeError(`driveBaselineInputs: ${name} is not an 8-bit RGB PNG`);
  const src = png.data as Uint8Array;
  const rgb = png.channels === 3 ? src : Uint8Array.from({ length: png.width * png.height * 3 }, (_, i) => src[Math.floor(i / 3) * png.channels + (i % 3)]!);
  const fov = readGrayPng(join(root, 'fov', name)).data;
  const label = readGrayPng(join(root, 'labels', name)).data;
  return { response: greenTopHat(rgb, fov, png.height, png.width, radius), label, fov };
}
