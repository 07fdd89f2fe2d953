// Optimizers and optimizer wrapper constructors: importing this registers torch's optimizers in OPTIMIZERS,
// DefaultOptimWrapperConstructor in OPTIM_WRAPPER_CONSTRUCTORS and the wrappers in OPTIM_WRAPPERS.
import '../optim-wrapper/index.js';

export { buildOptimizer } from './optimizers.js';
export {
  DefaultOptimWrapperConstructor, paramwiseCfgSchema,
  type ParamwiseCfg, type OptimWrapperConstructor, type OptimWrapperConstructorOptions, type OptimWrapperConstructorContext,
} from './default-optim-wrapper-constructor.js';
export { buildOptimWrapper, type BuildOptimWrapperOptions, type AnyOptimWrapper } from './build-optim-wrapper.js';
export { isNormLayer, isDepthwiseConv, isDeformConv } from './layer-kinds.js';
