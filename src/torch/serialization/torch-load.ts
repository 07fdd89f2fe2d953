// Reads PyTorch checkpoints (torch.save's zip archive and the legacy pre-1.6 stream) without
// running Python: see README.md for what is rebuilt, kept inert or refused.
import { existsSync, readFileSync } from 'node:fs';
import { PyTuple } from './py-types.js';
import { unpickle, UnpicklingError } from './unpickler.js';
import { makeFindClass, StorageRef, StorageType, type FindClassOptions } from './safe-globals.js';
import { materialize } from './materialize.js';
import { isZip, readZip } from './zip.js';
import { ITEM_SIZE, swapBytes } from './storage-types.js';

export interface TorchLoadOptions extends FindClassOptions {
  /** Where tensors land ('cpu' by default; PyTorch's map_location). */
  device?: string;
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

/** Which checkpoint format a file's first bytes announce. */
export function torchFormatOf(head: Uint8Array): 'zip' | 'legacy' | null {
  if (isZip(head)) return 'zip';
  // Legacy files start with the pickled magic number: PROTO 2, LONG1 10 bytes.
  if (head.length >= 3 && head[0] === 0x80 && head[1] <= 5 && head[2] === 0x8a) return 'legacy';
  return null;
}

function storageRefFrom(where: string, pid: unknown, legacy: boolean): StorageRef {
  if (!(pid instanceof PyTuple) || pid[0] !== 'storage') throw new UnpicklingError(`${where}: unsupported persistent id ${JSON.stringify(Array.isArray(pid) ? pid[0] : typeof pid)} (only storages are allowed)`);
  const [, type, key] = pid;
  if (!(type instanceof StorageType)) throw new UnpicklingError(`${where}: storage of unsupported type ${String((type as { name?: string })?.name ?? type)}`);
  if (legacy && Array.isArray(pid[5])) {
    // (view_key, offset, size): a view into the root storage `key`, offset in elements.
    return new StorageRef(String(key), type.dtype, Number((pid[5] as unknown[])[1]));
  }
  return new StorageRef(String(key), type.dtype);
}

function loadZip(buf: Uint8Array, where: string, opts: TorchLoadOptions): unknown {
  const entries = readZip(buf, where);
  const pkl = [...entries.keys()].find((n) => n.endsWith('/data.pkl') || n === 'data.pkl');
  if (!pkl) {
    if ([...entries.keys()].some((n) => n.endsWith('constants.pkl'))) throw new Error(`${where}: this is a TorchScript archive (torch.jit.save), not a torch.save checkpoint`);
    throw new Error(`${where}: zip archive without data.pkl; not a PyTorch checkpoint`);
  }
  const prefix = pkl.slice(0, pkl.length - 'data.pkl'.length);
  const byteorder = entries.get(`${prefix}byteorder`);
  const bigEndian = byteorder !== undefined && new TextDecoder().decode(byteorder).trim() === 'big';
  const findClass = makeFindClass(where, opts);
  const { value } = unpickle(entries.get(pkl)!, { findClass, persistentLoad: (pid) => storageRefFrom(where, pid, false) }, 0, where);
  const dtypes = new Map<string, number>();
  if (bigEndian) collectItemSizes(value, dtypes);
  return materialize(value, {
    where,
    device: opts.device,
    storageBytes: (key) => {
      const data = entries.get(`${prefix}data/${key}`);
      if (!data) throw new Error(`${where}: storage record data/${key} is missing from the archive`);
      if (!bigEndian) return data;
      const copy = data.slice();
      swapBytes(copy, dtypes.get(key) ?? 1);
      return copy;
    },
  });
}

/** Element sizes of storages by key, needed to fix the byte order of big-endian files. */
function collectItemSizes(v: unknown, out: Map<string, number>, seen = new Set<unknown>()): void {
  if (v === null || typeof v !== 'object' || seen.has(v)) return;
  seen.add(v);
  if (v instanceof StorageRef) out.set(v.key, ITEM_SIZE[v.dtype]);
  const children = v instanceof Map ? [...v.values()] : Object.values(v as object);
  for (const c of children) collectItemSizes(c, out, seen);
}

function loadLegacy(buf: Uint8Array, where: string, opts: TorchLoadOptions): unknown {
  const noGlobals = { findClass: (m: string, n: string) => { throw new UnpicklingError(`${where}: unexpected global ${m}.${n} in the legacy header`); }, persistentLoad: () => { throw new UnpicklingError(`${where}: unexpected persistent id in the legacy header`); } };
  const magic = unpickle(buf, noGlobals, 0, where);
  if (BigInt(magic.value as number | bigint) !== LEGACY_MAGIC) throw new Error(`${where}: invalid magic number; not a PyTorch checkpoint`);
  const version = unpickle(buf, noGlobals, magic.end, where);
  if (version.value !== 1001) throw new Error(`${where}: unsupported legacy protocol version ${String(version.value)}`);
  const sysInfo = unpickle(buf, noGlobals, version.end, where);
  const littleEndian = !(sysInfo.value instanceof Map) || sysInfo.value.get('little_endian') !== false;
  const findClass = makeFindClass(where, opts);
  const refs = new Map<string, StorageRef>();
  const main = unpickle(buf, {
    findClass,
    persistentLoad: (pid) => {
      if (pid instanceof PyTuple && pid[0] === 'module') return pid[1]; // an nn.Module class with its source: kept inert
      const ref = storageRefFrom(where, pid, true);
      if (!refs.has(ref.key)) refs.set(ref.key, new StorageRef(ref.key, ref.dtype));
      return ref;
    },
  }, sysInfo.end, where);
  const keys = unpickle(buf, noGlobals, main.end, where);
  if (!Array.isArray(keys.value)) throw new Error(`${where}: corrupt legacy checkpoint (storage key list missing)`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const storages = new Map<string, Uint8Array>();
  let pos = keys.end;
  for (const key of keys.value as string[]) {
    const ref = refs.get(String(key));
    if (!ref) throw new Error(`${where}: corrupt legacy checkpoint (storage ${String(key)} is not referenced)`);
    if (pos + 8 > buf.length) throw new Error(`${where}: truncated legacy checkpoint (storage ${String(key)})`);
    const numel = Number(view.getBigInt64(pos, littleEndian));
    const nbytes = numel * ITEM_SIZE[ref.dtype];
    if (pos + 8 + nbytes > buf.length) throw new Error(`${where}: truncated legacy checkpoint (storage ${String(key)} runs past the end)`);
    let data = buf.subarray(pos + 8, pos + 8 + nbytes);
    if (!littleEndian) {
      data = data.slice();
      swapBytes(data, ITEM_SIZE[ref.dtype]);
    }
    storages.set(String(key), data);
    pos += 8 + nbytes;
  }
  return materialize(main.value, {
    where,
    device: opts.device,
    storageBytes: (key) => storages.get(key) ?? (() => { throw new Error(`${where}: storage ${key} has no data in the file`); })(),
  });
}

/** Loads a torch.save buffer (zip or legacy); `where` names it in errors. */
export function loadTorchBuffer(buf: Uint8Array, where: string, opts: TorchLoadOptions = {}): unknown {
  const format = torchFormatOf(buf.subarray(0, 4));
  if (format === 'zip') return loadZip(buf, where, opts);
  if (format === 'legacy') return loadLegacy(buf, where, opts);
  throw new Error(`${where}: not a PyTorch checkpoint (expected a zip archive or a legacy pickle stream)`);
}

/**
 * torch.load for files written by torch.save, safe by default: tensors, containers and
 * plain data are rebuilt; other classes outside `state_dict` stay inert PickleRecords;
 * callables that could run code are refused. Tensors come back as segkit Tensors.
 */
export function loadTorchFile(file: string, opts: TorchLoadOptions = {}): unknown {
  if (!existsSync(file)) throw new Error(`${file}: checkpoint file not found`);
  return loadTorchBuffer(readFileSync(file), file, opts);
}
