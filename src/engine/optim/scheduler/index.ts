// MMEngine's parameter schedulers (lr and momentum), registered in PARAM_SCHEDULERS by their MMEngine names.
export { INF, ParamScheduler, schedulerOptions, unitFactor, type OptimizerLike, type SchedulerClass, type CommonOptions, type SchedulerStateDict } from './param-scheduler.js';
export { ConstantParamScheduler, ConstantLR, ConstantMomentum, ConstantOptions } from './constant.js';
export { LinearParamScheduler, LinearLR, LinearMomentum, LinearOptions } from './linear.js';
export { PolyParamScheduler, PolyLR, PolyMomentum, PolyOptions } from './poly.js';
export { ExponentialParamScheduler, ExponentialLR, ExponentialMomentum, ExponentialOptions } from './exponential.js';
export { StepParamScheduler, StepLR, StepMomentum, StepOptions } from './step.js';
export { MultiStepParamScheduler, MultiStepLR, MultiStepMomentum, MultiStepOptions } from './multi-step.js';
export { CosineAnnealingParamScheduler, CosineAnnealingLR, CosineAnnealingMomentum, CosineAnnealingOptions } from './cosine-annealing.js';
export { CosineRestartParamScheduler, CosineRestartLR, CosineRestartMomentum, CosineRestartOptions } from './cosine-restart.js';
export { OneCycleParamScheduler, OneCycleLR, OneCycleOptions, type OneCyclePhase } from './one-cycle.js';
export { ReduceOnPlateauParamScheduler, ReduceOnPlateauLR, ReduceOnPlateauMomentum, ReduceOnPlateauOptions, type Metrics } from './reduce-on-plateau.js';
export { buildParamSchedulers, type BuildSchedulersOptions } from './build-schedulers.js';
export { stepIterSchedulers, stepEpochSchedulers, stepValSchedulers, type ParamSchedulers } from './step-schedulers.js';
export { simulateSchedule, type SimulateOptions } from './simulate.js';
