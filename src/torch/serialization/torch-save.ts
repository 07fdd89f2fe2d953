// Writes torch.save's zip layout (archive/data.pkl + archive/data/N + archive/version) from
// segkit values, so PyTorch's torch.load reads it (weights_only=True too, see README.md).
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Tensor, op } from '../tensor.js';
import { native } from '../native.js';
import { OrderedDict, PyGlobalRef, PyTuple } from './py-types.js';
import { pickle, PyPersistent, PyReduce } from './pickler.js';
import { zipChunks, type ZipEntry } from './zip.js';
import { ITEM_SIZE, STORAGE_CLASS_OF } from './storage-types.js';

interface Placement {
  key: string;
  offset: number;
}

/** Every tensor in a tree of plain containers, in visiting order. */
function collectTensors(v: unknown, out: Tensor[], seen: Set<unknown>): void {
  if (v === null || typeof v !== 'object' || seen.has(v)) return;
  seen.add(v);
  if (v instanceof Tensor) {
    out.push(v);
    return;
  }
  if (v instanceof Map) for (const x of v.values()) collectTensors(x, out, seen);
  else if (Array.isArray(v)) for (const x of v) collectTensors(x, out, seen);
  else if (v instanceof PyReduce) collectTensors(v.args, out, seen);
  else if (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null) for (const x of Object.values(v)) collectTensors(x, out, seen);
  if (v instanceof OrderedDict) collectTensors(v.attributes, out, seen);
}

/**
 * Assigns tensors to storages. Tensors whose memory overlaps (views of one another, tied
 * weights) share one storage record with their own offsets and strides, as in PyTorch.
 */
function planStorages(tensors: Tensor[]): { placements: Map<Tensor, Placement>; records: { key: string; bytes: Uint8Array }[] } {
  interface Span { t: Tensor; start: number; end: number; group: string }
  const spans: Span[] = [];
  const placements = new Map<Tensor, Placement>();
  const records: { key: string; bytes: Uint8Array }[] = [];
  const newRecord = (bytes: Uint8Array): string => {
    const key = String(records.length);
    records.push({ key, bytes });
    return key;
  };
  for (const t of tensors) {
    if (placements.has(t)) continue;
    const item = ITEM_SIZE[t.dtype];
    const shape = t.shape;
    if (shape.some((s) => s === 0)) {
      placements.set(t, { key: newRecord(new Uint8Array(0)), offset: 0 });
      continue;
    }
    const strides = native.strides(t.handle);
    const extent = 1 + shape.reduce((a, s, i) => a + (s - 1) * strides[i]!, 0);
    const start = native.dataPtr(t.handle);
    spans.push({ t, start, end: start + extent * item, group: `${t.device}/${t.dtype}` });
  }
  spans.sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : a.start - b.start));
  for (let i = 0; i < spans.length;) {
    let j = i + 1;
    let end = spans[i]!.end;
    while (j < spans.length && spans[j]!.group === spans[i]!.group && spans[j]!.start < end) end = Math.max(end, spans[j++]!.end);
    const first = spans[i]!;
    const item = ITEM_SIZE[first.t.dtype];
    // One flat view from the lowest address covers every member (they overlap, so they share an allocation).
    const flat = op('as_strided', first.t, [(end - first.start) / item], [1], null);
    const bytes = new Uint8Array(native.toBuffer(flat.handle));
    flat.dispose();
    const key = newRecord(bytes);
    for (let k = i; k < j; k++) placements.set(spans[k]!.t, { key, offset: (spans[k]!.start - first.start) / item });
    i = j;
  }
  return { placements, records };
}

/** Serialises `obj` into the entries of a torch.save archive named `archive`. */
export function torchSaveEntries(obj: unknown, opts: { archive?: string; where?: string } = {}): ZipEntry[] {
  const archive = opts.archive ?? 'archive';
  const tensors: Tensor[] = [];
  collectTensors(obj, tensors, new Set());
  const { placements, records } = planStorages(tensors);
  const rebuild = new PyGlobalRef('torch._utils._rebuild_tensor_v2');
  const data = pickle(obj, {
    where: opts.where,
    replace: (v) => {
      if (!(v instanceof Tensor)) return undefined;
      const p = placements.get(v)!;
      const storageClass = new PyGlobalRef(`torch.${STORAGE_CLASS_OF[v.dtype]}`);
      const numel = records[Number(p.key)]!.bytes.byteLength / ITEM_SIZE[v.dtype];
      const pid = new PyPersistent(PyTuple.of<unknown>('storage', storageClass, p.key, 'cpu', numel));
      const shape = v.shape;
      const strides = shape.some((s) => s === 0) ? contiguousStrides(shape) : native.strides(v.handle);
      return new PyReduce(rebuild, PyTuple.of<unknown>(pid, p.offset, PyTuple.of(...shape), PyTuple.of(...strides), false, new OrderedDict()));
    },
  });
  const enc = new TextEncoder();
  return [
    { name: `${archive}/data.pkl`, data },
    { name: `${archive}/byteorder`, data: enc.encode('little') },
    ...records.map((r) => ({ name: `${archive}/data/${r.key}`, data: r.bytes })),
    { name: `${archive}/version`, data: enc.encode('3\n') },
  ];
}

function contiguousStrides(shape: number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = s;
    s *= Math.max(shape[i]!, 1);
  }
  return out;
}

/** The bytes of a torch.save archive holding `obj`. */
export function torchSaveBuffer(obj: unknown, opts: { archive?: string } = {}): Uint8Array {
  const chunks = zipChunks(torchSaveEntries(obj, opts), opts.archive ?? 'archive');
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * torch.save(obj, file): plain objects and Maps become dicts, OrderedDict stays one, arrays
 * lists, PyTuple tuples, integral numbers ints, others floats, tensors tensors (on CPU).
 * Written atomically (temp file + fsync + rename).
 */
export function saveTorchFile(obj: unknown, file: string): void {
  const chunks = zipChunks(torchSaveEntries(obj, { where: file }), file);
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}-${Date.now()}`);
  const fd = openSync(tmp, 'w');
  try {
    for (const c of chunks) if (c.byteLength) writeSync(fd, c);
    fsyncSync(fd);
    closeSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  renameSync(tmp, file);
}
