// Segmentors (MODELS): importing registers EncoderDecoder.
export * from './base-segmentor.js';
export * from './encoder-decoder.js';
