// Collectives on a process group (torch.distributed.all_reduce, broadcast, all_gather, barrier and
// the *_object forms): in place, awaitable (waiting off the event loop) or synchronous.
import { Tensor } from '../tensor.js';
import { tensor as makeTensor, zeros } from '../creation.js';
import { noGrad } from '../autograd.js';
import { dist, type WorkHandle } from './native-dist.js';
import { getDefaultGroup, type ProcessGroup } from './process-group.js';

export type ReduceOp = 'sum' | 'avg' | 'product' | 'min' | 'max';
const REDUCE_CODES: Record<ReduceOp, number> = { sum: 0, avg: 1, product: 2, min: 3, max: 4 };

export interface CollectiveOptions {
  /** Defaults to the group from initProcessGroup. */
  group?: ProcessGroup;
}

/** A launched collective (PyTorch's async_op=True work). Wait once, either way. */
export class Work {
  constructor(readonly handle: WorkHandle, readonly timeoutMs: number) {}
  /** Blocks this thread until done; throws the collective's error (naming op and rank). */
  waitSync(): void {
    dist.distWorkWait(this.handle, this.timeoutMs);
  }
  /** Resolves when done, waiting on a pool thread so timers and I/O keep running. */
  wait(): Promise<void> {
    return dist.distWorkWaitAsync(this.handle, this.timeoutMs);
  }
  get isCompleted(): boolean {
    return dist.distWorkIsCompleted(this.handle);
  }
}

function reduceCode(op: ReduceOp): number {
  const code = REDUCE_CODES[op];
  if (code === undefined) throw new Error(`allReduce: op: expected 'sum' | 'avg' | 'product' | 'min' | 'max', got '${String(op)}'`);
  return code;
}

function checkDense(t: Tensor, what: string): void {
  if (!(t instanceof Tensor)) throw new TypeError(`${what}: expected a Tensor`);
}

const groupOf = (opts: CollectiveOptions | undefined, what: string): ProcessGroup => opts?.group ?? getDefaultGroup(what);

/** Starts an in-place all-reduce of `t` ('avg' divides the sum by the world size). */
export function startAllReduce(t: Tensor, op: ReduceOp = 'sum', opts?: CollectiveOptions): Work {
  checkDense(t, 'allReduce');
  const g = groupOf(opts, 'allReduce');
  return new Work(dist.distAllReduce(g.handle, t.handle, reduceCode(op)), g.timeoutMs);
}

/** torch.distributed.all_reduce: `t` holds the reduction over all ranks when the promise resolves. */
export async function allReduce(t: Tensor, op: ReduceOp = 'sum', opts?: CollectiveOptions): Promise<Tensor> {
  await startAllReduce(t, op, opts).wait();
  return t;
}

export function allReduceSync(t: Tensor, op: ReduceOp = 'sum', opts?: CollectiveOptions): Tensor {
  startAllReduce(t, op, opts).waitSync();
  return t;
}

function checkSrc(src: number, g: ProcessGroup, what: string): void {
  if (!Number.isInteger(src) || src < 0 || src >= g.worldSize) throw new RangeError(`${what}: src must be a rank in 0..${g.worldSize - 1}, got ${src}`);
}

/** Starts an in-place broadcast of rank `src`'s `t` into every rank's `t`. */
export function startBroadcast(t: Tensor, src: number, opts?: CollectiveOptions): Work {
  checkDense(t, 'broadcast');
  const g = groupOf(opts, 'broadcast');
  checkSrc(src, g, 'broadcast');
  return new Work(dist.distBroadcast(g.handle, t.handle, src), g.timeoutMs);
}

export async function broadcast(t: Tensor, src: number, opts?: CollectiveOptions): Promise<Tensor> {
  await startBroadcast(t, src, opts).wait();
  return t;
}

export function broadcastSync(t: Tensor, src: number, opts?: CollectiveOptions): Tensor {
  startBroadcast(t, src, opts).waitSync();
  return t;
}

