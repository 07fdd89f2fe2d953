// Segmentation datasets and their transforms (MMSeg's mmseg.datasets); importing this registers them
// in DATASETS and TRANSFORMS, and DataLoader workers import it too.
import { addWorkerModule } from '../../engine/dataset/index.js';

export * from './transforms/index.js';
export { BaseSegDataset, baseSegDatasetSchema, listFiles, type BaseSegDatasetOptions, type LabelMap } from './base-seg-dataset.js';
export { ADE20KDataset, aDE20KDatasetSchema } from './ade.js';
export { CityscapesDataset, cityscapesDatasetSchema } from './cityscapes.js';
export { PascalVOCDataset, pascalVOCDatasetSchema } from './voc.js';
export { DRIVEDataset, driveDatasetSchema } from './drive.js';
export { CamVidDataset, camVidDatasetSchema } from './camvid.js';
export { randomPalette } from './random-palette.js';

/** This module's URL: pass it in a DataLoader's workerModules so workers register these classes. */
export const SEG_DATASETS_MODULE = import.meta.url;
addWorkerModule(SEG_DATASETS_MODULE);
export { SyntheticShapesDataset, syntheticShapesDatasetSchema, renderScene, SHAPES, type SyntheticShapesDatasetOptions } from './synthetic-shapes.js';
