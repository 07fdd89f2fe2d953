// Datasets, transforms pipeline, samplers, collate functions and the DataLoader (MMEngine's mmengine.dataset).
export { BaseDataset, baseDatasetSchema, type BaseDatasetOptions, type DataInfo, type DatasetSharedState } from './base-dataset.js';
export { BatchSampler, batchSamplerSchema, type BatchSamplerOptions } from './batch-sampler.js';
export { buildDataLoader, type BuildDataLoaderOptions } from './build-data-loader.js';
export { ConcatDataset, concatDatasetSchema, DATASET_WRAPPERS_MODULE, RepeatDataset, repeatDatasetSchema, type ConcatDatasetOptions, type RepeatDatasetOptions, type WrapperSharedState } from './dataset-wrappers/index.js';
export { buildDataset, datasetConfigOf, isDataset, rememberDatasetConfig, type Dataset, type DatasetConfig } from './build-dataset.js';
export {
  defaultCollate, isNdArray, isTypedArray, pseudoCollate, registeredFunctionName, resolveFunction,
  type CollateFn, type NdArray, type TypedArray,
} from './collate.js';
export { BaseTransform, Compose, TransformError, type Results, type TransformFn, type TransformLike, type TransformResult } from './compose.js';
export { DataLoader, dataLoaderSchema, type DataLoaderContext, type DataLoaderOptions } from './data-loader.js';
export { DefaultSampler, defaultSamplerSchema, type DefaultSamplerOptions } from './default-sampler.js';
export { InfiniteSampler, infiniteSamplerSchema, type InfiniteSamplerOptions } from './infinite-sampler.js';
export { SeededRandom, dataRandom, randomSeed, seedDataRandom } from './random.js';
export { isSampler, type BatchSamplerLike, type DistInfo, type Sampler, type SamplerState, type Sized } from './sampler.js';
export { SerializedDataList } from './serialized-data-list.js';
export { SlicedDataset } from './sliced-dataset.js';
export { collectTransferables } from './transferables.js';
export { DataLoaderError } from './worker-protocol.js';
export { DataLoaderStartError } from './worker-pool.js';
export { addWorkerModule, workerModules } from './worker-modules.js';
