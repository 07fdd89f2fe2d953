// segkit's tensor library over libtorch: the public surface of src/torch.
import { ensureDefaultThreads } from './runtime.js';

export { Tensor, callOp, op, opInplace, type Scalar, type TensorOrScalar } from './tensor.js';
export type { IndexEntry } from './tensor-shape.js';
export type { ReduceOptions } from './tensor-reduce.js';
export { type DType, normalizeDType, isFloatingDType } from './dtype.js';
export { tidy, tidyAsync, keep, unkeep, dispose, scopeDepth } from './memory.js';
export * from './creation.js';
export * from './autograd.js';
export * from './runtime.js';
export * from './step-loop.js';
export { native } from './native.js';


export * as nn from './nn/index.js';
export * as F from './functional/index.js';
export * as optim from './optim/index.js';
export * as amp from './amp/index.js';
export * as serialization from './serialization/index.js';
export * as distributed from './distributed/index.js';
ensureDefaultThreads();
