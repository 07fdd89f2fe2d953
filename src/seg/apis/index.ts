// The inference API (MMSeg's mmseg.apis): initModel, inferenceModel, showResult.
export {
  initModel, inferenceModel, inferencePipeline, showResult,
  type InferenceModel, type DatasetMeta, type ImageInput, type ImageArray, type SegResult, type ShowResultOptions,
} from './inference.js';
