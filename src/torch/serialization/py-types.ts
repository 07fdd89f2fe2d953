// JavaScript stand-ins for the Python values a pickle can hold that JS has no exact type for.

/** A Python tuple: an Array (so it reads like one) that the pickler writes back as a tuple. */
export class PyTuple<T = unknown> extends Array<T> {
  static override of<T>(...items: T[]): PyTuple<T> {
    const t = new PyTuple<T>();
    t.push(...items);
    return t;
  }
  // Array methods such as map/slice build plain lists, not tuples.
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }
}

/** A tuple of `items` (written as a Python tuple by the pickler). */
export const tuple = <T>(...items: T[]): PyTuple<T> => PyTuple.of(...items);

/**
 * Python's collections.OrderedDict (PyTorch's state_dict type). `attributes` holds instance
 * attributes such as the `_metadata` PyTorch attaches to a state_dict.
 */
export class OrderedDict<K = string, V = unknown> extends Map<K, V> {
  attributes: Record<string, unknown> = {};
}

/**
 * An instance of a Python class the reader does not know, kept as inert data: the class
 * name, the arguments it was built with and the state it was given. Nothing is ever called.
 */
export class PickleRecord {
  constructor(
    readonly __class__: string,
    readonly args: unknown[] = [],
    public state: unknown = null,
  ) {}
}

/** A reference to a Python global (class or function) seen in a pickle but never resolved. */
export class PyGlobalRef {
  constructor(readonly name: string) {}
}

/** A NumPy array as inert typed data (numpy dtype string such as '<f4', shape, raw elements). */
export class NumpyArray {
  constructor(
    readonly dtype: string,
    readonly shape: number[],
    readonly data: ArrayBufferView,
    /** 'F' when the elements are stored in Fortran (column-major) order. */
    readonly order: 'C' | 'F' = 'C',
  ) {}
}
