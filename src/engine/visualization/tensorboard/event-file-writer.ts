// Writes TensorBoard event files (events.out.tfevents.*): TFRecord-framed Event messages, each handed to the OS as it is written.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { encodeEvent, type SummaryValue, type TensorboardEvent } from './event-proto.js';
import { frameRecord } from './tfrecord.js';

/** Distinguishes writers opened by one process in the same second, as TensorBoard's global uid does. */
let nextUid = 0;

export class EventFileWriter {
  readonly path: string;
  #fd: number | null;

  /** Creates `logDir/events.out.tfevents.<time>.<hostname>.<pid>.<uid><suffix>` and writes the file-version event. */
  constructor(readonly logDir: string, filenameSuffix = '') {
    mkdirSync(logDir, { recursive: true });
    const seconds = String(Math.floor(Date.now() / 1000)).padStart(10, '0');
    this.path = join(logDir, `events.out.tfevents.${seconds}.${hostname()}.${process.pid}.${nextUid++}${filenameSuffix}`);
    this.#fd = openSync(this.path, 'w');
    // TensorBoard reads the first record to learn the format version.
    this.writeEvent({ wall_time: Date.now() / 1000, file_version: 'brain.Event:2' });
  }

  get closed(): boolean {
    return this.#fd === null;
  }

  /**
   * Appends one framed event. Each record goes to the OS in a synchronous write (TensorBoard's
   * flush, without an fsync), so a crash of the process loses nothing already recorded.
   */
  writeEvent(event: TensorboardEvent): void {
    if (this.#fd === null) throw new Error(`${this.path}: the event file is closed`);
    const record = frameRecord(encodeEvent(event));
    for (let off = 0; off < record.length;) off += writeSync(this.#fd, record, off, record.length - off);
  }

  /** Appends a Summary event; `step` undefined leaves the field unset, as add_text without a step does. */
  addSummary(values: SummaryValue[], step: number | undefined, wallTime = Date.now() / 1000): void {
    this.writeEvent({ wall_time: wallTime, ...(step === undefined ? {} : { step }), summary: { value: values } });
  }

  close(): void {
    if (this.#fd === null) return;
    closeSync(this.#fd);
    this.#fd = null;
  }
}
