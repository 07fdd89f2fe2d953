// torch.distributed for segkit: process groups over libtorch's c10d (Gloo on CPU, NCCL where
// libtorch has it), collectives, DistributedDataParallel and SyncBatchNorm.
export {
  initProcessGroup, isInitialized, getRank, getWorldSize, getLocalRank, getDefaultGroup, destroyProcessGroup,
  ProcessGroup, type Backend, type InitProcessGroupOptions,
} from './process-group.js';
export {
  allReduce, allReduceSync, broadcast, broadcastSync, allGather, allGatherSync, barrier, barrierSync,
  allGatherObject, broadcastObject, startAllReduce, startBroadcast, Work, type ReduceOp, type CollectiveOptions,
} from './collectives.js';
export { allReduceDifferentiable } from './functional.js';
export { DistributedDataParallel, type DistributedDataParallelOptions } from './distributed-data-parallel.js';
export { SyncBatchNorm } from './sync-batch-norm.js';
