// Tensor element types: names as in PyTorch, codes as c10::ScalarType.
export type DType = 'uint8' | 'int8' | 'int16' | 'int32' | 'int64' | 'float16' | 'float32' | 'float64' | 'bool' | 'bfloat16';

const CODES: Record<DType, number> = {
  uint8: 0, int8: 1, int16: 2, int32: 3, int64: 4, float16: 5, float32: 6, float64: 7, bool: 11, bfloat16: 15,
};
const NAMES = new Map<number, DType>(Object.entries(CODES).map(([k, v]) => [v, k as DType]));

/** PyTorch spellings accepted as well (`float`, `long`, `half`, `torch.float32`). */
const ALIASES: Record<string, DType> = {
  float: 'float32', double: 'float64', half: 'float16', long: 'int64', int: 'int32', short: 'int16',
  byte: 'uint8', char: 'int8', bf16: 'bfloat16', fp16: 'float16', fp32: 'float32',
};

export function dtypeCode(dtype: DType | string): number {
  const name = normalizeDType(dtype);
  return CODES[name];
}

export function normalizeDType(dtype: DType | string): DType {
  const bare = dtype.startsWith('torch.') ? dtype.slice(6) : dtype;
  if (bare in CODES) return bare as DType;
  if (bare in ALIASES) return ALIASES[bare]!;
  throw new TypeError(`unknown dtype '${dtype}': expected one of ${Object.keys(CODES).join(', ')}`);
}

export function dtypeName(code: number): DType {
  const name = NAMES.get(code);
  if (!name) throw new TypeError(`unsupported dtype code ${code}`);
  return name;
}

export const isFloatingDType = (d: DType): boolean => d === 'float16' || d === 'float32' || d === 'float64' || d === 'bfloat16';

export type TypedArray =
  | Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | BigInt64Array | Uint16Array;

/** The typed array that holds a dtype's raw bytes (float16/bfloat16 as raw Uint16). */
export function rawArray(dtype: DType, buffer: ArrayBuffer): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(buffer);
    case 'float64': return new Float64Array(buffer);
    case 'int32': return new Int32Array(buffer);
    case 'int16': return new Int16Array(buffer);
    case 'int8': return new Int8Array(buffer);
    case 'uint8': case 'bool': return new Uint8Array(buffer);
    case 'int64': return new BigInt64Array(buffer);
    case 'float16': case 'bfloat16': return new Uint16Array(buffer);
  }
}

/** The dtype a typed array naturally holds. */
export function dtypeOfArray(data: ArrayBufferView): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return 'uint8';
  if (data instanceof BigInt64Array) return 'int64';
  throw new TypeError(`unsupported typed array ${data.constructor.name}`);
}
