// MMSeg's optimizer wrapper constructors: importing this registers them in OPTIM_WRAPPER_CONSTRUCTORS.
export {
  LearningRateDecayOptimizerConstructor, layerDecayParamwiseSchema, type LayerDecayParamwiseCfg, type LayerDecayParamGroup,
} from './learning-rate-decay-optimizer-constructor.js';
export { LayerDecayOptimizerConstructor, legacyLayerDecayParamwiseSchema } from './layer-decay-optimizer-constructor.js';
export { ForceDefaultOptimWrapperConstructor, forceDefaultParamwiseSchema } from './force-default-optim-wrapper-constructor.js';
export { getLayerIdForConvNeXt, getStageIdForConvNeXt, getLayerIdForViT } from './layer-id.js';
