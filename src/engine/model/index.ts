// The engine's models: BaseModel and its data preprocessors, averaged (EMA) models and the test-time-augmentation wrapper.
export { BaseModel, BaseDataPreprocessor as AbstractDataPreprocessor, type DataBatch, type PreprocessedBatch, type ForwardMode, type Losses, type StepOptimWrapper } from './base-model.js';
export { BaseDataPreprocessor, castData, ndarrayToTensor } from './data-preprocessor.js';
export * from './averaged-model.js';
export * from './base-tta-model.js';
