// DRIVEDataset: MMSeg's DRIVE retinal vessels (background, vessel); MMSeg's layout names labels `NN_manual1.png`.
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { DATASETS } from '../../engine/registry/index.js';
import { BaseSegDataset, baseSegDatasetSchema } from './base-seg-dataset.js';

export const driveDatasetSchema = baseSegDatasetSchema.extend({
  img_suffix: z.string().default('.png'),
  seg_map_suffix: z.string().default('_manual1.png'),
  reduce_zero_label: z.boolean().default(false),
});

/**
 * Label 0 is background, a real class (reduce_zero_label false). ../shared/data/drive names both
 * images and labels `NN.png` under {train,test}/{images,labels}: configs set seg_map_suffix '.png'.
 */
export class DRIVEDataset extends BaseSegDataset<z.output<typeof driveDatasetSchema>> {
  static override METAINFO: Record<string, unknown> = {
    classes: ['background', 'vessel'],
    palette: [[120, 120, 120], [6, 230, 230]],
  };

  constructor(options: unknown) {
    super(options, driveDatasetSchema.strict());
  }

  protected override checkPaths(): void {
    const imgDir = this.dataPrefix.img_path ?? '';
    if (!existsSync(imgDir)) throw new Error(`DRIVEDataset: data_prefix.img_path '${imgDir}' does not exist (data_root '${this.dataRoot}')`);
  }
}
DATASETS.register(DRIVEDataset);
