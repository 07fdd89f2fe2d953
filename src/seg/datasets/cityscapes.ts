// CityscapesDataset: MMSeg's Cityscapes (19 train classes; `_leftImg8bit.png` images, `_gtFine_labelTrainIds.png` labels).
import { z } from 'zod';
import { DATASETS } from '../../engine/registry/index.js';
import { BaseSegDataset, baseSegDatasetSchema } from './base-seg-dataset.js';

export const cityscapesDatasetSchema = baseSegDatasetSchema.extend({
  img_suffix: z.string().default('_leftImg8bit.png'),
  seg_map_suffix: z.string().default('_gtFine_labelTrainIds.png'),
});

/** Labels are the trainId maps made by MMSeg's cityscapes converter. */
export class CityscapesDataset extends BaseSegDataset<z.output<typeof cityscapesDatasetSchema>> {
  static override METAINFO: Record<string, unknown> = {
    classes: [
      'road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light', 'traffic sign',
      'vegetation', 'terrain', 'sky', 'person', 'rider', 'car', 'truck', 'bus',
      'train', 'motorcycle', 'bicycle',
    ],
    palette: [
      [128, 64, 128], [244, 35, 232], [70, 70, 70], [102, 102, 156], [190, 153, 153], [153, 153, 153], [250, 170, 30], [220, 220, 0],
      [107, 142, 35], [152, 251, 152], [70, 130, 180], [220, 20, 60], [255, 0, 0], [0, 0, 142], [0, 0, 70], [0, 60, 100],
      [0, 80, 100], [0, 0, 230], [119, 11, 32],
    ],
  };

  constructor(options: unknown) {
    super(options, cityscapesDatasetSchema.strict());
  }
}
DATASETS.register(CityscapesDataset);
