// The Python builtins MMSeg's configs call besides dict()/list()/tuple(): sum, range, len, int,
// enumerate, with Python's semantics. Errors are Python's messages; the caller adds file:line:column.
import { binaryOp } from './arithmetic.js';
import { PyDict, PyFloat, PyList, PyTuple, typeName, type PyValue } from './py-values.js';

export const CALLABLE_BUILTINS = ['dict', 'list', 'tuple', 'sum', 'range', 'len', 'int', 'enumerate'] as const;
export type BuiltinName = (typeof CALLABLE_BUILTINS)[number];

/** Longest range() a config may build: configs count blocks and scales, not millions. */
const MAX_RANGE = 1_000_000;

/** Keyword arguments accepted by each builtin (Python's names). */
const KEYWORDS: Partial<Record<BuiltinName, readonly string[]>> = { sum: ['start'], enumerate: ['start'] };

function arity(name: string, args: readonly PyValue[], min: number, max: number): void {
  if (args.length < min || args.length > max) {
    const want = min === max ? `exactly ${min}` : args.length < min ? `at least ${min}` : `at most ${max}`;
    throw new Error(`${name}() takes ${want} argument${(args.length < min ? min : max) === 1 ? '' : 's'} (${args.length} given)`);
  }
}

function asInt(name: string, v: PyValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new Error(`'${typeName(v)}' object cannot be interpreted as an integer (in ${name}())`);
}

/** Python's int(x) for a number, bool or decimal string. */
function toInt(v: PyValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof PyFloat) {
    if (!Number.isFinite(v.value)) throw new Error(`cannot convert float ${v.value > 0 ? 'infinity' : Number.isNaN(v.value) ? 'NaN' : '-infinity'} to integer`);
    return Math.trunc(v.value) + 0;
  }
  if (typeof v === 'string') {
    const t = v.trim();
    if (!/^[+-]?\d(?:_?\d)*$/.test(t)) throw new Error(`invalid literal for int() with base 10: '${v}'`);
    return Number(t.replace(/_/g, '')) + 0;
  }
  throw new Error(`int() argument must be a string or a real number, not '${typeName(v)}'`);
}

/**
 * Calls builtin `name` (other than dict, which the evaluator handles) on already evaluated
 * arguments; `iterate` is the evaluator's iteration (lists, tuples, strings, dict keys).
 */
export function callBuiltin(name: Exclude<BuiltinName, 'dict'>, args: readonly PyValue[], kwargs: ReadonlyMap<string, PyValue>,
  iterate: (v: PyValue) => PyValue[]): PyValue {
  for (const k of kwargs.keys()) {
    if (!KEYWORDS[name]?.includes(k)) throw new Error(`${name}() got an unexpected keyword argument '${k}'`);
  }
  switch (name) {
    case 'list':
    case 'tuple': {
      arity(name, args, 0, 1);
      const items = args.length ? iterate(args[0]!) : [];
      return name === 'list' ? new PyList(items) : new PyTuple(items);
    }
    case 'sum': {
      arity(name, args, 1, 2);
      let acc: PyValue = args[1] ?? kwargs.get('start') ?? 0;
      if (typeof acc === 'string') throw new Error("sum() can't sum strings [use ''.join(seq) instead]");
      for (const x of iterate(args[0]!)) acc = binaryOp('+', acc, x);
      return acc;
    }
    case 'range': {
      arity(name, args, 1, 3);
      const [start, stop, step] = args.length === 1 ? [0, asInt(name, args[0]!), 1] : [asInt(name, args[0]!), asInt(name, args[1]!), args[2] === undefined ? 1 : asInt(name, args[2])];
      if (step === 0) throw new Error('range() arg 3 must not be zero');
      const n = Math.max(0, Math.ceil((stop - start) / step));
      if (n > MAX_RANGE) throw new Error(`range() of ${n} numbers; configs count small things`);
      // A range becomes a list: config values have no range type.
      return new PyList(Array.from({ length: n }, (_, i) => start + i * step));
    }
    case 'len': {
      arity(name, args, 1, 1);
      const v = args[0]!;
      if (typeof v === 'string') return [...v].length;
      if (v instanceof PyList || v instanceof PyTuple) return v.items.length;
      if (v instanceof PyDict) return v.entries.size;
      throw new Error(`object of type '${typeName(v)}' has no len()`);
    }
    case 'int':
      arity(name, args, 0, 1);
      return args.length ? toInt(args[0]!) : 0;
    case 'enumerate': {
      arity(name, args, 1, 2);
      const start = asInt(name, args[1] ?? kwargs.get('start') ?? 0);
      return new PyList(iterate(args[0]!).map((x, i) => new PyTuple([start + i, x])));
    }
  }
}
