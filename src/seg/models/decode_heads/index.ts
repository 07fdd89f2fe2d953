// Decode heads (MODELS): importing registers them.
export * from './decode-head.js';
export * from './fcn-head.js';
export * from './psp-head.js';
export * from './uper-head.js';
export * from './aspp-head.js';
export * from './sep-aspp-head.js';
export * from './segformer-head.js';
export * from './nl-head.js';
export * from './gc-head.js';
export * from './da-head.js';
export * from './fpn-head.js';
export * from './dnl-head.js';
export * from './cascade-decode-head.js';
export * from './ocr-head.js';
export * from './apc-head.js';
export * from './dm-head.js';
export * from './ann-head.js';
