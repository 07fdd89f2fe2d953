// PascalVOCDataset: MMSeg's Pascal VOC 2012 (21 classes incl. background; a split file lists the images).
import { existsSync, statSync } from 'node:fs';
import { z } from 'zod';
import { DATASETS } from '../../engine/registry/index.js';
import { BaseSegDataset, baseSegDatasetSchema } from './base-seg-dataset.js';

export const pascalVOCDatasetSchema = baseSegDatasetSchema.extend({
  /** The split file (names without suffix, one per line). */
  ann_file: z.string().min(1, 'PascalVOCDataset needs ann_file (the split list)'),
  img_suffix: z.string().default('.jpg'),
  seg_map_suffix: z.string().default('.png'),
});

/** ann_file (the split list) is required; labels are palette PNGs, read as indices. */
export class PascalVOCDataset extends BaseSegDataset<z.output<typeof pascalVOCDatasetSchema>> {
  static override METAINFO: Record<string, unknown> = {
    classes: [
      'background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car',
      'cat', 'chair', 'cow', 'diningtable', 'dog', 'horse', 'motorbike', 'person',
      'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor',
    ],
    palette: [
      [0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128], [128, 0, 128], [0, 128, 128], [128, 128, 128],
      [64, 0, 0], [192, 0, 0], [64, 128, 0], [192, 128, 0], [64, 0, 128], [192, 0, 128], [64, 128, 128], [192, 128, 128],
      [0, 64, 0], [128, 64, 0], [0, 192, 0], [128, 192, 0], [0, 64, 128],
    ],
  };

  constructor(options: unknown) {
    super(options, pascalVOCDatasetSchema.strict());
  }

  protected override checkPaths(): void {
    const imgDir = this.dataPrefix.img_path ?? '';
    if (!existsSync(imgDir)) throw new Error(`PascalVOCDataset: data_prefix.img_path '${imgDir}' does not exist`);
    if (!existsSync(this.annFile) || !statSync(this.annFile).isFile()) throw new Error(`PascalVOCDataset: ann_file '${this.annFile}' is not a file`);
  }
}
DATASETS.register(PascalVOCDataset);
