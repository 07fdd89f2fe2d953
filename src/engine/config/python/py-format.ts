// Python's str() and repr() of config values, for f-string fields: `f'{x}'` formats x as str(x).
import { PyBaseRef, PyDict, PyFloat, PyList, PyTuple, typeName, type PyKey, type PyValue } from './py-values.js';

/** repr() of a float: the shortest digits that round-trip, scientific below 1e-4 or from 1e16. */
export function floatRepr(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  // JS's toExponential() gives the same shortest round-trip digits Python's repr uses.
  const [mantissa, expText] = Math.abs(v).toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const digits = mantissa.replace('.', '');
  const sign = v < 0 ? '-' : '';
  if (exp < -4 || exp >= 16) return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const int = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${sign}${int}.${frac || '0'}`;
}

function strRepr(s: string): string {
  // Python prefers single quotes and switches to double quotes when the text has a ' and no ".
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const c of s) {
    if (c === '\\') out += '\\\\';
    else if (c === quote) out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (c < ' ' || c === '\x7f') out += `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else out += c;
  }
  return quote + out + quote;
}

const keyRepr = (k: PyKey): string => (typeof k === 'string' ? strRepr(k) : pyRepr(k));

/** repr(v), as Python prints containers' items. */
export function pyRepr(v: PyValue): string {
  if (typeof v === 'string') return strRepr(v);
  if (v instanceof PyList) return `[${v.items.map(pyRepr).join(', ')}]`;
  if (v instanceof PyTuple) return v.items.length === 1 ? `(${pyRepr(v.items[0]!)},)` : `(${v.items.map(pyRepr).join(', ')})`;
  if (v instanceof PyDict) return `{${[...v.entries.values()].map(([k, x]) => `${keyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  return pyStr(v);
}

/** str(v); a value that only Python could print (an imported name, a builtin) is an error. */
export function pyStr(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v;
  if (v instanceof PyFloat) return floatRepr(v.value);
  if (v instanceof PyList || v instanceof PyTuple || v instanceof PyDict) return pyRepr(v);
  if (v instanceof PyBaseRef) throw new Error(`{{_base_.${v.path}}} is replaced only after the file is evaluated, so it cannot be formatted; write _base_.${v.path}`);
  throw new Error(`a '${typeName(v)}' cannot be formatted in a config read without Python`);
}
