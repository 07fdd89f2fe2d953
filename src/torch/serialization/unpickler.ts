// A pickle interpreter (protocols 0-5) that never runs Python: globals resolve only to what
// the caller's findClass hands back, and calls go only to SafeCallables written in JS.
import { OrderedDict, PickleRecord, PyGlobalRef, PyTuple } from './py-types.js';

/** A Python callable that the reader re-implements in JS (a tensor rebuild, OrderedDict, ...). */
export class SafeCallable {
  constructor(
    readonly pyName: string,
    readonly call: (args: unknown[], kwargs?: Map<unknown, unknown>) => unknown,
  ) {}
}

/** Objects that accept BUILD (Python's __setstate__) in the reader's own terms. */
export interface Buildable {
  setState(state: unknown): void;
}
const isBuildable = (v: unknown): v is Buildable => typeof v === 'object' && v !== null && typeof (v as Buildable).setState === 'function';

export interface UnpicklerHooks {
  /** Resolves GLOBAL module.name: a SafeCallable, a PyGlobalRef (inert), a plain value; or throws. */
  findClass(module: string, name: string): unknown;
  /** Resolves a persistent id (PyTorch: a storage reference). */
  persistentLoad(pid: unknown): unknown;
}

export class UnpicklingError extends Error {}

const utf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');

