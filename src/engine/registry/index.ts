// The registries of segkit, named as MMEngine's (MODELS, HOOKS, ...). Each class registers
// itself in its own file: `HOOKS.register(CheckpointHook)`.
import { Registry } from './registry.js';

export { Registry, type BuildOptions, type Constructor } from './registry.js';

export const MODELS = new Registry('MODELS');
/** MMEngine's MODEL_WRAPPERS (`model_wrapper_cfg.type`). */
export const MODEL_WRAPPERS = new Registry('MODEL_WRAPPERS');
export const DATASETS = new Registry('DATASETS');
export const TRANSFORMS = new Registry('TRANSFORMS');
export const HOOKS = new Registry('HOOKS');
export const OPTIMIZERS = new Registry('OPTIMIZERS');
export const OPTIM_WRAPPERS = new Registry('OPTIM_WRAPPERS');
export const OPTIM_WRAPPER_CONSTRUCTORS = new Registry('OPTIM_WRAPPER_CONSTRUCTORS');
export const PARAM_SCHEDULERS = new Registry('PARAM_SCHEDULERS');
export const LOOPS = new Registry('LOOPS');
export const METRICS = new Registry('METRICS');
export const EVALUATOR = new Registry('EVALUATOR');
export const VISUALIZERS = new Registry('VISUALIZERS');
export const VIS_BACKENDS = new Registry('VIS_BACKENDS');
export const LOG_PROCESSORS = new Registry('LOG_PROCESSORS');
export const DATA_SAMPLERS = new Registry('DATA_SAMPLERS');
export const COLLATE_FUNCTIONS = new Registry('COLLATE_FUNCTIONS');
