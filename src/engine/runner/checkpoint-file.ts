// segkit's checkpoint file (reading PyTorch .pth files too): one file holding a JSON tree plus raw tensor bytes, written
// atomically (temp file + fsync + rename) so a crash never leaves a half file under the
// final name. Layout: "SEGKITCK" | u32 version | u32 reserved | u64 header bytes | header JSON
// | padding to 64 | tensor data (each at the offset the header gives).
import { closeSync, fsyncSync, openSync, readFileSync, readSync, renameSync, unlinkSync, writeSync, existsSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import * as torch from '../../torch/index.js';
import { Tensor } from '../../torch/index.js';
import { loadTorchBuffer, torchFormatOf } from '../../torch/serialization/index.js';

const MAGIC = 'SEGKITCK';
const VERSION = 1;
const ALIGN = 64;

interface TensorEntry {
  dtype: torch.DType;
  shape: number[];
  offset: number;
  nbytes: number;
}

const DTYPE_CODES: Record<string, number> = {
  uint8: 0, int8: 1, int16: 2, int32: 3, int64: 4, float16: 5, float32: 6, float64: 7, bool: 11, bfloat16: 15,
};

/** Turns a state tree into JSON-safe form, collecting tensors into `tensors`. */
function encode(value: unknown, tensors: Tensor[], path: string): unknown {
  if (value instanceof Tensor) {
    tensors.push(value);
    return { __tensor__: tensors.length - 1 };
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : { __number__: String(value) };
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.map((v, i) => encode(v, tensors, `${path}.${i}`) ?? null);
  if (value instanceof Map) return { __map__: [...value.entries()].map(([k, v]) => [k, encode(v, tensors, `${path}.${String(k)}`)]) };
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`checkpoint: cannot save ${path} (a ${value.constructor?.name ?? 'object'}); convert it to plain data first`);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const e = encode(v, tensors, path ? `${path}.${k}` : k);
      if (e !== undefined) out[k] = e;
    }
    return out;
  }
  throw new TypeError(`checkpoint: cannot save ${path} of type ${typeof value}`);
}

function decode(value: unknown, tensors: Tensor[]): unknown {
  if (Array.isArray(value)) return value.map((v) => decode(v, tensors));
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (typeof v.__tensor__ === 'number') return tensors[v.__tensor__];
    if (typeof v.__number__ === 'string') return Number(v.__number__);
    if (Array.isArray(v.__map__)) return new Map((v.__map__ as [unknown, unknown][]).map(([k, x]) => [k, decode(x, tensors)]));
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x, tensors)]));
  }
  return value;
}

const alignUp = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

