// Creating tensors: from JS data, constants, ranges and random draws.
import { native } from './native.js';
import { type DType, dtypeCode, dtypeOfArray, normalizeDType, type TypedArray } from './dtype.js';
import { Tensor, op } from './tensor.js';
import type { Generator } from './runtime.js';

export interface TensorOptions {
  dtype?: DType | string;
  device?: string;
  requiresGrad?: boolean;
}

type Nested = number | boolean | Nested[];

function shapeOf(data: Nested): number[] {
  const shape: number[] = [];
  let cur: Nested = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0] as Nested;
  }
  return shape;
}

function finish(t: Tensor, opts: TensorOptions): Tensor {
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

function typedFor(dtype: DType, values: number[]): ArrayBufferView {
  switch (dtype) {
    case 'float32': return Float32Array.from(values);
    case 'float64': return Float64Array.from(values);
    case 'int32': return Int32Array.from(values);
    case 'int16': return Int16Array.from(values);
    case 'int8': return Int8Array.from(values);
    case 'uint8': case 'bool': return Uint8Array.from(values);
    case 'int64': return BigInt64Array.from(values, (v) => BigInt(Math.trunc(v)));
    default: return Float32Array.from(values);
  }
}

/**
 * tensor([[1, 2], [3, 4]]), tensor(float32Array, { shape: [2, 2] }), tensor(3.5).
 * Nested numbers default to float32 (int64 when opts.dtype says so); typed arrays keep their type.
 */
export function tensor(data: Nested | TypedArray | ArrayBufferView, opts: TensorOptions & { shape?: number[] } = {}): Tensor {
  let view: ArrayBufferView;
  let shape: number[];
  let dtype: DType;
  if (ArrayBuffer.isView(data)) {
    const natural = dtypeOfArray(data);
    const length = (data as unknown as ArrayLike<unknown>).length;
    shape = opts.shape ?? [length];
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== length) throw new RangeError(`tensor: shape [${shape.join(', ')}] needs ${count} elements, data has ${length}`);
    dtype = natural;
    view = data;
  } else {
    shape = opts.shape ?? shapeOf(data);
    const flat = (Array.isArray(data) ? (data as unknown[]).flat(Infinity) : [data]) as (number | boolean)[];
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== flat.length) throw new RangeError(opts.shape ? `tensor: shape [${shape.join(', ')}] needs ${count} elements, data has ${flat.length}` : `tensor: nested data is ragged (expected shape [${shape.join(', ')}])`);
    const isBool = flat.length > 0 && typeof flat[0] === 'boolean';
    dtype = opts.dtype ? normalizeDType(opts.dtype) : isBool ? 'bool' : 'float32';
    const nums = flat.map(Number);
    view = typedFor(dtype === 'float16' || dtype === 'bfloat16' ? 'float32' : dtype, nums);
    if (dtype === 'float16' || dtype === 'bfloat16') dtype = 'float32';
  }
  let t = new Tensor(native.fromBuffer(view, shape, dtypeCode(dtype), opts.device));
  if (opts.dtype && normalizeDType(opts.dtype) !== dtype) {
    const cast = t.to(opts.dtype);
    t.dispose();
    t = cast;
  }
  return finish(t, opts);
}

const factoryArgs = (opts: TensorOptions): unknown[] => [
  dtypeCode(opts.dtype ?? 'float32'), null, opts.device ?? null, null,
];

export const zeros = (shape: number[], opts: TensorOptions = {}): Tensor => finish(op('zeros', shape, ...factoryArgs(opts)), opts);
export const ones = (shape: number[], opts: TensorOptions = {}): Tensor => finish(op('ones', shape, ...factoryArgs(opts)), opts);
export const empty = (shape: number[], opts: TensorOptions = {}): Tensor => finish(op('empty.memory_format', shape, ...factoryArgs(opts)), opts);
export const full = (shape: number[], value: number, opts: TensorOptions = {}): Tensor => finish(op('full', shape, value, ...factoryArgs(opts)), opts);
export const zerosLike = (t: Tensor, opts: TensorOptions = {}): Tensor =>
  finish(op('zeros_like', t, opts.dtype ? dtypeCode(opts.dtype) : null, null, opts.device ?? null), opts);
export const onesLike = (t: Tensor, opts: TensorOptions = {}): Tensor =>
  finish(op('ones_like', t, opts.dtype ? dtypeCode(opts.dtype) : null, null, opts.device ?? null), opts);
export const fullLike = (t: Tensor, value: number, opts: TensorOptions = {}): Tensor =>
  finish(op('full_like', t, value, opts.dtype ? dtypeCode(opts.dtype) : null, null, opts.device ?? null), opts);

/** arange(end) or arange(start, end, step); int64 when all arguments are integers, like PyTorch. */
export function arange(start: number, end?: number, step = 1, opts: TensorOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  const ints = [start, end, step].every(Number.isInteger);
  const dtype = opts.dtype ?? (ints ? 'int64' : 'float32');
  return finish(op('arange.start_step', start, end, step, dtypeCode(dtype), null, opts.device ?? null, null), opts);
}

export const linspace = (start: number, end: number, steps: number, opts: TensorOptions = {}): Tensor =>
  finish(op('linspace', start, end, steps, ...factoryArgs(opts)), opts);

export const eye = (n: number, opts: TensorOptions = {}): Tensor => finish(op('eye', n, ...factoryArgs(opts)), opts);

export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

/** Uniform on [0, 1). */
export const rand = (shape: number[], opts: RandomOptions = {}): Tensor =>
  finish(op('rand.generator', shape, opts.generator?.handle ?? null, ...factoryArgs(opts)), opts);
/** Standard normal. */
export const randn = (shape: number[], opts: RandomOptions = {}): Tensor =>
  finish(op('randn.generator', shape, opts.generator?.handle ?? null, ...factoryArgs(opts)), opts);
/** Integers in [low, high). */
export const randint = (low: number, high: number, shape: number[], opts: RandomOptions = {}): Tensor =>
  finish(op('randint.low_generator', low, high, shape, opts.generator?.handle ?? null, dtypeCode(opts.dtype ?? 'int64'), null, opts.device ?? null, null), opts);
/** A random permutation of 0..n-1. */
export const randperm = (n: number, opts: RandomOptions = {}): Tensor =>
  finish(op('randperm.generator', n, opts.generator?.handle ?? null, dtypeCode(opts.dtype ?? 'int64'), null, opts.device ?? null, null), opts);

export const cat = (tensors: Tensor[], dim = 0): Tensor => op('cat', tensors, dim);
export const stack = (tensors: Tensor[], dim = 0): Tensor => op('stack', tensors, dim);
/** torch.where(cond, a, b). */
export const where = (cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor => {
  if (a instanceof Tensor && b instanceof Tensor) return op('where.self', cond, a, b);
  if (a instanceof Tensor) return op('where.ScalarOther', cond, a, b);
  if (b instanceof Tensor) return op('where.ScalarSelf', cond, a, b);
  return op('where.Scalar', cond, a, b);
};