/** Little-endian two's complement bytes -> number when safe, else bigint (Python's decode_long). */
export function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.length - 1]! & 0x80) v -= 1n << BigInt(bytes.length * 8);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function parseIntText(text: string): number | bigint {
  const v = BigInt(text);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Reads one pickle starting at `offset`; returns the value and the offset just past STOP. */
export function unpickle(data: Uint8Array, hooks: UnpicklerHooks, offset = 0, where = 'pickle'): { value: unknown; end: number } {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = offset;
  let stack: unknown[] = [];
  const metastack: unknown[][] = [];
  const memo = new Map<number, unknown>();

  const fail = (msg: string): never => {
    throw new UnpicklingError(`${where}: ${msg} (at byte ${pos})`);
  };
  const need = (n: number): void => {
    if (pos + n > data.byteLength) fail('unexpected end of data (truncated or corrupt file)');
  };
  const bytes = (n: number): Uint8Array => {
    need(n);
    const b = data.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const u8 = (): number => (need(1), data[pos++]!);
  const u16 = (): number => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = (): number => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = (): number => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail('length field too large');
    return Number(v);
  };
  const line = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) fail('unterminated text line');
    const s = latin1.decode(data.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = (): unknown => (stack.length ? stack.pop() : fail('stack underflow'));
  const top = (): unknown => (stack.length ? stack[stack.length - 1] : fail('stack underflow'));
  const popMark = (): unknown[] => {
    const items = stack;
    stack = metastack.pop() ?? fail('MARK expected');
    return items;
  };
  const describe = (v: unknown): string =>
    v instanceof SafeCallable ? v.pyName : v instanceof PyGlobalRef ? v.name : v === null ? 'None' : typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v;
  const callable = (fn: unknown, args: unknown[], kwargs?: Map<unknown, unknown>): unknown => {
    if (fn instanceof SafeCallable) return fn.call(args, kwargs);
    // Unknown classes become inert records: the arguments are kept, nothing is executed.
    if (fn instanceof PyGlobalRef) return new PickleRecord(fn.name, [...args], kwargs ? { kwargs } : null);
    return fail(`cannot call ${describe(fn)}`);
  };
  const setItem = (dict: unknown, k: unknown, v: unknown): void => {
    if (dict instanceof Map) dict.set(k, v);
    else if (dict instanceof PickleRecord) {
      // Dict subclasses (e.g. defaultdict) keep their items beside the record's state.
      const items = ((dict as PickleRecord & { items?: Map<unknown, unknown> }).items ??= new Map());
      items.set(k, v);
    } else fail(`SETITEM on ${describe(dict)}, expected a dict`);
  };
  const global = (module: string, name: string): unknown => hooks.findClass(module, name);

  for (;;) {
    const code = u8();
    switch (code) {
      case 0x80: { // PROTO
        const proto = u8();
        if (proto > 5) fail(`unsupported pickle protocol ${proto}`);
        break;
      }
      case 0x95: pos += 8; break; // FRAME: a length hint only
      case 0x2e: { // STOP
        if (stack.length !== 1 || metastack.length) fail('malformed pickle (stack not empty at STOP)');
        return { value: stack[0], end: pos };
      }
      case 0x28: metastack.push(stack); stack = []; break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x49: { // INT (text; 00/01 are False/True in protocol 0)
        const s = line();
        stack.push(s === '00' ? false : s === '01' ? true : parseIntText(s));
        break;
      }
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x4c: stack.push(parseIntText(line().replace(/L$/, ''))); break; // LONG
      case 0x8a: stack.push(decodeLong(bytes(u8()))); break; // LONG1
      case 0x8b: { // LONG4
        const n = i32();
        if (n < 0) fail('negative LONG4 length');
        stack.push(decodeLong(bytes(n)));
        break;
      }
      case 0x46: stack.push(Number.parseFloat(line())); break; // FLOAT
      case 0x47: need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; // BINFLOAT (big-endian)
      case 0x53: { // STRING (Python 2 repr)
        const s = line();
        stack.push(s.slice(1, -1));
        break;
      }
      case 0x54: stack.push(latin1.decode(bytes(i32()))); break; // BINSTRING
      case 0x55: stack.push(latin1.decode(bytes(u8()))); break; // SHORT_BINSTRING
      case 0x56: stack.push(line().replace(/\\u([0-9a-fA-F]{4})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))); break; // UNICODE
      case 0x58: stack.push(utf8.decode(bytes(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(utf8.decode(bytes(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(utf8.decode(bytes(u64()))); break; // BINUNICODE8
      case 0x42: stack.push(bytes(u32()).slice()); break; // BINBYTES
      case 0x43: stack.push(bytes(u8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: stack.push(bytes(u64()).slice()); break; // BINBYTES8
      case 0x96: stack.push(bytes(u64()).slice()); break; // BYTEARRAY8
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x61: { // APPEND
        const v = pop();
        const list = top();
        if (!Array.isArray(list) || list instanceof PyTuple) fail(`APPEND to ${describe(list)}, expected a list`);
        (list as unknown[]).push(v);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        const list = top();
        if (list instanceof PickleRecord) ((list as PickleRecord & { listItems?: unknown[] }).listItems ??= []).push(...items);
        else if (!Array.isArray(list) || list instanceof PyTuple) fail(`APPENDS to ${describe(list)}, expected a list`);
        else for (const v of items) list.push(v);
        break;
      }
      case 0x6c: { const items = popMark(); stack.push(items); break; } // LIST
      case 0x29: stack.push(new PyTuple()); break; // EMPTY_TUPLE
      case 0x74: { const items = popMark(); stack.push(PyTuple.of(...items)); break; } // TUPLE
      case 0x85: stack.push(PyTuple.of(pop())); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push(PyTuple.of(a, b)); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(PyTuple.of(a, b, c)); break; } // TUPLE3
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x64: { // DICT
        const items = popMark();
        const d = new Map();
        for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
        stack.push(d);
        break;
      }
      case 0x73: { const v = pop(); const k = pop(); setItem(top(), k, v); break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark();
        const d = top();
        for (let i = 0; i + 1 < items.length; i += 2) setItem(d, items[i], items[i + 1]);
        break;
      }
      case 0x8f: stack.push(new Set()); break; // EMPTY_SET
      case 0x90: { // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) fail(`ADDITEMS to ${describe(s)}, expected a set`);
        for (const v of items) (s as Set<unknown>).add(v);
        break;
      }
      case 0x91: { const items = popMark(); stack.push(new Set(items)); break; } // FROZENSET
      case 0x63: { const module = line(); const name = line(); stack.push(global(module, name)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL expects two strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop();
        if (!Array.isArray(args)) fail(`REDUCE arguments for ${describe(fn)} must be a tuple`);
        stack.push(callable(fn, args as unknown[]));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        const cls = pop();
        if (!Array.isArray(args)) fail(`NEWOBJ arguments for ${describe(cls)} must be a tuple`);
        stack.push(callable(cls, args as unknown[]));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (!Array.isArray(args) || !(kwargs instanceof Map)) fail(`NEWOBJ_EX for ${describe(cls)} expects a tuple and a dict`);
        stack.push(callable(cls, args as unknown[], kwargs as Map<unknown, unknown>));
        break;
      }
      case 0x69: { // INST (protocol 0)
        const module = line();
        const name = line();
        const args = popMark();
        stack.push(callable(global(module, name), args));
        break;
      }
      case 0x6f: { // OBJ (protocol 1)
        const items = popMark();
        if (!items.length) fail('OBJ without a class');
        stack.push(callable(items[0], items.slice(1)));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const inst = top();
        if (inst instanceof PickleRecord) inst.state = state;
        else if (inst instanceof OrderedDict) {
          const dict = Array.isArray(state) ? state[0] : state;
          if (dict instanceof Map) for (const [k, v] of dict) inst.attributes[String(k)] = v;
        } else if (isBuildable(inst)) inst.setState(state);
        else fail(`cannot set the state of ${describe(inst)}`);
        break;
      }
      case 0x50: stack.push(hooks.persistentLoad(line())); break; // PERSID
      case 0x51: stack.push(hooks.persistentLoad(pop())); break; // BINPERSID
      case 0x67: { const i = Number(line()); stack.push(memo.has(i) ? memo.get(i) : fail(`memo key ${i} missing`)); break; } // GET
      case 0x68: { const i = u8(); stack.push(memo.has(i) ? memo.get(i) : fail(`memo key ${i} missing`)); break; } // BINGET
      case 0x6a: { const i = u32(); stack.push(memo.has(i) ? memo.get(i) : fail(`memo key ${i} missing`)); break; } // LONG_BINGET
      case 0x70: memo.set(Number(line()), top()); break; // PUT
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      default:
        fail(`unsupported pickle opcode 0x${code.toString(16).padStart(2, '0')}${code === 0x82 || code === 0x83 || code === 0x84 ? ' (copyreg extension registry)' : code === 0x97 || code === 0x98 ? ' (out-of-band buffer)' : ''}`);
    }
  }
}
