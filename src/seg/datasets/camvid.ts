// CamVidDataset: CamVid street scenes in SegNet's 11-class split (`train/` images with `trainannot/` labels); label 11 (void) is ignored.
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { DATASETS } from '../../engine/registry/index.js';
import { BaseSegDataset, baseSegDatasetSchema, type LabelMap } from './base-seg-dataset.js';

export const camVidDatasetSchema = baseSegDatasetSchema.extend({
  img_suffix: z.string().default('.png'),
  seg_map_suffix: z.string().default('.png'),
  reduce_zero_label: z.boolean().default(false),
});

/**
 * Images and labels share their file names (`0001TP_006690.png`). The label files hold 0..10 for
 * the classes and 11 for void; the label map always sends 11 to 255 (ignore), on top of any class
 * subset chosen through metainfo.classes. Palette: SegNet's CamVid colours.
 */
export class CamVidDataset extends BaseSegDataset<z.output<typeof camVidDatasetSchema>> {
  static override METAINFO: Record<string, unknown> = {
    classes: ['Sky', 'Building', 'Pole', 'Road', 'Pavement', 'Tree', 'SignSymbol', 'Fence', 'Car', 'Pedestrian', 'Bicyclist'],
    palette: [
      [128, 128, 128], [128, 0, 0], [192, 192, 128], [128, 64, 128], [60, 40, 222], [128, 128, 0],
      [192, 128, 128], [64, 64, 128], [64, 0, 128], [64, 64, 0], [0, 128, 192],
    ],
  };

  /** The value of unlabelled pixels in the label files. */
  static readonly VOID_LABEL = 11;

  constructor(options: unknown) {
    super(options, camVidDatasetSchema.strict());
  }

  protected override buildLabelMap(newClasses: unknown): LabelMap {
    const subset = CamVidDataset.getLabelMap(newClasses);
    const map: LabelMap = {};
    for (let i = 0; i < CamVidDataset.VOID_LABEL; i++) map[i] = subset ? subset[i]! : i;
    map[CamVidDataset.VOID_LABEL] = 255;
    return map;
  }

  protected override checkPaths(): void {
    const imgDir = this.dataPrefix.img_path ?? '';
    if (!existsSync(imgDir)) throw new Error(`CamVidDataset: data_prefix.img_path '${imgDir}' does not exist (data_root '${this.dataRoot}')`);
  }
}
DATASETS.register(CamVidDataset);
