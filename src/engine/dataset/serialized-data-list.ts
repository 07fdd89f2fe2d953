// A dataset's data infos packed as JSON into one shared byte buffer (MMEngine's serialize_data).
//
// Millions of small annotation objects cost the garbage collector on every pass; one buffer does
// not. The buffer is a SharedArrayBuffer, so DataLoader workers read the same bytes without
// loading the annotations again.

export type DataInfo = Record<string, unknown>;

/** The plain, postable form that workers receive. */
export interface SerializedDataListState {
  bytes: Uint8Array;
  /** Cumulative end offsets: item i is bytes[ends[i-1] .. ends[i]). */
  ends: Float64Array;
}

const encoder = new TextEncoder();

export class SerializedDataList {
  readonly #bytes: Uint8Array;
  readonly #ends: Float64Array;

  private constructor(state: SerializedDataListState) {
    this.#bytes = state.bytes;
    this.#ends = state.ends;
  }

  /** Data infos must be JSON data (strings, numbers, booleans, lists, plain objects). */
  static fromList(list: readonly DataInfo[]): SerializedDataList {
    const parts = list.map((info) => encoder.encode(JSON.stringify(info)));
    const total = parts.reduce((n, p) => n + p.byteLength, 0);
    const bytes = new Uint8Array(new SharedArrayBuffer(total));
    const ends = new Float64Array(new SharedArrayBuffer(8 * parts.length));
    let offset = 0;
    parts.forEach((p, i) => {
      bytes.set(p, offset);
      offset += p.byteLength;
      ends[i] = offset;
    });
    return new SerializedDataList({ bytes, ends });
  }

  static fromState(state: SerializedDataListState): SerializedDataList {
    return new SerializedDataList(state);
  }

  get length(): number {
    return this.#ends.length;
  }

  get byteLength(): number {
    return this.#bytes.byteLength;
  }

  /** A fresh copy of item i (callers may change it freely). */
  get(i: number): DataInfo {
    const start = i === 0 ? 0 : this.#ends[i - 1]!;
    const end = this.#ends[i]!;
    // TextDecoder refuses views of shared memory; Buffer reads them.
    const text = Buffer.from(this.#bytes.buffer, this.#bytes.byteOffset + start, end - start).toString('utf8');
    return JSON.parse(text) as DataInfo;
  }

  state(): SerializedDataListState {
    return { bytes: this.#bytes, ends: this.#ends };
  }
}
