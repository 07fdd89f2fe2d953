// SegLocalVisualizer (MMSeg's): draws ground truth and prediction over the image, side by side, into the vis backends or a file.
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { z } from 'zod';
import { parseOptions } from '../../engine/config/errors.js';
import { MMLogger } from '../../engine/logging/logger.js';
import { VISUALIZERS } from '../../engine/registry/index.js';
import { checkRgbImage, type RgbImage } from '../../engine/visualization/image.js';
import { Visualizer, visualizerOptionsSchema, type AddDatasampleOptions } from '../../engine/visualization/visualizer.js';
import type { SegDataSample } from '../structures/seg-data-sample.js';
import { datasetClassesAndPalette, type Palette } from './class-names.js';
import { drawSemSeg } from './draw-sem-seg.js';
import { toSemSegMap } from './label-map.js';

const rgb = z.tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(255), z.number().int().min(0).max(255)]);

export const segLocalVisualizerOptionsSchema = visualizerOptionsSchema.extend({
  classes: z.array(z.string()).nullable().default(null),
  palette: z.array(rgb).nullable().default(null),
  /** A dataset alias ('cityscapes', 'ade20k', 'voc', ...) whose classes/palette fill in what is not given. */
  dataset_name: z.string().nullable().default(null),
  /** Opacity of the segmentation mask. */
  alpha: z.number().min(0).max(1).default(0.8),
}).strict();

export type SegLocalVisualizerOptions = z.input<typeof segLocalVisualizerOptionsSchema>;

/** What the visualizer reads from a SegDataSample (either map may be absent). */
export type SegSampleToDraw = Pick<SegDataSample, 'gt_sem_seg' | 'pred_sem_seg'>;

export interface SegAddDatasampleOptions extends AddDatasampleOptions<SegSampleToDraw> {
  /** Write class names at each class's region (MMSeg's with_labels, default true). */
  withLabels?: boolean;
}

export class SegLocalVisualizer extends Visualizer {
  alpha: number;
  /** Where `show` writes on a machine without a display. */
  readonly showDir: string;

  constructor(options: SegLocalVisualizerOptions = {}) {
    const opts = parseOptions(segLocalVisualizerOptionsSchema, options);
    const { classes, palette, dataset_name: datasetName, alpha, ...base } = opts;
    super(base);
    this.alpha = alpha;
    this.showDir = join(opts.save_dir ?? join(tmpdir(), 'segkit'), 'show');
    this.setDatasetMeta(classes, palette, datasetName);
  }

  /**
   * MMSeg's set_dataset_meta: given classes/palette win; the rest comes from `datasetName`
   * (default 'cityscapes'). Assigning `datasetMeta` directly (as the Runner does) replaces all.
   */
  setDatasetMeta(classes: string[] | null = null, palette: Palette | null = null, datasetName: string | null = null): void {
    const fallback = classes && palette ? null : datasetClassesAndPalette(datasetName ?? 'cityscapes');
    const c = classes ?? fallback!.classes;
    const p = palette ?? fallback!.palette;
    if (c.length !== p.length) {
      throw new RangeError(`SegLocalVisualizer: ${c.length} classes but ${p.length} palette colours${fallback ? ` (the missing one came from dataset '${datasetName ?? 'cityscapes'}')` : ''}; they must pair up`);
    }
    this.datasetMeta = { classes: c, palette: p };
  }

  #classesAndPalette(): { classes: string[]; palette: Palette } {
    const classes = this.datasetMeta?.classes;
    const palette = this.datasetMeta?.palette;
    if (!Array.isArray(classes)) throw new Error(`SegLocalVisualizer '${this.instanceName}': class information is not provided when visualizing semantic segmentation results (set datasetMeta.classes)`);
    if (!Array.isArray(palette)) throw new Error(`SegLocalVisualizer '${this.instanceName}': datasetMeta.palette is missing; it needs one [r, g, b] per class`);
    return { classes: classes.map(String), palette: palette as Palette };
  }

  /** One sem_seg drawn over `image`; the result also becomes the visualizer's image (MMSeg's set_image). */
  async drawSemSeg(image: RgbImage, semSeg: { data: unknown }, withLabels = true, where = 'sem_seg'): Promise<RgbImage> {
    const { classes, palette } = this.#classesAndPalette();
    const drawn = await drawSemSeg(image, toSemSegMap(semSeg.data, `SegLocalVisualizer: ${where}.data`), classes, palette, this.alpha, withLabels);
    this.setImage(drawn);
    return drawn;
  }

  /**
   * Draws GT (left) and prediction (right) over `image` (RGB); with both off or absent the image
   * is recorded as it is. `outFile` writes the drawing there instead of the vis backends; `show`
   * has no window to open, so it writes `<save_dir or tmp>/show/<name>.png` and logs the path.
   */
  override async addDatasample(name: string, image: RgbImage, options: SegAddDatasampleOptions = {}): Promise<void> {
    checkRgbImage(image, `SegLocalVisualizer.addDatasample('${name}')`);
    const { dataSample, drawGt = true, drawPred = true, show = false, outFile, step = 0, withLabels = true } = options;
    let gt: RgbImage | undefined;
    let pred: RgbImage | undefined;
    if (drawGt && dataSample?.gt_sem_seg) gt = await this.drawSemSeg(image, dataSample.gt_sem_seg, withLabels, 'gt_sem_seg');
    if (drawPred && dataSample?.pred_sem_seg) pred = await this.drawSemSeg(image, dataSample.pred_sem_seg, withLabels, 'pred_sem_seg');
    const drawn = gt && pred ? concatWidth(gt, pred) : (gt ?? pred ?? image);
    if (show) {
      const file = join(this.showDir, `${name.replace(/[^\w.-]+/g, '_')}${name.endsWith('.png') ? '' : '.png'}`);
      await writeImage(drawn, file);
      MMLogger.getCurrentInstance().info(`SegLocalVisualizer: no display to show '${name}'; wrote ${file}`);
    }
    if (outFile !== undefined) await writeImage(drawn, outFile);
    else await this.addImage(name, drawn, step);
  }
}

/** Two images of the same height side by side (np.concatenate(axis=1)). */
export function concatWidth(left: RgbImage, right: RgbImage): RgbImage {
  if (left.height !== right.height || left.channels !== right.channels) {
    throw new RangeError(`concatWidth: images ${left.height}x${left.width}x${left.channels} and ${right.height}x${right.width}x${right.channels} differ in height or channels`);
  }
  const { height, channels } = left;
  const width = left.width + right.width;
  const data = new Uint8Array(height * width * channels);
  const l = left.width * channels;
  const r = right.width * channels;
  for (let y = 0; y < height; y++) {
    data.set(left.data.subarray(y * l, (y + 1) * l), y * (l + r));
    data.set(right.data.subarray(y * r, (y + 1) * r), y * (l + r) + l);
  }
  return { data, height, width, channels };
}

/** Writes an RGB image in the format its extension names (mmcv.imwrite: .png, .jpg, ...), creating folders. */
export async function writeImage(image: RgbImage, file: string): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels as 3 } }).toFile(file);
}

VISUALIZERS.register(SegLocalVisualizer);
