// Segmentors (MODELS): importing registers EncoderDecoder, CascadeEncoderDecoder and SegTTAModel (and MMEngine's BaseTTAModel).
export * from './base-segmentor.js';
export * from './encoder-decoder.js';
export * from './seg-tta-model.js';
export * from './cascade-encoder-decoder.js';
