// Data structures shared by the seg pipeline, models and metrics (MMSeg's mmseg/structures).
export * from './seg-data-sample.js';
