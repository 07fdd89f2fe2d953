// A pickle writer (protocol 2, the one torch.save uses) for plain data: None, bools, ints
// (bigint too), floats, strings, bytes, lists, tuples, dicts, OrderedDicts, plus the two
// nodes torch needs: a call of a named global (PyReduce) and a persistent id (PyPersistent).
import { OrderedDict, PyGlobalRef, PyTuple } from './py-types.js';

/** `fn(*args)` at load time: how tensors are written (fn is a torch rebuild function). */
export class PyReduce {
  constructor(readonly fn: PyGlobalRef, readonly args: PyTuple) {}
}

/** A persistent id (BINPERSID): torch.save's reference to a storage record. */
export class PyPersistent {
  constructor(readonly pid: PyTuple) {}
}

export interface PickleOptions {
  /** Turns values the pickler does not know (tensors) into PyReduce/plain values; undefined = not handled. */
  replace?: (value: unknown, path: string) => unknown;
  /** Names the output in errors. */
  where?: string;
}

class ByteSink {
  buf = new Uint8Array(1 << 16);
  len = 0;
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  u32(v: number): void {
    this.ensure(4);
    new DataView(this.buf.buffer).setUint32(this.len, v, true);
    this.len += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    new DataView(this.buf.buffer).setInt32(this.len, v, true);
    this.len += 4;
  }
  f64be(v: number): void {
    this.ensure(8);
    new DataView(this.buf.buffer).setFloat64(this.len, v, false);
    this.len += 8;
  }
}

/** Little-endian two's complement in the fewest bytes (Python's encode_long). */
export function encodeLong(v: bigint): Uint8Array {
  if (v === 0n) return new Uint8Array(0);
  const out: number[] = [];
  let x = v;
  for (;;) {
    out.push(Number(x & 0xffn));
    x >>= 8n;
    const sign = out[out.length - 1]! & 0x80;
    if ((x === 0n && !sign) || (x === -1n && sign)) break;
  }
  return Uint8Array.from(out);
}

const enc = new TextEncoder();

