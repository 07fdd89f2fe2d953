// Necks (MMSeg's models/necks): importing this registers them in MODELS.
export * from './fpn.js';
export * from './multilevel-neck.js';
export * from './feature2pyramid.js';
