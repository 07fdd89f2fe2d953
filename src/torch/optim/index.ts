// torch.optim: every optimizer of PyTorch 1.13 (but LBFGS and SparseAdam), by PyTorch's class name.
import type { OptimizerConstructor } from './optimizer.js';
import { SGD } from './sgd.js';
import { Adam, AdamW, Adamax, NAdam, RAdam } from './adam.js';
import { Adagrad, Adadelta, RMSprop } from './adagrad.js';
import { ASGD, Rprop } from './asgd-rprop.js';

export {
  Optimizer, REQUIRED, resolveOptions, check, nextStep,
  type ParamGroup, type ParamGroupInput, type ParamsInput, type ParamState, type OptimizerStateDict, type OptimizerConstructor,
} from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, Adamax, NAdam, RAdam, type AdamOptions, type AdamWOptions, type AdamaxOptions, type NAdamOptions, type RAdamOptions } from './adam.js';
export { Adagrad, Adadelta, RMSprop, type AdagradOptions, type AdadeltaOptions, type RMSpropOptions } from './adagrad.js';
export { ASGD, Rprop, type ASGDOptions, type RpropOptions } from './asgd-rprop.js';

/** Optimizer classes by PyTorch's name, for configs (`optimizer: { type: 'AdamW', lr: 1e-4 }`). */
export const optimizers: Record<string, OptimizerConstructor> = {
  SGD, Adam, AdamW, Adamax, NAdam, RAdam, Adagrad, Adadelta, RMSprop, ASGD, Rprop,
};