/** Serialises `value` to pickle protocol 2 bytes. */
export function pickle(value: unknown, opts: PickleOptions = {}): Uint8Array {
  const out = new ByteSink();
  const where = opts.where ?? 'pickle';
  const active = new Set<object>();
  const fail = (path: string, msg: string): never => {
    throw new TypeError(`${where}: cannot write ${path || 'the value'}: ${msg}`);
  };
  const str = (s: string): void => {
    const b = enc.encode(s);
    out.byte(0x58); // BINUNICODE
    out.u32(b.length);
    out.bytes(b);
  };
  const int = (v: number | bigint): void => {
    if (typeof v === 'number' && v >= 0 && v < 256) { out.byte(0x4b); out.byte(v); return; } // BININT1
    if (typeof v === 'number' && v >= 0 && v < 65536) { out.byte(0x4d); out.byte(v & 0xff); out.byte(v >> 8); return; } // BININT2
    if (typeof v === 'number' && v >= -(2 ** 31) && v < 2 ** 31) { out.byte(0x4a); out.i32(v); return; } // BININT
    const b = encodeLong(BigInt(v));
    if (b.length > 255) fail('', `integer ${v} is too large`);
    out.byte(0x8a); // LONG1
    out.byte(b.length);
    out.bytes(b);
  };
  const global = (g: PyGlobalRef): void => {
    const dot = g.name.lastIndexOf('.');
    out.byte(0x63); // GLOBAL
    out.bytes(enc.encode(`${g.name.slice(0, dot)}\n${g.name.slice(dot + 1)}\n`));
  };
  const items = (entries: Iterable<[unknown, unknown]>, path: string): void => {
    out.byte(0x28); // MARK
    for (const [k, v] of entries) {
      if (typeof k === 'object' && k !== null && !(k instanceof PyTuple)) fail(path, `dict key of type ${k.constructor?.name ?? 'object'} (keys must be str, int, bool, None or tuple)`);
      write(k, `${path}[key]`);
      write(v, path ? `${path}.${String(k)}` : String(k));
    }
    out.byte(0x75); // SETITEMS
  };
  const write = (v: unknown, path: string): void => {
    if (opts.replace) {
      const r = opts.replace(v, path);
      if (r !== undefined) v = r;
    }
    if (v === null || v === undefined) { out.byte(0x4e); return; }
    if (v === true) { out.byte(0x88); return; }
    if (v === false) { out.byte(0x89); return; }
    if (typeof v === 'bigint') { int(v); return; }
    if (typeof v === 'number') {
      // JS has one number type: integral values become Python ints, others floats.
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) int(v);
      else { out.byte(0x47); out.f64be(v); } // BINFLOAT
      return;
    }
    if (typeof v === 'string') { str(v); return; }
    if (typeof v !== 'object') fail(path, `a ${typeof v} has no pickle form`);
    const obj = v as object;
    if (obj instanceof PyGlobalRef) { global(obj); return; }
    if (obj instanceof Uint8Array && obj.constructor === Uint8Array || obj instanceof Buffer) {
      const b = obj as Uint8Array;
      out.byte(0x42); // BINBYTES (protocol 3 opcode; Python reads it under any protocol)
      out.u32(b.length);
      out.bytes(b);
      return;
    }
    if (active.has(obj)) fail(path, 'the value contains itself (a cycle)');
    active.add(obj);
    if (obj instanceof PyReduce) {
      global(obj.fn);
      write(obj.args, `${path}(args)`);
      out.byte(0x52); // REDUCE
    } else if (obj instanceof PyPersistent) {
      write(obj.pid, `${path}(pid)`);
      out.byte(0x51); // BINPERSID
    } else if (obj instanceof PyTuple) {
      const t = obj as unknown[];
      if (t.length === 0) out.byte(0x29);
      else if (t.length <= 3) {
        t.forEach((x, i) => write(x, `${path}[${i}]`));
        out.byte(0x84 + t.length); // TUPLE1..3
      } else {
        out.byte(0x28);
        t.forEach((x, i) => write(x, `${path}[${i}]`));
        out.byte(0x74); // TUPLE
      }
    } else if (Array.isArray(obj)) {
      out.byte(0x5d); // EMPTY_LIST
      if (obj.length) {
        out.byte(0x28);
        obj.forEach((x, i) => write(x, `${path}[${i}]`));
        out.byte(0x65); // APPENDS
      }
    } else if (obj instanceof OrderedDict) {
      global(new PyGlobalRef('collections.OrderedDict'));
      out.byte(0x29);
      out.byte(0x52); // OrderedDict()
      if (obj.size) items(obj.entries() as Iterable<[unknown, unknown]>, path);
      if (Object.keys(obj.attributes).length) {
        out.byte(0x7d);
        items(Object.entries(obj.attributes), `${path}(attributes)`);
        out.byte(0x62); // BUILD: instance attributes such as _metadata
      }
    } else if (obj instanceof Map) {
      out.byte(0x7d); // EMPTY_DICT
      if (obj.size) items(obj.entries() as Iterable<[unknown, unknown]>, path);
    } else {
      const proto = Object.getPrototypeOf(obj);
      if (proto !== Object.prototype && proto !== null) fail(path, `a ${obj.constructor?.name ?? 'object'} has no pickle form (plain data, Maps, arrays and tensors only)`);
      out.byte(0x7d);
      const entries = Object.entries(obj).filter(([, x]) => x !== undefined);
      if (entries.length) items(entries, path);
    }
    active.delete(obj);
  };
  out.byte(0x80);
  out.byte(2); // PROTO 2
  write(value, '');
  out.byte(0x2e); // STOP
  return out.buf.subarray(0, out.len);
}
