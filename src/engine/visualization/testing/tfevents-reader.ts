// A TensorBoard event-file reader for tests, written from the TFRecord and Event specs alone (own CRC32C, own protobuf decoding).
//
// It shares no code with the writer on purpose: a bug in the writer's framing, CRC or protobuf
// encoding cannot be mirrored here.
import { readFileSync } from 'node:fs';

/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), bit by bit: slow and obviously right. */
export function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const mask = (crc: number): number => (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;

/** Splits a TFRecord file into record payloads, checking both CRCs of every record. */
export function readRecords(file: string): Buffer[] {
  const buf = readFileSync(file);
  const records: Buffer[] = [];
  let off = 0;
  while (off < buf.length) {
    if (off + 12 > buf.length) throw new Error(`${file}@${off}: truncated record header`);
    const length = Number(buf.readBigUInt64LE(off));
    const lengthCrc = buf.readUInt32LE(off + 8);
    if (mask(crc32cBitwise(buf.subarray(off, off + 8))) !== lengthCrc) throw new Error(`${file}@${off}: bad length CRC`);
    const data = buf.subarray(off + 12, off + 12 + length);
    if (data.length !== length || off + 16 + length > buf.length) throw new Error(`${file}@${off}: truncated record data`);
    if (mask(crc32cBitwise(data)) !== buf.readUInt32LE(off + 12 + length)) throw new Error(`${file}@${off}: bad data CRC`);
    records.push(data);
    off += 16 + length;
  }
  return records;
}

/** One protobuf field: varints as bigint, fixed32/fixed64 and length-delimited fields as raw bytes. */
interface Field {
  num: number;
  wire: number;
  varint?: bigint;
  bytes?: Buffer;
}

function readVarint(buf: Buffer, pos: { at: number }): bigint {
  let result = 0n;
  for (let shift = 0n; ; shift += 7n) {
    if (pos.at >= buf.length) throw new Error('varint runs past the end of the message');
    const b = buf[pos.at++]!;
    result |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return result;
  }
}

export function decodeFields(buf: Buffer): Field[] {
  const fields: Field[] = [];
  const pos = { at: 0 };
  while (pos.at < buf.length) {
    const key = Number(readVarint(buf, pos));
    const num = key >>> 3;
    const wire = key & 7;
    if (wire === 0) fields.push({ num, wire, varint: readVarint(buf, pos) });
    else if (wire === 1) { fields.push({ num, wire, bytes: buf.subarray(pos.at, pos.at + 8) }); pos.at += 8; }
    else if (wire === 5) { fields.push({ num, wire, bytes: buf.subarray(pos.at, pos.at + 4) }); pos.at += 4; }
    else if (wire === 2) {
      const len = Number(readVarint(buf, pos));
      fields.push({ num, wire, bytes: buf.subarray(pos.at, pos.at + len) });
      pos.at += len;
    } else throw new Error(`unexpected wire type ${wire} for field ${num}`);
  }
  if (pos.at !== buf.length) throw new Error('message overran its length');
  return fields;
}

function expectWire(f: Field, wire: number, what: string): void {
  if (f.wire !== wire) throw new Error(`${what} (field ${f.num}) has wire type ${f.wire}, expected ${wire}`);
}

export interface DecodedValue {
  tag: string;
  simpleValue?: number;
  image?: { height: number; width: number; colorspace: number; encoded: Buffer };
  tensor?: { dtype: number; dims: number[]; strings: string[] };
  pluginName?: string;
}

export interface DecodedEvent {
  wallTime: number;
  /** undefined when the field is absent from the bytes. */
  step?: number;
  fileVersion?: string;
  values?: DecodedValue[];
}

function decodeValue(buf: Buffer): DecodedValue {
  const v: DecodedValue = { tag: '' };
  for (const f of decodeFields(buf)) {
    if (f.num === 1) { expectWire(f, 2, 'Value.tag'); v.tag = f.bytes!.toString('utf8'); }
    else if (f.num === 2) { expectWire(f, 5, 'Value.simple_value'); v.simpleValue = f.bytes!.readFloatLE(0); }
    else if (f.num === 4) {
      expectWire(f, 2, 'Value.image');
      const img: NonNullable<DecodedValue['image']> = { height: 0, width: 0, colorspace: 0, encoded: Buffer.alloc(0) };
      for (const g of decodeFields(f.bytes!)) {
        if (g.num === 1) img.height = Number(g.varint);
        else if (g.num === 2) img.width = Number(g.varint);
        else if (g.num === 3) img.colorspace = Number(g.varint);
        else if (g.num === 4) img.encoded = g.bytes!;
      }
      v.image = img;
    } else if (f.num === 8) {
      expectWire(f, 2, 'Value.tensor');
      const t = { dtype: 0, dims: [] as number[], strings: [] as string[] };
      for (const g of decodeFields(f.bytes!)) {
        if (g.num === 1) t.dtype = Number(g.varint);
        else if (g.num === 2) for (const d of decodeFields(g.bytes!)) if (d.num === 2) t.dims.push(Number(decodeFields(d.bytes!).find((s) => s.num === 1)?.varint ?? 0n));
        if (g.num === 8) t.strings.push(g.bytes!.toString('utf8'));
      }
      v.tensor = t;
    } else if (f.num === 9) {
      expectWire(f, 2, 'Value.metadata');
      const plugin = decodeFields(f.bytes!).find((g) => g.num === 1);
      const name = plugin && decodeFields(plugin.bytes!).find((g) => g.num === 1);
      v.pluginName = name?.bytes!.toString('utf8');
    }
  }
  return v;
}

/** Decodes a tensorboard.Event (wall_time=1 double, step=2 int64, file_version=3, summary=5). */
export function decodeEvent(buf: Buffer): DecodedEvent {
  const e: DecodedEvent = { wallTime: NaN };
  for (const f of decodeFields(buf)) {
    if (f.num === 1) { expectWire(f, 1, 'Event.wall_time'); e.wallTime = f.bytes!.readDoubleLE(0); }
    else if (f.num === 2) { expectWire(f, 0, 'Event.step'); e.step = Number(BigInt.asIntN(64, f.varint!)); }
    else if (f.num === 3) { expectWire(f, 2, 'Event.file_version'); e.fileVersion = f.bytes!.toString('utf8'); }
    else if (f.num === 5) {
      expectWire(f, 2, 'Event.summary');
      e.values = decodeFields(f.bytes!).filter((g) => g.num === 1).map((g) => decodeValue(g.bytes!));
    }
  }
  return e;
}

export const readEvents = (file: string): DecodedEvent[] => readRecords(file).map(decodeEvent);