/** Writes `state` (plain objects, arrays, Maps, numbers, strings, tensors) to `file` atomically. */
export function saveCheckpointFile(state: Record<string, unknown>, file: string): void {
  const tensors: Tensor[] = [];
  const tree = encode(state, tensors, '');
  const datas = tensors.map((t) => {
    const cpu = t.device === 'cpu' ? t : t.to('cpu');
    const buf = torch.native.toBuffer(cpu.detach().contiguous().handle);
    return new Uint8Array(buf);
  });
  const entries: TensorEntry[] = [];
  let offset = 0;
  datas.forEach((d, i) => {
    entries.push({ dtype: tensors[i]!.dtype, shape: tensors[i]!.shape, offset, nbytes: d.byteLength });
    offset = alignUp(offset + d.byteLength);
  });
  const header = Buffer.from(JSON.stringify({ tensors: entries, state: tree }), 'utf8');
  const prefix = Buffer.alloc(24);
  prefix.write(MAGIC, 0, 'ascii');
  prefix.writeUInt32LE(VERSION, 8);
  prefix.writeBigUInt64LE(BigInt(header.byteLength), 16);
  const dataStart = alignUp(24 + header.byteLength);

  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}-${Date.now()}`);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, prefix, 0, prefix.length, 0);
    writeSync(fd, header, 0, header.length, 24);
    for (let i = 0; i < datas.length; i++) {
      const d = datas[i]!;
      if (d.byteLength) writeSync(fd, d, 0, d.byteLength, dataStart + entries[i]!.offset);
    }
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, file);
  // The rename itself must reach the disk before we call the checkpoint saved.
  const dirFd = openSync(dirname(file), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

export type CheckpointFormat = 'segkit' | 'torch-zip' | 'torch-legacy';

/** The format a checkpoint's first bytes announce, or null if none. */
export function checkpointFormatOf(head: Uint8Array): CheckpointFormat | null {
  if (head.byteLength >= 8 && Buffer.from(head.buffer, head.byteOffset, 8).toString('ascii') === MAGIC) return 'segkit';
  const torchFormat = torchFormatOf(head);
  return torchFormat === 'zip' ? 'torch-zip' : torchFormat === 'legacy' ? 'torch-legacy' : null;
}

/** The format of `file` (segkit .ckpt or PyTorch .pth), from its content; throws naming the file. */
export function checkpointFormat(file: string): CheckpointFormat {
  if (!existsSync(file)) throw new Error(`${file}: checkpoint file not found`);
  const fd = openSync(file, 'r');
  const head = Buffer.alloc(8);
  try {
    readSync(fd, head, 0, 8, 0);
  } finally {
    closeSync(fd);
  }
  const format = checkpointFormatOf(head);
  if (!format) throw new Error(`${file}: not a segkit checkpoint or a PyTorch .pth file (bad magic bytes)`);
  return format;
}

/**
 * A PyTorch checkpoint as a checkpoint record: a top-level dict as it is (tensors, `state_dict`
 * OrderedDict, inert records for unknown classes outside the weights), a bare state_dict
 * (OrderedDict of tensors) wrapped as `{ state_dict }`.
 */
function loadTorchCheckpoint(buf: Uint8Array, file: string, device?: string): Record<string, unknown> {
  const value = loadTorchBuffer(buf, file, { device });
  if (value instanceof Map) {
    for (const [k, v] of value) if (typeof k !== 'string' || !(v instanceof Tensor)) throw new Error(`${file}: expected a dict with string keys at the top level, got key ${String(k)}`);
    return { state_dict: value };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${file}: expected a dict at the top level of the checkpoint, got ${Array.isArray(value) ? 'a list' : typeof value}`);
  return value as Record<string, unknown>;
}

/**
 * Reads a checkpoint: segkit's own format (saveCheckpointFile) or PyTorch's torch.save
 * format (zip or legacy .pth, read safely: no code from the file ever runs), chosen by the
 * file's content. Tensors land on `device` (default cpu).
 */
export function loadCheckpointFile(file: string, opts: { device?: string } = {}): Record<string, unknown> {
  if (!existsSync(file)) throw new Error(`${file}: checkpoint file not found`);
  const buf = readFileSync(file);
  const format = checkpointFormatOf(buf.subarray(0, 8));
  if (format === 'torch-zip' || format === 'torch-legacy') return loadTorchCheckpoint(buf, file, opts.device);
  if (buf.byteLength < 24 || format !== 'segkit') {
    throw new Error(`${file}: not a segkit checkpoint or a PyTorch .pth file (bad magic bytes)`);
  }
  const version = buf.readUInt32LE(8);
  if (version > VERSION) throw new Error(`${file}: checkpoint format version ${version} is newer than this segkit (${VERSION})`);
  const headerLen = Number(buf.readBigUInt64LE(16));
  if (24 + headerLen > buf.byteLength) throw new Error(`${file}: truncated checkpoint (header runs past the end)`);
  let header: { tensors: TensorEntry[]; state: unknown };
  try {
    header = JSON.parse(buf.toString('utf8', 24, 24 + headerLen));
  } catch (err) {
    throw new Error(`${file}: corrupt checkpoint header (${(err as Error).message})`);
  }
  const dataStart = alignUp(24 + headerLen);
  const tensors = header.tensors.map((e, i) => {
    const start = dataStart + e.offset;
    if (start + e.nbytes > buf.byteLength) throw new Error(`${file}: truncated checkpoint (tensor ${i} runs past the end)`);
    const code = DTYPE_CODES[e.dtype];
    if (code === undefined) throw new Error(`${file}: tensor ${i} has unknown dtype '${e.dtype}'`);
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset + start, e.nbytes);
    const t = new Tensor(torch.native.fromBuffer(bytes, e.shape, code, opts.device));
    return t;
  });
  return decode(header.state, tensors) as Record<string, unknown>;
}
