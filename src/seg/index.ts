// segkit's segmentation toolbox (MMSegmentation's half): importing it registers its components.
export * from './engine/optimizers/index.js';
