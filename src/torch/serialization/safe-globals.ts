// Which Python globals a checkpoint may name: an allowlist rebuilt in JS (tensors, storages,
// OrderedDict, numpy data), a denylist refused on sight (code execution, files, attribute
// access), and everything else an inert PyGlobalRef that is never called.
import type { DType } from '../dtype.js';
import { OrderedDict, PickleRecord, PyGlobalRef, PyTuple } from './py-types.js';
import { SafeCallable } from './unpickler.js';
import { numpyGlobals } from './numpy-globals.js';
import { STORAGE_DTYPES } from './storage-types.js';

/** A storage class named in a persistent id (torch.FloatStorage ...). */
export class StorageType {
  constructor(readonly pyName: string, readonly dtype: DType) {}
}

/** A reference to raw storage bytes in the file, resolved after unpickling. */
export class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: DType,
    /** Legacy files: this storage is a view starting `viewOffset` elements into `key`. */
    readonly viewOffset = 0,
  ) {}
}

/** What torch._utils._rebuild_tensor_v2 would build, materialised once storages are read. */
export class TensorSpec {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
    readonly requiresGrad: boolean,
  ) {}
}

/** Raised for a global the reader refuses to resolve. */
export class UnsafePickleError extends Error {}

/** Modules whose globals could run code, touch files or reach other objects: always refused. */
const DENIED_MODULES = [
  'os', 'posix', 'nt', 'posixpath', 'ntpath', 'subprocess', 'sys', 'shutil', 'socket', 'importlib', 'runpy',
  'ctypes', 'pty', 'code', 'codeop', 'pickle', '_pickle', 'marshal', 'shelve', 'io', '_io', 'tempfile',
  'webbrowser', 'multiprocessing', 'threading', '_thread', 'asyncio', 'signal', 'operator', '_operator',
  'functools', 'types', 'inspect', 'pdb', 'timeit', 'platform', 'pathlib', 'glob', 'pip', 'setuptools',
  'torch.hub', 'torch.jit', 'torch.ops', 'torch.utils.cpp_extension', 'numpy.testing', 'numpy.f2py',
  'numpy.distutils', 'numpy.lib.npyio', 'urllib', 'http', 'ftplib', 'smtplib', 'zipimport', 'site',
];
/** builtins that only build plain values (everything else in builtins, e.g. eval/exec/getattr, is refused). */
const SAFE_BUILTINS = new Set(['set', 'frozenset', 'bytearray', 'bytes', 'object', 'list', 'dict', 'tuple', 'int', 'float', 'str', 'bool', 'complex', 'slice', 'range']);

function isDenied(module: string, name: string): boolean {
  if (module === 'builtins' || module === '__builtin__') return !SAFE_BUILTINS.has(name);
  if (module === 'torch' && (name === 'load' || name === 'save' || name.startsWith('_'))) return true;
  if (module === 'torch.serialization' && name !== '_get_layout') return true;
  return DENIED_MODULES.some((m) => module === m || module.startsWith(`${m}.`));
}

const asInts = (where: string, v: unknown, what: string): number[] => {
  if (!Array.isArray(v)) throw new Error(`${where}: tensor ${what} must be a tuple of ints`);
  return v.map(Number);
};

function rebuildTensor(where: string, args: unknown[]): TensorSpec {
  const [storage, offset, size, stride, requiresGrad] = args;
  if (!(storage instanceof StorageRef)) throw new Error(`${where}: a tensor must be rebuilt from a storage`);
  return new TensorSpec(storage, Number(offset), asInts(where, size, 'size'), asInts(where, stride, 'stride'), requiresGrad === true);
}

const withGrad = (spec: unknown, requiresGrad: unknown, where: string): TensorSpec => {
  if (!(spec instanceof TensorSpec)) throw new Error(`${where}: a parameter must wrap a tensor`);
  return new TensorSpec(spec.storage, spec.offset, spec.size, spec.stride, requiresGrad !== false);
};

