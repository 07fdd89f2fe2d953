// The c10d part of the native addon, typed (native/src/distributed.cc, dist_reducer.cc, dist_autograd.cc).
import { native, type TensorHandle } from '../native.js';

/** An opaque c10d process group (store + Gloo/NCCL group). */
export type GroupHandle = { readonly __groupHandle: unique symbol };
/** An opaque launched collective. */
export type WorkHandle = { readonly __workHandle: unique symbol };
/** An opaque c10d::Reducer. */
export type ReducerHandle = { readonly __reducerHandle: unique symbol };

export interface GroupSpec {
  backend: string;
  host: string;
  port: number;
  rank: number;
  size: number;
  timeoutMs: number;
  glooHostname?: string;
  glooInterface?: string;
}

export interface DistNative {
  distHasNccl: boolean;
  distInitGroup(spec: GroupSpec): Promise<GroupHandle>;
  distDestroyGroup(g: GroupHandle): void;
  distAllReduce(g: GroupHandle, t: TensorHandle, op: number): WorkHandle;
  distBroadcast(g: GroupHandle, t: TensorHandle, src: number): WorkHandle;
  distAllGather(g: GroupHandle, outputs: TensorHandle[], input: TensorHandle): WorkHandle;
  distBarrier(g: GroupHandle): WorkHandle;
  distWorkWait(w: WorkHandle, timeoutMs?: number): void;
  distWorkWaitAsync(w: WorkHandle, timeoutMs?: number): Promise<void>;
  distWorkIsCompleted(w: WorkHandle): boolean;
  distAllReduceDifferentiable(g: GroupHandle, t: TensorHandle): TensorHandle;
  distNewReducer(g: GroupHandle, params: TensorHandle[], names: string[], bucketCapBytes: number, findUnused: boolean): ReducerHandle;
  distReducerPrepareForward(r: ReducerHandle): void;
  distReducerRebuildBuckets(r: ReducerHandle): boolean;
  distReducerPrepareForBackward(r: ReducerHandle, outputs: TensorHandle[]): void;
  distDisposeReducer(r: ReducerHandle): void;
  distBroadcastCoalesced(g: GroupHandle, tensors: TensorHandle[], bufferBytes: number, src: number): void;
}

export const dist = native as unknown as DistNative;
