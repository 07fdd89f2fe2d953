// segkit's segmentation toolbox (MMSegmentation's half): importing it registers its components.
export * from './engine/optimizers/index.js';
export * from './evaluation/index.js';
export * from './visualization/index.js';
export * from './engine/hooks/index.js';
export * from './apis/index.js';