function allowedGlobals(where: string): Map<string, unknown> {
  const g = numpyGlobals(where);
  const add = (name: string, call: (args: unknown[]) => unknown): void => void g.set(name, new SafeCallable(name, call));
  add('collections.OrderedDict', (args) => {
    const d = new OrderedDict<unknown, unknown>();
    const items = args[0];
    if (Array.isArray(items)) for (const pair of items) if (Array.isArray(pair)) d.set(pair[0], pair[1]);
    if (items instanceof Map) for (const [k, v] of items) d.set(k, v);
    return d;
  });
  add('torch._utils._rebuild_tensor_v2', (args) => rebuildTensor(where, args));
  add('torch._utils._rebuild_tensor', (args) => rebuildTensor(where, [...args, false]));
  add('torch._utils._rebuild_parameter', (args) => withGrad(args[0], args[1], where));
  add('torch._utils._rebuild_parameter_with_state', (args) => withGrad(args[0], args[1], where));
  add('torch.nn.parameter.Parameter', (args) => withGrad(args[0], args[1], where));
  add('torch._tensor._rebuild_from_type_v2', (args) => {
    const [fn, , fnArgs] = args;
    if (!(fn instanceof SafeCallable) || !Array.isArray(fnArgs)) throw new Error(`${where}: _rebuild_from_type_v2 with an unsupported rebuild function`);
    return fn.call(fnArgs);
  });
  add('torch.Size', (args) => PyTuple.of(...((args[0] as unknown[]) ?? [])));
  add('torch.device', (args) => args.map(String).join(':'));
  add('torch.serialization._get_layout', (args) => String(args[0]));
  add('_codecs.encode', (args) => {
    const [text, encoding] = args;
    if (typeof text !== 'string') throw new Error(`${where}: _codecs.encode expects a string`);
    return encoding === 'latin1' || encoding === 'latin-1' ? Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff) : new TextEncoder().encode(text);
  });
  add('builtins.set', (args) => new Set((args[0] as Iterable<unknown>) ?? []));
  add('builtins.frozenset', (args) => new Set((args[0] as Iterable<unknown>) ?? []));
  add('builtins.bytearray', (args) => (args[0] instanceof Uint8Array ? args[0] : new Uint8Array(0)));
  add('builtins.slice', (args) => new PickleRecord('builtins.slice', args));
  add('builtins.complex', (args) => new PickleRecord('builtins.complex', args));
  add('builtins.range', (args) => new PickleRecord('builtins.range', args));
  add('copyreg._reconstructor', (args) => {
    const cls = args[0];
    if (!(cls instanceof PyGlobalRef)) throw new Error(`${where}: copyreg._reconstructor of an unsupported class`);
    return new PickleRecord(cls.name, [], args[2] ?? null);
  });
  for (const [name, dtype] of Object.entries(STORAGE_DTYPES)) {
    g.set(`torch.${name}`, new StorageType(`torch.${name}`, dtype));
    g.set(`torch.storage.${name}`, new StorageType(`torch.storage.${name}`, dtype));
  }
  for (const d of ['float16', 'float32', 'float64', 'bfloat16', 'int8', 'int16', 'int32', 'int64', 'uint8', 'bool']) g.set(`torch.${d}`, `torch.${d}`);
  return g;
}

export interface FindClassOptions {
  /** Refuse every global outside the allowlist (like torch.load(weights_only=True)). */
  weightsOnly?: boolean;
}

/** The findClass hook for one file: `where` names the file in every error. */
export function makeFindClass(where: string, opts: FindClassOptions = {}): (module: string, name: string) => unknown {
  const allowed = allowedGlobals(where);
  return (module, name) => {
    const full = `${module}.${name}`;
    const known = allowed.get(full);
    if (known !== undefined) return known;
    if (isDenied(module, name)) {
      throw new UnsafePickleError(`${where}: refusing to load '${full}': the file asks to call it, and segkit never runs code from checkpoints (possibly a malicious file)`);
    }
    if (opts.weightsOnly) throw new UnsafePickleError(`${where}: '${full}' is not allowed when loading weights only (tensors, containers and plain data)`);
    return new PyGlobalRef(full);
  };
}
