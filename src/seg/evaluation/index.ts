// Evaluation for segmentation (MMSeg's mmseg.evaluation): IoUMetric.
export * from './metrics/index.js';
export * from './fov-dice.js';
