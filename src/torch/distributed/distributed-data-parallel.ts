// DistributedDataParallel: wraps a Module so every backward averages gradients across ranks,
// through libtorch's c10d::Reducer (bucketed all-reduce overlapped with backward).
import { Tensor } from '../tensor.js';
import { isGradEnabled } from '../autograd.js';
import { Module } from '../nn/module.js';
import { dist, type ReducerHandle } from './native-dist.js';
import { getDefaultGroup, type ProcessGroup } from './process-group.js';

export interface DistributedDataParallelOptions {
  /** Gradient bucket size in MiB (PyTorch's default 25; the first bucket is 1 MiB). */
  bucket_cap_mb?: number;
  /** Search the graph after forward for parameters that will get no gradient this step. */
  find_unused_parameters?: boolean;
  /** Copy rank 0's buffers (BatchNorm running statistics) into every rank before each forward. */
  broadcast_buffers?: boolean;
  /** Defaults to the group from initProcessGroup. */
  process_group?: ProcessGroup;
}

// PyTorch's bucket for broadcasting module state (_DEFAULT_BROADCAST bucket, 250 MiB).
const BROADCAST_BUCKET_BYTES = 250 * 1024 * 1024;

/** Every tensor inside a forward result (tensor, arrays, plain objects, Maps), for the unused-parameter search. */
function tensorsIn(value: unknown, out: Tensor[] = [], depth = 0): Tensor[] {
  if (value instanceof Tensor) out.push(value);
  else if (depth > 8 || value === null || typeof value !== 'object') return out;
  else if (Array.isArray(value)) for (const v of value) tensorsIn(v, out, depth + 1);
  else if (value instanceof Map) for (const v of value.values()) tensorsIn(v, out, depth + 1);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) tensorsIn(v, out, depth + 1);
  return out;
}

/**
 * torch.nn.parallel.DistributedDataParallel. The wrapped module is the child `module`, so
 * namedParameters()/stateDict() carry PyTorch's `module.` prefix; checkpoints and optimizer
 * construction should use `.module` (as MMEngine unwraps model wrappers), which keeps them unprefixed.
 */
export class DistributedDataParallel<M extends Module = Module> extends Module {
  readonly module: M;
  readonly processGroup: ProcessGroup;
  readonly bucketCapMb: number;
  readonly findUnusedParameters: boolean;
  readonly broadcastBuffers: boolean;
  /** False inside noSync: backward then only accumulates local gradients. */
  requireBackwardGradSync = true;
  #requireForwardParamSync = true;
  #reducer: ReducerHandle | null;
  #noSyncDepth = 0;
  #bucketsRebuilt = false;

  constructor(module: M, opts: DistributedDataParallelOptions = {}) {
    super();
    if (!(module instanceof Module)) throw new TypeError('DistributedDataParallel: module: expected an nn.Module');
    this.processGroup = opts.process_group ?? getDefaultGroup('DistributedDataParallel');
    this.bucketCapMb = opts.bucket_cap_mb ?? 25;
    if (!(this.bucketCapMb > 0)) throw new RangeError(`DistributedDataParallel: bucket_cap_mb must be positive, got ${this.bucketCapMb}`);
    this.findUnusedParameters = opts.find_unused_parameters ?? false;
    this.broadcastBuffers = opts.broadcast_buffers ?? true;
    this.module = this.registerModule('module', module);
    this.training = module.training;
    const named = module.namedParameters().filter(([, p]) => p.requiresGrad);
    if (named.length === 0) throw new Error('DistributedDataParallel: the module has no parameter that requires grad');
    // Every rank starts from rank 0's weights and buffers (PyTorch's _sync_module_states).
    const state = [...module.parameters(), ...module.buffers()];
    dist.distBroadcastCoalesced(this.processGroup.handle, state.map((t) => t.handle), BROADCAST_BUCKET_BYTES, 0);
    this.#reducer = dist.distNewReducer(this.processGroup.handle, named.map(([, p]) => p.handle), named.map(([n]) => n),
      Math.round(this.bucketCapMb * 1024 * 1024), this.findUnusedParameters);
  }

  /** Whether the buckets were regrouped by observed gradient order (after the first synced step). */
  get bucketsRebuilt(): boolean {
    return this.#bucketsRebuilt;
  }

  get #handle(): ReducerHandle {
    if (this.#reducer === null) throw new Error('DistributedDataParallel: disposed');
    return this.#reducer;
  }

  /** Calls the wrapped module's forward between the gradient-sync bookkeeping. */
  forward(...args: unknown[]): any {
    return this.wrapForward(() => this.module.forward(...args));
  }

  /**
   * Runs any forward computation of the wrapped module (e.g. a train step's loss) as DDP's forward:
   * syncs buffers first, then arms the reducer for the backward of what `fn` returns.
   */
  wrapForward<T>(fn: () => T): T {
    const grad = isGradEnabled();
    if (grad && this.requireBackwardGradSync) dist.distReducerPrepareForward(this.#handle);
    // As PyTorch, every forward: fails if the last backward left reductions unfinished (a parameter got
    // no grad without find_unused_parameters), and once regroups buckets by observed gradient order.
    if (grad && dist.distReducerRebuildBuckets(this.#handle)) this.#bucketsRebuilt = true;
    if (this.broadcastBuffers && this.#requireForwardParamSync) this.syncBuffers();
    const out = fn();
    if (out instanceof Promise) throw new Error('DistributedDataParallel.wrapForward: the forward must be synchronous');
    if (grad && this.requireBackwardGradSync) {
      this.#requireForwardParamSync = true;
      dist.distReducerPrepareForBackward(this.#handle, this.findUnusedParameters ? tensorsIn(out).map((t) => t.handle) : []);
    } else {
      this.#requireForwardParamSync = false;
    }
    return out;
  }

  /** Copies rank 0's buffers into every rank (done before each synced forward when broadcast_buffers). */
  syncBuffers(): void {
    const buffers = this.module.buffers();
    if (buffers.length && this.processGroup.worldSize > 1) {
      dist.distBroadcastCoalesced(this.processGroup.handle, buffers.map((b) => b.handle), BROADCAST_BUCKET_BYTES, 0);
    }
  }

  /** Backward passes inside only accumulate local gradients; the next synced backward reduces the sum. */
  enterNoSync(): void {
    this.#noSyncDepth++;
    this.requireBackwardGradSync = false;
  }

  exitNoSync(): void {
    if (this.#noSyncDepth === 0) throw new Error('DistributedDataParallel.exitNoSync: not inside noSync');
    if (--this.#noSyncDepth === 0) this.requireBackwardGradSync = true;
  }

  /** DDP's no_sync() context: runs `fn` (sync or async) with gradient synchronisation off. */
  noSync<T>(fn: () => T): T {
    this.enterNoSync();
    let result: T;
    try {
      result = fn();
    } catch (err) {
      this.exitNoSync();
      throw err;
    }
    if (result instanceof Promise) return result.finally(() => this.exitNoSync()) as T;
    this.exitNoSync();
    return result;
  }

  /** Releases the reducer (its autograd hooks) and the wrapped module's tensors. */
  override dispose(): void {
    this.releaseReducer();
    super.dispose();
  }

  /** Detaches DDP from the module's parameters (the module stays usable on its own). */
  releaseReducer(): void {
    if (this.#reducer !== null) dist.distDisposeReducer(this.#reducer);
    this.#reducer = null;
  }

  override extraRepr(): string {
    return `bucket_cap_mb=${this.bucketCapMb}, find_unused_parameters=${this.findUnusedParameters ? 'True' : 'False'}`;
  }
}
