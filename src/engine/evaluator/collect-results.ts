// MMEngine's collect_results and broadcast_object_list for evaluation: every rank's metric
// results travel as v8-serialized bytes (structured clone: typed arrays, NaN, Maps survive;
// tensors as their dtype, shape and data) through synchronous gloo collectives.
import { deserialize, serialize } from 'node:v8';
import * as torch from '../../torch/index.js';
import { isDistributed } from '../runner/dist-env.js';

const { distributed } = torch;
const TENSOR_TAG = '__segkit_tensor__';

interface TensorRecord {
  [TENSOR_TAG]: true;
  dtype: string;
  shape: number[];
  data: ArrayBufferView;
}

/** Replaces tensors (which hold native handles) by plain records, recursively. */
function encode(value: unknown, depth = 0): unknown {
  if (value instanceof torch.Tensor) {
    const cpu = value.device === 'cpu' ? value : value.cpu();
    const record: TensorRecord = { [TENSOR_TAG]: true, dtype: value.dtype, shape: value.shape, data: cpu.data() };
    if (cpu !== value) cpu.dispose();
    return record;
  }
  if (depth > 32 || value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) return value.map((v) => encode(v, depth + 1));
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, encode(v, depth + 1)]));
  if (Object.getPrototypeOf(value) === Object.prototype) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v, depth + 1)]));
  return value;
}

function decode(value: unknown, depth = 0): unknown {
  if (depth > 32 || value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) return value.map((v) => decode(v, depth + 1));
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, decode(v, depth + 1)]));
  const rec = value as Partial<TensorRecord>;
  if (rec[TENSOR_TAG] === true) return torch.tensor(rec.data!, { shape: rec.shape! });
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v, depth + 1)]));
}

/** Serializes `obj` for another rank; what cannot be structured-cloned (functions, class instances with handles) is named. */
function toBytes(obj: unknown, what: string): Uint8Array {
  try {
    const buf = serialize(encode(obj));
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (err) {
    throw new Error(`${what}: cannot send the value to the other ranks (${(err as Error).message}); metric results must be plain data, typed arrays or tensors`);
  }
}

const fromBytes = (bytes: Uint8Array): unknown => decode(deserialize(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)));

/**
 * Every rank's `obj`, indexed by rank (synchronous: blocks at most the group's timeout). With
 * `dst`, only that rank decodes what it received (the others get an empty list).
 */
export function allGatherObjectSync(obj: unknown, what = 'allGatherObject', dst?: number): unknown[] {
  if (!isDistributed()) return [obj];
  const bytes = toBytes(obj, what);
  const sizes = torch.tidy(() => distributed.allGatherSync(torch.tensor(Float64Array.of(bytes.length))).map((t) => t.item()));
  const max = Math.max(...sizes);
  const padded = new Uint8Array(max);
  padded.set(bytes);
  const input = torch.tensor(padded);
  let outs: torch.Tensor[] = [];
  try {
    outs = distributed.allGatherSync(input);
    if (dst !== undefined && dst !== distributed.getRank()) return [];
    return outs.map((t, r) => fromBytes((t.data() as Uint8Array).slice(0, sizes[r]!)));
  } finally {
    input.dispose();
    torch.dispose(outs);
  }
}

/** Rank `src`'s `obj` on every rank (MMEngine's broadcast_object_list of one object). */
export function broadcastObjectSync<T>(obj: T, src = 0, what = 'broadcastObject'): T {
  if (!isDistributed()) return obj;
  const mine = distributed.getRank() === src;
  const bytes = mine ? toBytes(obj, what) : new Uint8Array(0);
  const size = torch.tidy(() => distributed.broadcastSync(torch.tensor(Float64Array.of(bytes.length)), src).item());
  const t = mine ? torch.tensor(bytes) : torch.zeros([size], { dtype: 'uint8' });
  try {
    distributed.broadcastSync(t, src);
    return mine ? obj : (fromBytes(t.data() as Uint8Array) as T);
  } finally {
    t.dispose();
  }
}

/**
 * MMEngine's collect_results: the results of every rank in dataset order, cut to `size`. The
 * samplers hand rank r the indices r, r + world, r + 2 world, ... (padded at the end by repeats),
 * so taking one result of each rank in turn restores the order, and `size` drops the padding.
 * One process: the results cut to `size`. Ranks other than 0 get null (they compute no metrics).
 */
export function collectResults(results: unknown[], size: number): unknown[] | null {
  if (!isDistributed()) return results.slice(0, size);
  const parts = allGatherObjectSync(results, 'collectResults', 0) as unknown[][];
  if (distributed.getRank() !== 0) return null;
  const ordered: unknown[] = [];
  // Up to the longest part: with round_up false the first ranks hold one result more (MMEngine's zip would drop it).
  const rounds = Math.max(...parts.map((p) => p.length));
  for (let i = 0; i < rounds; i++) for (const part of parts) if (i < part.length) ordered.push(part[i]);
  return ordered.slice(0, size);
}
