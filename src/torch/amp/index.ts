// Mixed precision: autocast regions and loss scaling (torch.amp / torch.cuda.amp).
export {
  autocast, enterAutocast, exitAutocast, autocastState, autocastDepth,
  type AutocastOptions, type AutocastToken, type AutocastDeviceType, type AutocastDType,
} from './autocast.js';
export {
  GradScaler, type GradScalerOptions, type GradScalerState, type ScalableOptimizer, type Scalable,
} from './grad-scaler.js';
