// TFRecord framing, the container of TensorBoard event files: length, masked CRC32C of the length, data, masked CRC32C of the data.
import { crc32c } from '@node-rs/crc32';

/** TensorFlow's "masked" CRC: rotated and offset so a CRC of data that holds CRCs stays well mixed. */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data) >>> 0;
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One record: uint64 LE length, uint32 LE masked CRC of those 8 bytes, the data, uint32 LE masked CRC of the data. */
export function frameRecord(data: Uint8Array): Buffer {
  const record = Buffer.alloc(8 + 4 + data.length + 4);
  record.writeBigUInt64LE(BigInt(data.length), 0);
  record.writeUInt32LE(maskedCrc32c(record.subarray(0, 8)), 8);
  record.set(data, 12);
  record.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return record;
}
