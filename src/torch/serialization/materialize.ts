// Turns an unpickled tree into segkit values: tensor specs become Tensors (views of one
// flat tensor per storage, so shared storages stay shared), plain dicts with string keys
// become objects, and the weights subtree is checked to hold tensors and containers only.
import { Tensor, op } from '../tensor.js';
import { native } from '../native.js';
import { dtypeCode } from '../dtype.js';
import { OrderedDict, PickleRecord, PyGlobalRef } from './py-types.js';
import { NumpyArrayBuilder, NumpyDTypeBuilder } from './numpy-globals.js';
import { StorageRef, StorageType, TensorSpec, UnsafePickleError } from './safe-globals.js';
import { ITEM_SIZE } from './storage-types.js';

export interface MaterializeOptions {
  where: string;
  device?: string;
  /** The raw little-endian bytes of storage `key`. */
  storageBytes(key: string): Uint8Array;
}

const WEIGHT_KEYS = new Set(['state_dict']);

export function materialize(tree: unknown, opts: MaterializeOptions): unknown {
  const bases = new Map<string, Tensor>();
  const done = new Map<unknown, unknown>();
  const base = (ref: StorageRef): Tensor => {
    let t = bases.get(ref.key);
    if (!t) {
      const bytes = opts.storageBytes(ref.key);
      const item = ITEM_SIZE[ref.dtype];
      if (bytes.byteLength % item) throw new Error(`${opts.where}: storage ${ref.key} has ${bytes.byteLength} bytes, not a multiple of ${ref.dtype}'s ${item}`);
      t = new Tensor(native.fromBuffer(bytes, [bytes.byteLength / item], dtypeCode(ref.dtype), opts.device));
      bases.set(ref.key, t);
    }
    return t;
  };
  const tensorOf = (spec: TensorSpec, path: string): Tensor => {
    const b = base(spec.storage);
    const offset = spec.storage.viewOffset + spec.offset;
    const extent = spec.size.some((s) => s === 0) ? 0 : 1 + spec.size.reduce((a, s, i) => a + (s - 1) * spec.stride[i]!, 0);
    if (offset + extent > b.numel) throw new Error(`${opts.where}: ${path || 'tensor'} reaches element ${offset + extent} of a storage with ${b.numel}`);
    const t = op('as_strided', b, spec.size, spec.stride, offset);
    if (spec.requiresGrad && (spec.storage.dtype.startsWith('float') || spec.storage.dtype === 'bfloat16')) t.requiresGrad_(true);
    return t;
  };
  const refuseInWeights = (path: string, what: string): never => {
    throw new UnsafePickleError(`${opts.where}: ${path}: a state_dict may hold only tensors and containers, found ${what}`);
  };
  const visit = (v: unknown, path: string, inWeights: boolean): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (done.has(v)) return done.get(v);
    if (v instanceof TensorSpec) {
      const t = tensorOf(v, path);
      done.set(v, t);
      return t;
    }
    if (v instanceof StorageRef) {
      const t = op('as_strided', base(v), [base(v).numel - v.viewOffset], [1], v.viewOffset);
      done.set(v, t);
      return t;
    }
    if (inWeights && (v instanceof PickleRecord || v instanceof PyGlobalRef || v instanceof NumpyArrayBuilder || v instanceof StorageType)) {
      refuseInWeights(path, v instanceof PickleRecord ? `an object of class ${v.__class__}` : v instanceof PyGlobalRef ? `a reference to ${v.name}` : 'a non-tensor object');
    }
    if (v instanceof NumpyArrayBuilder) {
      const r = v.result;
      const out = Array.isArray(r) ? r.map((x, i) => visit(x, `${path}[${i}]`, inWeights)) : r;
      done.set(v, out);
      return out;
    }
    if (v instanceof NumpyDTypeBuilder) return v.name;
    if (v instanceof StorageType) return v.pyName;
    if (v instanceof OrderedDict) {
      done.set(v, v);
      for (const [k, x] of v) v.set(k, visit(x, path ? `${path}.${String(k)}` : String(k), inWeights));
      for (const [k, x] of Object.entries(v.attributes)) v.attributes[k] = visit(x, `${path}(${k})`, false);
      return v;
    }
    if (v instanceof Map) {
      const stringKeys = [...v.keys()].every((k) => typeof k === 'string');
      const out: Record<string, unknown> | Map<unknown, unknown> = stringKeys ? {} : new Map();
      done.set(v, out);
      for (const [k, x] of v) {
        const child = path ? `${path}.${String(k)}` : String(k);
        const value = visit(x, child, inWeights || (path === '' && typeof k === 'string' && WEIGHT_KEYS.has(k)));
        // defineProperty: a key named __proto__ stays an ordinary key.
        if (out instanceof Map) out.set(k, value);
        else Object.defineProperty(out, k as string, { value, enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    if (Array.isArray(v)) {
      done.set(v, v);
      for (let i = 0; i < v.length; i++) v[i] = visit(v[i], `${path}[${i}]`, inWeights);
      return v;
    }
    if (v instanceof Set) {
      done.set(v, v);
      return v;
    }
    if (v instanceof PickleRecord) {
      done.set(v, v);
      for (let i = 0; i < v.args.length; i++) v.args[i] = visit(v.args[i], `${path}(args)`, false);
      v.state = visit(v.state, `${path}(state)`, false);
      const extra = v as PickleRecord & { items?: Map<unknown, unknown>; listItems?: unknown[] };
      if (extra.items) extra.items = visit(extra.items, `${path}(items)`, false) as Map<unknown, unknown>;
      return v;
    }
    return v;
  };
  try {
    return visit(tree, '', false);
  } finally {
    for (const b of bases.values()) b.dispose();
  }
}

