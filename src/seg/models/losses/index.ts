// Decode-head losses (MODELS: CrossEntropyLoss, DiceLoss, FocalLoss, LovaszLoss) and the accuracy metric the heads log.
export * from './utils.js';
export * from './accuracy.js';
export * from './cross-entropy-loss.js';
export * from './dice-loss.js';
export * from './focal-loss.js';
export * from './lovasz-loss.js';
