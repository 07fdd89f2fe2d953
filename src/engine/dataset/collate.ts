// Collate functions (MMEngine's pseudo_collate and default_collate) over plain samples with typed arrays.
import { ConfigError, type KeyPath } from '../config/errors.js';
import { COLLATE_FUNCTIONS, type Constructor } from '../registry/index.js';
import { isPlainObject } from './build-dataset.js';

export type TypedArray =
  | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** An n-dimensional array as plain data (C order), the sample-side stand-in for a tensor. */
export interface NdArray<A extends TypedArray = TypedArray> {
  data: A;
  shape: number[];
}

/** A collate function; `options` are the extra keys of its config (MMEngine's partial(fn, **cfg)). */
export type CollateFn = (batch: unknown[], options?: Record<string, unknown>) => unknown;

export function isTypedArray(v: unknown): v is TypedArray {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

/** `{ data: TypedArray, shape }` whose shape matches the data's length. */
export function isNdArray(v: unknown): v is NdArray {
  if (!isPlainObject(v) || !isTypedArray(v.data) || !Array.isArray(v.shape)) return false;
  const shape = v.shape as unknown[];
  if (!shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) return false;
  return (shape as number[]).reduce((a, b) => a * b, 1) === v.data.length;
}

/**
 * Lists per key: a batch of `{ inputs, data_samples }` becomes `{ inputs: [...], data_samples: [...] }`.
 * Objects recurse per key, lists recurse per position (same length required); anything else
 * (typed arrays, NdArrays, strings, numbers) is returned as the list of the batch's values.
 */
/**
 * A data element (MMEngine's BaseDataElement, e.g. a SegDataSample): a plain object with
 * `metainfo`. Collation keeps such objects whole, as MMEngine does.
 */
export function isDataElement(v: unknown): boolean {
  return isPlainObject(v) && isPlainObject(v.metainfo);
}

export function pseudoCollate(batch: unknown[]): unknown {
  const first = batch[0];
  if (Array.isArray(first)) return collateLists(batch, pseudoCollate);
  if (isPlainObject(first) && !isNdArray(first) && !isDataElement(first)) return collateObjects(batch, pseudoCollate);
  return batch;
}

/**
 * Stacks: same-shaped NdArrays (or typed arrays, taken as 1-D) become one NdArray with a leading
 * batch dimension; numbers become a 1-D NdArray (Int32Array when all are 32-bit integers, as
 * PyTorch turns ints into an integer tensor, otherwise Float64Array); booleans a Uint8Array.
 * Strings and null stay lists; objects and lists recurse as in pseudoCollate.
 */
export function defaultCollate(batch: unknown[]): unknown {
  const first = batch[0];
  if (isNdArray(first) || isTypedArray(first)) return stackArrays(batch);
  if (typeof first === 'number') return stackNumbers(batch);
  if (typeof first === 'boolean') return { data: Uint8Array.from(batch as boolean[], (b) => (b ? 1 : 0)), shape: [batch.length] };
  if (Array.isArray(first)) return collateLists(batch, defaultCollate);
  if (isPlainObject(first) && !isDataElement(first)) return collateObjects(batch, defaultCollate);
  return batch;
}

function collateLists(batch: unknown[], collate: (b: unknown[]) => unknown): unknown[] {
  const size = (batch[0] as unknown[]).length;
  batch.forEach((item, i) => {
    if (!Array.isArray(item) || item.length !== size) {
      throw new Error(`collate: every sample's list must have length ${size} (sample 0's), but sample ${i} has ${Array.isArray(item) ? item.length : 'no list'}`);
    }
  });
  return Array.from({ length: size }, (_, k) => collate(batch.map((item) => (item as unknown[])[k])));
}

function collateObjects(batch: unknown[], collate: (b: unknown[]) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(batch[0] as object)) {
    try {
      out[key] = collate(batch.map((item) => (item as Record<string, unknown>)[key]));
    } catch (err) {
      throw new Error(`collate: key '${key}': ${(err as Error).message.replace(/^collate: /, '')}`, { cause: err });
    }
  }
  return out;
}

function stackArrays(batch: unknown[]): NdArray {
  const arrays = batch.map((v, i): NdArray => {
    if (isTypedArray(v)) return { data: v, shape: [v.length] };
    if (isNdArray(v)) return v;
    throw new Error(`collate: sample ${i} is not an array like sample 0`);
  });
  const { data: firstData, shape } = arrays[0]!;
  const Ctor = firstData.constructor as { new (n: number): TypedArray; name: string };
  arrays.forEach((a, i) => {
    if (a.data.constructor !== Ctor) throw new Error(`collate: sample ${i} is a ${a.data.constructor.name}, not a ${Ctor.name} like sample 0`);
    if (a.shape.length !== shape.length || a.shape.some((d, k) => d !== shape[k])) {
      throw new Error(`collate: cannot stack shape [${a.shape}] of sample ${i} with shape [${shape}] of sample 0`);
    }
  });
  const n = firstData.length;
  const out = new Ctor(n * arrays.length);
  arrays.forEach((a, i) => (out as Uint8Array).set(a.data as Uint8Array, i * n));
  return { data: out, shape: [arrays.length, ...shape] };
}

function stackNumbers(batch: unknown[]): NdArray {
  batch.forEach((v, i) => {
    if (typeof v !== 'number') throw new Error(`collate: sample ${i} is ${typeof v}, not a number like sample 0`);
  });
  const nums = batch as number[];
  const ints = nums.every((v) => Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31);
  return { data: ints ? Int32Array.from(nums) : Float64Array.from(nums), shape: [nums.length] };
}

// Functions live in COLLATE_FUNCTIONS beside classes (MMEngine's FUNCTIONS registry); they are
// looked up and called, never constructed.
COLLATE_FUNCTIONS.register(pseudoCollate as unknown as Constructor, 'pseudo_collate');
COLLATE_FUNCTIONS.register(defaultCollate as unknown as Constructor, 'default_collate');

/** Looks up a registered function by name, naming the key path when it is missing. */
export function resolveFunction<F>(name: string, keyPath: KeyPath): F {
  const fn = COLLATE_FUNCTIONS.resolve(name, keyPath) as unknown;
  if (typeof fn !== 'function') throw new ConfigError([...keyPath, 'type'], `'${name}' in COLLATE_FUNCTIONS is not a function`);
  return fn as F;
}

/** The name a function is registered under in COLLATE_FUNCTIONS, if it is. */
export function registeredFunctionName(fn: unknown): string | undefined {
  return COLLATE_FUNCTIONS.names.find((n) => (COLLATE_FUNCTIONS.get(n) as unknown) === fn);
}
