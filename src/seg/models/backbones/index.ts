// Backbones (MMSeg's models/backbones): importing this registers them in MODELS.
export * from './resnet.js';
export { BasicBlock, Bottleneck, ResLayer, ResBlock } from './resnet-blocks.js';
export * from './unet.js';
export { BasicConvBlock, UpConvBlock, InterpConv, DeconvModule } from './unet-blocks.js';
export * from './mobilenet-v2.js';
export * from './convnext.js';
export { ConvNeXtBlock, LayerNorm2d, GRN } from './convnext-block.js';
export * from './vit.js';
export { TransformerEncoderLayer } from './vit-layer.js';
export { MultiheadAttention, FFN, buildDropout } from './transformer-bricks.js';
export * from './beit.js';
export { BEiTAttention, BEiTTransformerEncoderLayer, relativePositionIndex } from './beit-layers.js';
export * from './mae.js';
export * from './mit.js';
export { MixFFN, EfficientMultiheadAttention, MiTTransformerEncoderLayer } from './mit-layers.js';
export * from './hrnet.js';
export { HRModule } from './hrnet-module.js';
export * from './swin.js';
