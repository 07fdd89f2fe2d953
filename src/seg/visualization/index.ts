// Visualization for segmentation (MMSeg's mmseg.visualization): SegLocalVisualizer and its drawing helpers.
export {
  SegLocalVisualizer, segLocalVisualizerOptionsSchema, concatWidth, writeImage,
  type SegLocalVisualizerOptions, type SegAddDatasampleOptions, type SegSampleToDraw,
} from './seg-local-visualizer.js';
export { drawSemSeg, centerLoc } from './draw-sem-seg.js';
export { toSemSegMap, type SemSegMap } from './label-map.js';
export { datasetClassesAndPalette, type ClassesAndPalette, type Palette } from './class-names.js';
export { readRgbImage, chwBgrToRgbImage } from './read-image.js';
