// The values a Python config computes with (Python's int/float, list/tuple, dict) and their
// conversion to and from config values (JS numbers, arrays, plain objects).
import { isPlainObject } from '../values.js';
import type { BuiltinName } from './builtins.js';

export class PyFloat {
  constructor(readonly value: number) {}
}
export class PyList {
  constructor(readonly items: PyValue[]) {}
}
export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}
/** A dict; `attrAccess` marks MMEngine ConfigDicts (values read from `_base_`), which allow `d.key`. */
export class PyDict {
  /** Encoded key -> [key, value], in insertion order. */
  readonly entries = new Map<string, [PyKey, PyValue]>();
  constructor(readonly attrAccess = false) {}

  static keyOf(k: PyKey): string {
    return typeof k === 'string' ? `s${k}` : `n${Number(k)}`;
  }
  get(k: PyKey): PyValue | undefined {
    return this.entries.get(PyDict.keyOf(k))?.[1];
  }
  has(k: PyKey): boolean {
    return this.entries.has(PyDict.keyOf(k));
  }
  set(k: PyKey, v: PyValue): void {
    const code = PyDict.keyOf(k);
    // Python keeps the first key object (and its position) when a key is set again.
    const old = this.entries.get(code);
    this.entries.set(code, [old ? old[0] : k, v]);
  }
}
/** `{{_base_.a.b}}` outside a string: replaced by the base value after the file is read. */
export class PyBaseRef {
  constructor(readonly path: string) {}
}
/** One of the builtins a config may call (builtins.ts). */
export class PyBuiltin {
  constructor(readonly name: BuiltinName) {}
}
/** A name bound by an import line; its value is unknown without Python. */
export class PyImported {
  constructor(readonly statement: string, readonly pos: number) {}
}

export type PyKey = string | number | boolean;
export type PyValue = null | boolean | number | string | PyFloat | PyList | PyTuple | PyDict | PyBaseRef | PyBuiltin | PyImported;

/** Python's name for the type of `v`, as its error messages use. */
export function typeName(v: PyValue): string {
  if (v === null) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof PyFloat) return 'float';
  if (v instanceof PyList) return 'list';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyDict) return v.attrAccess ? 'ConfigDict' : 'dict';
  if (v instanceof PyBaseRef) return `{{_base_.${v.path}}}`;
  if (v instanceof PyBuiltin) return 'type';
  return 'imported name';
}

/** A config value read from the bases, as the config sees it through `_base_` (dicts are ConfigDicts). */
export function fromConfigValue(v: unknown): PyValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? v : new PyFloat(v);
  if (Array.isArray(v)) return new PyList(v.map(fromConfigValue));
  if (isPlainObject(v)) {
    const d = new PyDict(true);
    for (const [k, x] of Object.entries(v)) d.set(k, fromConfigValue(x));
    return d;
  }
  // A class or function set by a TypeScript base: keep its name, as printing does.
  return typeof v === 'function' ? (v as { name: string }).name : String(v);
}

/**
 * The config value of `v` (tuples become lists, floats numbers, dict keys strings). Throws a
 * message (the caller adds where) for values that cannot be config values.
 */
export function toConfigValue(v: PyValue): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  if (v instanceof PyFloat) return v.value;
  if (v instanceof PyList || v instanceof PyTuple) return v.items.map(toConfigValue);
  if (v instanceof PyDict) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v.entries.values()) {
      out[typeof k === 'string' ? k : typeof k === 'boolean' ? (k ? 'True' : 'False') : String(k)] = toConfigValue(x);
    }
    return out;
  }
  if (v instanceof PyBaseRef) return `{{_base_.${v.path}}}`;
  if (v instanceof PyBuiltin) throw new Error(`the builtin '${v.name}' cannot be a config value`);
  throw new Error('a name from an import cannot be a config value');
}
