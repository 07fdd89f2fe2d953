// Typed reading of scheduler state dicts and of param-group values, with errors that say where.

/** A scheduler's state: plain numbers, strings, booleans, arrays and objects (checkpoint-safe). */
export type SchedulerStateDict = Record<string, unknown>;

/** Reads `group[key]` as a number, or says which group lacks it. */
export function readGroupValue(group: Record<string, unknown>, key: string, index: number, who: string): number {
  const v = group[key];
  if (typeof v !== 'number') {
    throw new TypeError(`${who}: param_groups[${index}].${key} should be a number, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
  }
  return v;
}

/** Reads keys of a state dict, keeping the fallback for absent keys (MMEngine's `__dict__.update`). */
export class StateReader {
  constructor(readonly state: SchedulerStateDict, readonly where: string) {
    if (state === null || typeof state !== 'object' || Array.isArray(state)) {
      throw new TypeError(`${where}: expected a state dict object, got ${Array.isArray(state) ? 'a list' : JSON.stringify(state)}`);
    }
  }

  has(key: string): boolean {
    return this.state[key] !== undefined;
  }

  private bad(key: string, expected: string): never {
    throw new TypeError(`${this.where}: '${key}' should be ${expected}, got ${JSON.stringify(this.state[key])}`);
  }

  number(key: string, fallback: number): number {
    if (!this.has(key)) return fallback;
    const v = this.state[key];
    return typeof v === 'number' ? v : this.bad(key, 'a number');
  }

  nullableNumber(key: string, fallback: number | null): number | null {
    if (!(key in this.state)) return fallback;
    const v = this.state[key];
    return v === null || v === undefined ? null : typeof v === 'number' ? v : this.bad(key, 'a number or null');
  }

  boolean(key: string, fallback: boolean): boolean {
    if (!this.has(key)) return fallback;
    const v = this.state[key];
    return typeof v === 'boolean' ? v : this.bad(key, 'a boolean');
  }

  string(key: string, fallback: string): string {
    if (!this.has(key)) return fallback;
    const v = this.state[key];
    return typeof v === 'string' ? v : this.bad(key, 'a string');
  }

  numbers(key: string, fallback: number[]): number[] {
    if (!this.has(key)) return fallback;
    const v = this.state[key];
    return Array.isArray(v) && v.every((x) => typeof x === 'number') ? [...(v as number[])] : this.bad(key, 'a list of numbers');
  }

  /** An object of plain values, copied one level deep. */
  objects<T extends object>(key: string, fallback: T[]): T[] {
    if (!this.has(key)) return fallback;
    const v = this.state[key];
    return Array.isArray(v) && v.every((x) => x !== null && typeof x === 'object') ? v.map((x) => ({ ...(x as T) })) : this.bad(key, 'a list of objects');
  }
}