function startAllGather(t: Tensor, opts?: CollectiveOptions): [Work, Tensor[]] {
  checkDense(t, 'allGather');
  const g = groupOf(opts, 'allGather');
  const outs = Array.from({ length: g.worldSize }, () => noGrad(() => t.detach().clone()));
  try {
    return [new Work(dist.distAllGather(g.handle, outs.map((o) => o.handle), t.handle), g.timeoutMs), outs];
  } catch (err) {
    for (const o of outs) o.dispose();
    throw err;
  }
}

/** torch.distributed.all_gather: one tensor per rank (same shape and dtype on every rank), index = rank. */
export async function allGather(t: Tensor, opts?: CollectiveOptions): Promise<Tensor[]> {
  const [work, outs] = startAllGather(t, opts);
  try {
    await work.wait();
  } catch (err) {
    for (const o of outs) o.dispose();
    throw err;
  }
  return outs;
}

export function allGatherSync(t: Tensor, opts?: CollectiveOptions): Tensor[] {
  const [work, outs] = startAllGather(t, opts);
  try {
    work.waitSync();
  } catch (err) {
    for (const o of outs) o.dispose();
    throw err;
  }
  return outs;
}

/** torch.distributed.barrier: resolves when every rank has reached it. */
export async function barrier(opts?: CollectiveOptions): Promise<void> {
  const g = groupOf(opts, 'barrier');
  await new Work(dist.distBarrier(g.handle), g.timeoutMs).wait();
}

export function barrierSync(opts?: CollectiveOptions): void {
  const g = groupOf(opts, 'barrier');
  new Work(dist.distBarrier(g.handle), g.timeoutMs).waitSync();
}

function encode(obj: unknown, what: string): Uint8Array {
  const json = JSON.stringify(obj);
  if (json === undefined) throw new TypeError(`${what}: the object must be JSON-serialisable, got ${typeof obj}`);
  return new TextEncoder().encode(json);
}

const decode = (t: Tensor, length: number): unknown =>
  JSON.parse(new TextDecoder().decode((t.data() as Uint8Array).subarray(0, length)));

/** torch.distributed.all_gather_object over JSON: every rank's value, index = rank. */
export async function allGatherObject(obj: unknown, opts?: CollectiveOptions): Promise<unknown[]> {
  const bytes = encode(obj, 'allGatherObject');
  const len = makeTensor([bytes.length], { dtype: 'int64' });
  const lens = await allGather(len, opts);
  const sizes = lens.map((l) => l.item());
  len.dispose();
  for (const l of lens) l.dispose();
  const padded = new Uint8Array(Math.max(1, ...sizes));
  padded.set(bytes);
  const buf = makeTensor(padded, { dtype: 'uint8' });
  const parts = await allGather(buf, opts);
  buf.dispose();
  const out = parts.map((p, r) => decode(p, sizes[r]!));
  for (const p of parts) p.dispose();
  return out;
}

/** torch.distributed.broadcast_object_list for one JSON value: every rank gets rank `src`'s `obj`. */
export async function broadcastObject<T>(obj: T, src = 0, opts?: CollectiveOptions): Promise<T> {
  const g = groupOf(opts, 'broadcastObject');
  checkSrc(src, g, 'broadcastObject');
  const bytes = g.rank === src ? encode(obj, 'broadcastObject') : new Uint8Array(0);
  const len = makeTensor([bytes.length], { dtype: 'int64' });
  await broadcast(len, src, opts);
  const n = len.item();
  len.dispose();
  const buf = g.rank === src ? makeTensor(bytes.length ? bytes : new Uint8Array(1), { dtype: 'uint8' }) : zeros([Math.max(1, n)], { dtype: 'uint8' });
  await broadcast(buf, src, opts);
  const out = decode(buf, n) as T;
  buf.dispose();
  return out;
}
