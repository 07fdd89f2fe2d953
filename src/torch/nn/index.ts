// torch.nn for segkit: `import * as nn from './nn/index.js'` gives nn.Module, nn.Conv2d, nn.init.kaimingNormal_, ...
export { Module, type LoadStateDictResult, type StateDictInput } from './module.js';
export { parameter, isParameter, type Parameter } from './parameter.js';
export * as init from './init.js';
export * as utils from './utils/index.js';
export { Conv2d, ConvTranspose2d, type Conv2dOptions, type ConvTranspose2dOptions, type PaddingMode, type FactoryOptions } from './conv.js';
export { Linear, Identity, type LinearOptions } from './linear.js';
export { NormBase, BatchNormBase, BatchNorm1d, BatchNorm2d, SyncBatchNorm, type BatchNormOptions, type SyncBatchNormOptions } from './batchnorm.js';
export { LayerNorm, GroupNorm } from './normalization.js';
export { InstanceNorm2d } from './instancenorm.js';
export { Dropout, Dropout2d, DropPath } from './dropout.js';
export {
  ReLU, ReLU6, SiLU, Mish, Hardswish, Hardsigmoid, LeakyReLU, ELU, GELU, Sigmoid, Tanh, Softmax, LogSoftmax, PReLU,
  Flatten, Unflatten, type InplaceOptions,
} from './activation.js';
export { Sequential, ModuleList, ModuleDict } from './container.js';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, type MaxPool2dOptions, type AvgPool2dOptions } from './pooling.js';
export { Upsample, UpsamplingBilinear2d, UpsamplingNearest2d, type UpsampleOptions } from './upsample.js';
export { MultiheadAttention, type MultiheadAttentionOptions, type MultiheadAttentionCall } from './attention.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
