// Optimizer wrappers (MMEngine's mmengine.optim.optimizer wrappers): importing this registers them in OPTIM_WRAPPERS.
export { OptimWrapper, optimWrapperOptionsSchema, type OptimWrapperOptions, type OptimWrapperState, type OptimContextToken, type GradSyncControl, type StepKwargs, type ZeroKwargs } from './optim-wrapper.js';
export { AmpOptimWrapper, ampOptimWrapperOptionsSchema, type AmpOptimWrapperOptions } from './amp-optim-wrapper.js';
export { OptimWrapperDict } from './optim-wrapper-dict.js';
export { parseClipGrad, type ClipGradConfig } from './clip-grad.js';
export { defaultOptimLogger, type OptimLogger, type ScalarSink } from './optim-logger.js';
