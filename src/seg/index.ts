// segkit's segmentation toolbox (MMSegmentation's half): importing it registers its components.
export * from './engine/optimizers/index.js';
export * from './models/backbones/index.js';
export * from './models/segmentors/index.js';
export * from './structures/index.js';
export * from './models/samplers/index.js';
export * from './models/losses/index.js';
export * from './models/data-preprocessor.js';
export * from './models/necks/index.js';
export * from './models/decode_heads/index.js';
export * from './evaluation/index.js';
export * from './visualization/index.js';
export * from './engine/hooks/index.js';
export * from './apis/index.js';
export * from './datasets/index.js';
