// torch.nn.functional for segkit: `import * as F from '../functional/index.js'`.
export * from './activation.js';
export * from './attention.js';
export * from './conv.js';
export * from './dropout.js';
export * from './fold.js';
export * from './interpolate.js';
export * from './linear.js';
export * from './loss.js';
export * from './normalization.js';
export * from './one-hot.js';
export * from './padding.js';
export * from './pooling.js';
export type { IntTuple, Reduction } from './args.js';
export { cat, stack } from '../creation.js';
