// NumPy values inside checkpoints (MMEngine keeps numpy arrays and scalars in message_hub),
// rebuilt as inert typed data: arrays become NumpyArray, scalars plain numbers.
import { NumpyArray } from './py-types.js';
import { SafeCallable, type Buildable } from './unpickler.js';
import { swapBytes } from './storage-types.js';

/** numpy.dtype(kind, align, copy) + BUILD(state): kept as a string like '<f4'. */
export class NumpyDTypeBuilder implements Buildable {
  byteorder = '=';
  constructor(readonly kind: string) {}
  setState(state: unknown): void {
    if (Array.isArray(state) && typeof state[1] === 'string') this.byteorder = state[1];
  }
  get name(): string {
    const order = this.byteorder === '=' ? '<' : this.byteorder;
    return `${order}${this.kind}`;
  }
}

function itemSizeOf(kind: string): number {
  const m = /^[a-zA-Z](\d+)$/.exec(kind);
  if (kind === '?' || kind === 'b1') return 1;
  return m ? Number(m[1]) : 0;
}

/** Copies raw little-endian (or swapped big-endian) bytes into the typed array for a numpy kind. */
function typedData(where: string, dtype: NumpyDTypeBuilder, raw: Uint8Array): ArrayBufferView {
  const kind = dtype.kind;
  const size = itemSizeOf(kind);
  const copy = raw.slice();
  if (dtype.byteorder === '>') swapBytes(copy, size);
  const buf = copy.buffer;
  switch (kind) {
    case 'f4': return new Float32Array(buf);
    case 'f8': return new Float64Array(buf);
    case 'f2': case 'u2': return new Uint16Array(buf);
    case 'i1': return new Int8Array(buf);
    case 'i2': return new Int16Array(buf);
    case 'i4': return new Int32Array(buf);
    case 'i8': return new BigInt64Array(buf);
    case 'u1': case 'b1': case '?': return new Uint8Array(buf);
    case 'u4': return new Uint32Array(buf);
    case 'u8': return new BigUint64Array(buf);
    default: throw new Error(`${where}: numpy dtype '${kind}' is not supported`);
  }
}

/** numpy.core.multiarray._reconstruct(ndarray, (0,), b'b') + BUILD(version, shape, dtype, fortran, data). */
export class NumpyArrayBuilder implements Buildable {
  result: NumpyArray | unknown[] | null = null;
  constructor(readonly where: string) {}
  setState(state: unknown): void {
    if (!Array.isArray(state) || state.length < 5) throw new Error(`${this.where}: malformed numpy array state`);
    const [, shape, dtype, fortran, raw] = state as [unknown, number[], unknown, boolean, unknown];
    if (!(dtype instanceof NumpyDTypeBuilder)) throw new Error(`${this.where}: numpy array without a dtype`);
    if (Array.isArray(raw)) {
      // Object arrays hold their Python items directly.
      this.result = [...raw];
      return;
    }
    if (!(raw instanceof Uint8Array)) throw new Error(`${this.where}: numpy array data must be bytes`);
    const data = typedData(this.where, dtype, raw);
    this.result = new NumpyArray(dtype.name, [...shape].map(Number), data, fortran ? 'F' : 'C');
  }
}

/** Decodes an IEEE half-precision number. */
function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** numpy scalars (numpy.core.multiarray.scalar(dtype, bytes)) as JS numbers (bigint past 2^53). */
function numpyScalar(where: string, args: unknown[]): unknown {
  const [dtype, raw] = args;
  if (!(dtype instanceof NumpyDTypeBuilder) || !(raw instanceof Uint8Array)) throw new Error(`${where}: malformed numpy scalar`);
  const data = typedData(where, dtype, raw) as unknown as ArrayLike<number | bigint>;
  const v = data[0];
  if (dtype.kind === 'f2') return halfToNumber(v as number);
  if (dtype.kind === 'b1' || dtype.kind === '?') return v !== 0;
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  return v;
}

/** The numpy globals the reader rebuilds, under both numpy 1.x and 2.x module paths. */
export function numpyGlobals(where: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const ndarray = new SafeCallable('numpy.ndarray', () => {
    throw new Error(`${where}: numpy.ndarray can only be rebuilt through _reconstruct`);
  });
  for (const mod of ['numpy.core.multiarray', 'numpy._core.multiarray']) {
    out.set(`${mod}._reconstruct`, new SafeCallable(`${mod}._reconstruct`, () => new NumpyArrayBuilder(where)));
    out.set(`${mod}.scalar`, new SafeCallable(`${mod}.scalar`, (args) => numpyScalar(where, args)));
  }
  out.set('numpy.ndarray', ndarray);
  out.set('numpy.dtype', new SafeCallable('numpy.dtype', (args) => new NumpyDTypeBuilder(String(args[0]))));
  return out;
}

