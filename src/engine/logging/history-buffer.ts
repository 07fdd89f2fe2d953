// HistoryBuffer: the history of one logged scalar (values and their counts) with windowed statistics, as MMEngine's.

export type StatisticMethod = 'mean' | 'min' | 'max' | 'current';
export const STATISTIC_METHODS: readonly StatisticMethod[] = ['mean', 'min', 'max', 'current'];

/** The JSON-serialisable form of a HistoryBuffer (MMEngine's attribute names). NaN travels as null in JSON. */
export interface HistoryBufferState {
  log_history: (number | null)[];
  count_history: number[];
  max_length: number;
}

export const DEFAULT_MAX_LENGTH = 1_000_000;

/**
 * numpy's pairwise summation of a float64 run (8 partial sums per block of up to 128, halves
 * above that), so window means equal numpy's to the last bit.
 */
function pairwiseSum(a: readonly number[], start: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = start; i < start + n; i++) res += a[i]!;
    return res;
  }
  if (n <= 128) {
    const r = [a[start]!, a[start + 1]!, a[start + 2]!, a[start + 3]!, a[start + 4]!, a[start + 5]!, a[start + 6]!, a[start + 7]!];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let k = 0; k < 8; k++) r[k]! += a[start + i + k]!;
    }
    let res = ((r[0]! + r[1]!) + (r[2]! + r[3]!)) + ((r[4]! + r[5]!) + (r[6]! + r[7]!));
    for (; i < n; i++) res += a[start + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

function checkWindow(windowSize: number | undefined, what: string): void {
  if (windowSize !== undefined && !Number.isInteger(windowSize)) {
    throw new TypeError(`HistoryBuffer.${what}: window_size must be an integer, got ${windowSize}`);
  }
}

export class HistoryBuffer {
  readonly maxLength: number;
  // The live history is values[start..]; the front is dropped in one splice once it is as long as
  // the history itself, so an update stays O(1) amortised at max_length.
  #values: number[] = [];
  #counts: number[] = [];
  #start = 0;

  constructor(logHistory: readonly number[] = [], countHistory: readonly number[] = [], maxLength = DEFAULT_MAX_LENGTH) {
    if (!Number.isInteger(maxLength) || maxLength < 1) throw new RangeError(`HistoryBuffer: max_length must be a positive integer, got ${maxLength}`);
    if (logHistory.length !== countHistory.length) {
      throw new RangeError(`HistoryBuffer: log_history (${logHistory.length}) and count_history (${countHistory.length}) must have the same length`);
    }
    this.maxLength = maxLength;
    // Like MMEngine, a too-long history keeps its newest max_length entries.
    const from = Math.max(0, logHistory.length - maxLength);
    this.#values = logHistory.slice(from).map(Number);
    this.#counts = countHistory.slice(from).map(Number);
  }

  /** Appends `value` logged `count` times (count weighs the mean); the oldest entry goes past max_length. */
  update(value: number, count = 1): void {
    if (typeof value !== 'number' || typeof count !== 'number') {
      throw new TypeError(`HistoryBuffer.update: value and count must be numbers, got ${typeof value} and ${typeof count}`);
    }
    this.#values.push(value);
    this.#counts.push(count);
    if (this.length > this.maxLength) {
      this.#start++;
      if (this.#start >= this.maxLength) {
        this.#values.splice(0, this.#start);
        this.#counts.splice(0, this.#start);
        this.#start = 0;
      }
    }
  }

  get length(): number {
    return this.#values.length - this.#start;
  }

  /** Copies of the values and counts, oldest first (MMEngine's `data`). */
  get data(): [number[], number[]] {
    return [this.#values.slice(this.#start), this.#counts.slice(this.#start)];
  }

  /** Where the newest `windowSize` entries start, by Python's `history[-window_size:]` (0 or none: all). */
  #windowStart(windowSize: number | undefined): number {
    const len = this.length;
    if (windowSize === undefined) return this.#start;
    const idx = -windowSize;
    return this.#start + (idx < 0 ? Math.max(0, len + idx) : Math.min(idx, len));
  }

  /** Sum of values over sum of counts for the newest `windowSize` entries (all when omitted); NaN when empty. */
  mean(windowSize?: number): number {
    checkWindow(windowSize, 'mean');
    const from = this.#windowStart(windowSize);
    const n = this.#values.length - from;
    return pairwiseSum(this.#values, from, n) / pairwiseSum(this.#counts, from, n);
  }

  max(windowSize?: number): number {
    return this.#extreme(windowSize, 'max');
  }

  min(windowSize?: number): number {
    return this.#extreme(windowSize, 'min');
  }

  #extreme(windowSize: number | undefined, which: 'min' | 'max'): number {
    checkWindow(windowSize, which);
    const from = this.#windowStart(windowSize);
    if (from >= this.#values.length) throw new RangeError(`HistoryBuffer.${which}: the window is empty`);
    let best = this.#values[from]!;
    for (let i = from + 1; i < this.#values.length; i++) {
      const v = this.#values[i]!;
      // NaN wins, as in numpy.
      if (Number.isNaN(v) || (which === 'max' ? v > best : v < best)) best = v;
      if (Number.isNaN(best)) break;
    }
    return best;
  }

  /** The newest value. */
  current(): number {
    if (this.length === 0) throw new RangeError('HistoryBuffer.current: the history is empty; call update first');
    return this.#values[this.#values.length - 1]!;
  }

  /** A statistic by name, as `custom_cfg`'s `method_name` picks it. */
  statistics(methodName: StatisticMethod, windowSize?: number): number {
    switch (methodName) {
      case 'mean': return this.mean(windowSize);
      case 'min': return this.min(windowSize);
      case 'max': return this.max(windowSize);
      case 'current':
        if (windowSize !== undefined) throw new TypeError('HistoryBuffer.statistics: current takes no window_size');
        return this.current();
      default:
        throw new RangeError(`HistoryBuffer.statistics: unknown method '${String(methodName)}'; expected ${STATISTIC_METHODS.join(' | ')}`);
    }
  }

  stateDict(): HistoryBufferState {
    const [values, counts] = this.data;
    return { log_history: values, count_history: counts, max_length: this.maxLength };
  }

  static fromStateDict(state: HistoryBufferState): HistoryBuffer {
    return new HistoryBuffer(state.log_history.map((v) => (v === null ? NaN : v)), state.count_history, state.max_length ?? DEFAULT_MAX_LENGTH);
  }

  /** Replaces this buffer's history with `state`'s. */
  loadStateDict(state: HistoryBufferState): void {
    const loaded = HistoryBuffer.fromStateDict({ ...state, max_length: this.maxLength });
    [this.#values, this.#counts] = loaded.data;
    this.#start = 0;
  }

  /** Whether `x` has the shape of a HistoryBufferState (what a checkpoint's JSON gives back). */
  static isState(x: unknown): x is HistoryBufferState {
    if (x === null || typeof x !== 'object') return false;
    const s = x as Record<string, unknown>;
    return Array.isArray(s.log_history) && Array.isArray(s.count_history) && s.log_history.length === s.count_history.length;
  }

  clone(): HistoryBuffer {
    const [values, counts] = this.data;
    return new HistoryBuffer(values, counts, this.maxLength);
  }
}
