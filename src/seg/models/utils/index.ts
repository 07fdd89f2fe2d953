// Shared model building blocks (MMCV bricks and MMSeg's models/utils): importing registers ConvModule and DepthwiseSeparableConvModule.
export * from './norm.js';
export * from './activation.js';
export * from './conv.js';
export * from './conv-module.js';
export * from './depthwise-separable-conv-module.js';
export * from './resize.js';
export * from './make-divisible.js';
export * from './inverted-residual.js';
export * from './shape-convert.js';
export * from './embed.js';
export * from './non-local.js';
export * from './context-block.js';
export * from './scale.js';
export * from './upsample.js';
export * from './disentangled-non-local.js';
export * from './self-attention-block.js';
export * from './criss-cross-attention.js';
