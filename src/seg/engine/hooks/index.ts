// Segmentation hooks (MMSeg's mmseg.engine.hooks): importing registers them in HOOKS.
export { SegVisualizationHook, segVisualizationHookOptionsSchema, type SegVisualizationHookOptions } from './seg-visualization-hook.js';
