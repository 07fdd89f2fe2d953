// MMEngine's dataset wrappers (RepeatDataset, ConcatDataset), registered in DATASETS here and in DataLoader workers.
import { addWorkerModule } from '../worker-modules.js';

export { ConcatDataset, concatDatasetSchema, type ConcatDatasetOptions } from './concat-dataset.js';
export { RepeatDataset, repeatDatasetSchema, type RepeatDatasetOptions } from './repeat-dataset.js';
export type { WrapperSharedState } from './inner-dataset.js';

/** This module's URL: DataLoader workers import it so configs can name the wrappers. */
export const DATASET_WRAPPERS_MODULE = import.meta.url;
addWorkerModule(DATASET_WRAPPERS_MODULE);
