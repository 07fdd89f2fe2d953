// Serialises values as Python's `json.dumps` does, so scalars.json lines match MMEngine's byte for byte.
//
// Python's defaults differ from JSON.stringify: ', ' and ': ' separators, floats in repr() form
// (1e-05, 1e+16), NaN/Infinity/-Infinity written as bare tokens (allow_nan=True) and every
// character outside ' '..'~' escaped as \uXXXX (ensure_ascii=True).

/** A value with `.item()` (a 0-d tensor); its number is written, as MMEngine does for torch.Tensor. */
export interface ItemLike {
  item(): number;
}

export const isItemLike = (v: unknown): v is ItemLike =>
  typeof v === 'object' && v !== null && typeof (v as { item?: unknown }).item === 'function';

/**
 * A number as Python writes it. JavaScript numbers carry no int/float distinction, so integral
 * values within the safe-integer range are written as Python ints ('3', not '3.0').
 */
export function pythonNumber(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  // -0 only arises from float arithmetic, so it is written as Python's float -0.0.
  if (Object.is(x, -0)) return '-0.0';
  if (Number.isSafeInteger(x)) return String(x);
  // Both JavaScript and Python produce the shortest digits that round-trip; only the layout differs.
  const [mantissa, exp] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const decpt = Number(exp) + 1; // value = 0.<digits> x 10^decpt
  const sign = x < 0 ? '-' : '';
  // Python's repr switches to exponent form outside -4 < decpt <= 16 (float_repr_style 'short').
  if (decpt <= -4 || decpt > 16) {
    const e = decpt - 1;
    const rest = digits.slice(1);
    return `${sign}${digits[0]}${rest ? '.' + rest : ''}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
  if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
  return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
}

function pythonString(s: string): string {
  // JSON.stringify escapes '"', '\\' and control characters the same way Python does; Python
  // additionally escapes DEL and everything non-ASCII (surrogate pairs as two escapes).
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `json.dumps(value)` with Python's default options. Throws for values json cannot write. */
export function pythonJsonDumps(value: unknown, where = 'value'): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return pythonNumber(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return pythonString(value);
  if (isItemLike(value)) return pythonNumber(value.item());
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const items = Array.from(value as ArrayLike<unknown>, (v, i) => pythonJsonDumps(v, `${where}[${i}]`));
    return `[${items.join(', ')}]`;
  }
  if (value instanceof Set) return pythonJsonDumps([...value], where);
  const proto = typeof value === 'object' ? Object.getPrototypeOf(value) : undefined;
  if (proto === Object.prototype || proto === null || value instanceof Map) {
    const entries = value instanceof Map ? [...value.entries()] : Object.entries(value as object);
    const parts = entries.map(([k, v]) => `${pythonString(String(k))}: ${pythonJsonDumps(v, `${where}.${String(k)}`)}`);
    return `{${parts.join(', ')}}`;
  }
  const kind = typeof value === 'function' ? 'a function' : typeof value === 'object' ? `a ${value.constructor?.name ?? 'object'}` : typeof value;
  throw new TypeError(`${where}: ${kind} cannot be written as JSON`);
}
