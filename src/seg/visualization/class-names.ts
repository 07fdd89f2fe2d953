// Class names and palettes by dataset name (MMSeg's get_classes/get_palette), for the visualizer's defaults.
import { DATASETS } from '../../engine/registry/index.js';

export type Palette = [number, number, number][];
export interface ClassesAndPalette {
  classes: string[];
  palette: Palette;
}

/** Cityscapes' 19 train classes and colours: MMSeg's default when a visualizer is given none. */
const CITYSCAPES: ClassesAndPalette = {
  classes: ['road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light', 'traffic sign', 'vegetation',
    'terrain', 'sky', 'person', 'rider', 'car', 'truck', 'bus', 'train', 'motorcycle', 'bicycle'],
  palette: [[128, 64, 128], [244, 35, 232], [70, 70, 70], [102, 102, 156], [190, 153, 153], [153, 153, 153],
    [250, 170, 30], [220, 220, 0], [107, 142, 35], [152, 251, 152], [70, 130, 180], [220, 20, 60], [255, 0, 0],
    [0, 0, 142], [0, 0, 70], [0, 60, 100], [0, 80, 100], [0, 0, 230], [119, 11, 32]],
};

/** MMSeg's dataset_aliases: names a user may give, and the dataset class whose METAINFO holds them. */
const ALIASES: Record<string, string> = {
  cityscapes: 'CityscapesDataset',
  ade: 'ADE20KDataset', ade20k: 'ADE20KDataset',
  voc: 'PascalVOCDataset', pascal_voc: 'PascalVOCDataset', voc12: 'PascalVOCDataset', voc12aug: 'PascalVOCDataset',
  pcontext: 'PascalContextDataset', pascal_context: 'PascalContextDataset', voc2010: 'PascalContextDataset',
  loveda: 'LoveDADataset', potsdam: 'PotsdamDataset', vaihingen: 'ISPRSDataset', isaid: 'iSAIDDataset',
  stare: 'STAREDataset', chase_db1: 'ChaseDB1Dataset', drive: 'DRIVEDataset', hrf: 'HRFDataset',
  camvid: 'CamVidDataset', cocostuff: 'COCOStuffDataset', coco_stuff: 'COCOStuffDataset',
};

/** Classes and palette of a dataset by alias (or class name); the registered dataset's METAINFO answers. */
export function datasetClassesAndPalette(datasetName: string): ClassesAndPalette {
  const key = datasetName.toLowerCase();
  const clsName = ALIASES[key] ?? datasetName;
  const cls = DATASETS.get(clsName) as { METAINFO?: { classes?: unknown; palette?: unknown } } | undefined;
  const meta = cls?.METAINFO;
  if (Array.isArray(meta?.classes) && Array.isArray(meta?.palette)) {
    return { classes: meta.classes.map(String), palette: meta.palette as Palette };
  }
  if (key === 'cityscapes') return { classes: [...CITYSCAPES.classes], palette: CITYSCAPES.palette.map((c) => [...c] as [number, number, number]) };
  throw new Error(`dataset_name '${datasetName}': no registered dataset ${clsName} with METAINFO classes and palette (known aliases: ${Object.keys(ALIASES).join(', ')})`);
}
