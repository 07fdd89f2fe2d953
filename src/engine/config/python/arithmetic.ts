// Python's arithmetic on config values: int/float rules for + - * / // % **, sequence
// concatenation and repetition. Errors are Python's messages; the caller adds file:line:column.
import { PyBaseRef, PyFloat, PyList, PyTuple, typeName, type PyValue } from './py-values.js';

/** Longest list or string a repetition may build: configs repeat small things. */
const MAX_REPEAT = 1_000_000;

interface Num {
  value: number;
  isFloat: boolean;
}

function asNumber(v: PyValue): Num | undefined {
  if (typeof v === 'number') return { value: v, isFloat: false };
  if (typeof v === 'boolean') return { value: v ? 1 : 0, isFloat: false };
  if (v instanceof PyFloat) return { value: v.value, isFloat: true };
  return undefined;
}

// `+ 0` turns an int -0 into 0, as Python ints have no sign of zero.
const make = (value: number, isFloat: boolean): PyValue => (isFloat ? new PyFloat(value) : value + 0);

function sequenceItems(v: PyValue): string | PyValue[] | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof PyList || v instanceof PyTuple) return v.items;
  return undefined;
}

function repeat(seq: PyValue, times: number): PyValue {
  const n = Math.max(0, times);
  if (typeof seq === 'string') {
    if (seq.length * n > MAX_REPEAT) throw new Error(`repetition makes a string of ${seq.length * n} characters; configs repeat small things`);
    return seq.repeat(n);
  }
  const items = (seq as PyList | PyTuple).items;
  if (items.length * n > MAX_REPEAT) throw new Error(`repetition makes ${items.length * n} items; configs repeat small things`);
  const out: PyValue[] = [];
  for (let i = 0; i < n; i++) out.push(...items);
  return seq instanceof PyTuple ? new PyTuple(out) : new PyList(out);
}

/** Python's float modulo: the result takes the sign of the divisor. */
function pyMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && (r < 0) !== (b < 0) ? r + b : r;
}

function unsupported(op: string, a: PyValue, b: PyValue): Error {
  return new Error(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
}

export function binaryOp(op: string, a: PyValue, b: PyValue): PyValue {
  for (const v of [a, b]) {
    if (v instanceof PyBaseRef) {
      throw new Error(`{{_base_.${v.path}}} is replaced only after the file is evaluated, so it cannot be computed with; write _base_.${v.path} instead`);
    }
  }
  const x = asNumber(a);
  const y = asNumber(b);
  if (x && y) return numberOp(op, x, y);
  if (op === '+') {
    if (typeof a === 'string' && typeof b === 'string') return a + b;
    if (a instanceof PyList && b instanceof PyList) return new PyList([...a.items, ...b.items]);
    if (a instanceof PyTuple && b instanceof PyTuple) return new PyTuple([...a.items, ...b.items]);
  }
  if (op === '*') {
    if (sequenceItems(a) !== undefined && y && !y.isFloat) return repeat(a, y.value);
    if (sequenceItems(b) !== undefined && x && !x.isFloat) return repeat(b, x.value);
    if ((sequenceItems(a) !== undefined && y) || (sequenceItems(b) !== undefined && x)) {
      throw new Error(`can't multiply sequence by non-int of type 'float'`);
    }
  }
  if (op === '%' && typeof a === 'string') throw new Error("string formatting with % is not supported in a config read without Python; use + to join strings");
  throw unsupported(op, a, b);
}

function numberOp(op: string, x: Num, y: Num): PyValue {
  const isFloat = x.isFloat || y.isFloat;
  switch (op) {
    case '+': return make(x.value + y.value, isFloat);
    case '-': return make(x.value - y.value, isFloat);
    case '*': return make(x.value * y.value, isFloat);
    case '/':
      if (y.value === 0) throw new Error(isFloat ? 'float division by zero' : 'division by zero');
      return new PyFloat(x.value / y.value);
    case '//':
      if (y.value === 0) throw new Error(isFloat ? 'float floor division by zero' : 'integer division or modulo by zero');
      return make(Math.floor(x.value / y.value), isFloat);
    case '%':
      if (y.value === 0) throw new Error(isFloat ? 'float modulo' : 'integer division or modulo by zero');
      return make(pyMod(x.value, y.value), isFloat);
    case '**': {
      if (x.value === 0 && y.value < 0) throw new Error('0.0 cannot be raised to a negative power');
      if (x.value < 0 && !Number.isInteger(y.value)) throw new Error('a negative number to a fractional power is complex; configs hold real numbers');
      // int ** negative int is a float in Python.
      return make(x.value ** y.value, isFloat || y.value < 0);
    }
    default:
      throw new Error(`unsupported operator ${op}`);
  }
}

export function unaryOp(op: string, v: PyValue): PyValue {
  if (v instanceof PyBaseRef) {
    throw new Error(`{{_base_.${v.path}}} is replaced only after the file is evaluated, so it cannot be computed with; write _base_.${v.path} instead`);
  }
  const x = asNumber(v);
  if (!x) throw new Error(`bad operand type for unary ${op}: '${typeName(v)}'`);
  return make(op === '-' ? -x.value : x.value, x.isFloat);
}
