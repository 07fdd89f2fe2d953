// Pixel samplers for decode heads (MMSeg's OHEMPixelSampler, registered in MODELS).
export * from './base-pixel-sampler.js';
export * from './ohem-pixel-sampler.js';
