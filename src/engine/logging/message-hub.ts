// MessageHub: the scalars (as HistoryBuffers) and runtime info that hooks, loops and the log processor share, as MMEngine's.
import { HistoryBuffer, type HistoryBufferState } from './history-buffer.js';
import { printLog } from './logger.js';

/** What a scalar may be given as: a number or a one-element tensor (anything with `item()`). */
export type ScalarLike = number | { item(): number; numel?: number | (() => number) };

/** `updateScalars` also takes `{ value, count }` per key, as MMEngine's update_scalars. */
export type ScalarRecord = Record<string, ScalarLike | { value: ScalarLike; count?: number }>;

/** The JSON-serialisable state: only resumed keys' scalars and info travel (MMEngine's keys). */
export interface MessageHubState {
  log_scalars: Record<string, HistoryBufferState>;
  runtime_info: Record<string, unknown>;
  resumed_keys: Record<string, boolean>;
}

export interface MessageHubInit {
  logScalars?: Record<string, HistoryBuffer>;
  runtimeInfo?: Record<string, unknown>;
  resumedKeys?: Record<string, boolean>;
}

/** The default instance's name when none was made (MMEngine: 'mmengine'). */
export const DEFAULT_INSTANCE_NAME = 'segkit';

function toNumber(key: string, value: ScalarLike): number {
  if (typeof value === 'number') return value;
  if (value !== null && typeof value === 'object' && typeof value.item === 'function') {
    const numel = typeof value.numel === 'function' ? value.numel() : value.numel;
    if (numel !== undefined && numel !== 1) throw new TypeError(`MessageHub: '${key}' must be a single value, got a tensor of ${numel} elements`);
    return value.item();
  }
  throw new TypeError(`MessageHub: '${key}' must be a number or a one-element tensor, got ${value === null ? 'null' : typeof value}`);
}

function checkCount(key: string, count: unknown): number {
  if (!Number.isInteger(count)) throw new TypeError(`MessageHub: the count of '${key}' must be an integer, got ${String(count)}`);
  return count as number;
}

/** Whether structuredClone copies `value` faithfully (plain data; class instances would lose their class). */
function isPlainData(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return typeof value !== 'function' && typeof value !== 'symbol';
  if (Array.isArray(value)) return value.every(isPlainData);
  if (value instanceof Map) return [...value].every(([k, v]) => isPlainData(k) && isPlainData(v));
  if (value instanceof Set) return [...value].every(isPlainData);
  if (value instanceof Date || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return true;
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && Object.values(value).every(isPlainData);
}

/** A deep copy of plain data; anything else is kept by reference, with MMEngine's warning. */
function copyOrReference(key: string, value: unknown): unknown {
  if (isPlainData(value)) return structuredClone(value);
  printLog(`${key} in message_hub cannot be copied, just return its reference.`, 'current', 'WARNING');
  return value;
}

export class MessageHub {
  static readonly #instances = new Map<string, MessageHub>();

  readonly instanceName: string;
  #logScalars = new Map<string, HistoryBuffer>();
  #runtimeInfo = new Map<string, unknown>();
  #resumedKeys = new Map<string, boolean>();

  /** A plain hub; only `getInstance` makes it reachable process-wide. */
  constructor(name: string, init: MessageHubInit = {}) {
    if (typeof name !== 'string' || name === '') throw new TypeError('MessageHub: name must be a non-empty string');
    this.instanceName = name;
    for (const [k, v] of Object.entries(init.logScalars ?? {})) {
      if (!(v instanceof HistoryBuffer)) throw new TypeError(`MessageHub: log_scalars.${k} must be a HistoryBuffer`);
      this.#logScalars.set(k, v);
    }
    for (const [k, v] of Object.entries(init.runtimeInfo ?? {})) this.#runtimeInfo.set(k, v);
    for (const [k, v] of Object.entries(init.resumedKeys ?? {})) {
      if (!this.#logScalars.has(k) && !this.#runtimeInfo.has(k)) {
        throw new RangeError(`MessageHub: resumed key '${k}' is in neither log_scalars nor runtime_info`);
      }
      this.#resumedKeys.set(k, v);
    }
  }

  /** The hub named `name`, made on first use (MMEngine's ManagerMixin.get_instance). */
  static getInstance(name: string, init?: MessageHubInit): MessageHub {
    let hub = MessageHub.#instances.get(name);
    if (!hub) {
      hub = new MessageHub(name, init);
      MessageHub.#instances.set(name, hub);
    } else if (init) {
      printLog(`MessageHub '${name}' already exists; getInstance ignores the other arguments`, 'current', 'WARNING');
    }
    return hub;
  }

  /** The most recently made instance; a 'segkit' one when none was made yet. */
  static getCurrentInstance(): MessageHub {
    if (MessageHub.#instances.size === 0) MessageHub.getInstance(DEFAULT_INSTANCE_NAME);
    return [...MessageHub.#instances.values()].at(-1)!;
  }

  static checkInstanceCreated(name: string): boolean {
    return MessageHub.#instances.has(name);
  }

  /** Forgets every process-wide instance (for tests and for a second run in one process). */
  static clearInstances(): void {
    MessageHub.#instances.clear();
  }

  /** Appends `value` (weighted by `count`) to the `key` buffer, making it on first use. */
  updateScalar(key: string, value: ScalarLike, count = 1, resumed = true): void {
    this.#setResumed(key, resumed);
    const v = toNumber(key, value);
    checkCount(key, count);
    const buffer = this.#logScalars.get(key);
    if (buffer) buffer.update(v, count);
    else this.#logScalars.set(key, new HistoryBuffer([v], [count]));
  }

  /** `updateScalar` for each key; a value may be `{ value, count }`. */
  updateScalars(record: ScalarRecord, resumed = true): void {
    if (record === null || typeof record !== 'object') throw new TypeError('MessageHub.updateScalars: expected an object of scalars');
    for (const [key, entry] of Object.entries(record)) {
      if (entry !== null && typeof entry === 'object' && 'value' in entry) {
        this.updateScalar(key, entry.value, checkCount(key, entry.count ?? 1), resumed);
      } else {
        this.updateScalar(key, entry as ScalarLike, 1, resumed);
      }
    }
  }

  /** Sets runtime info `key` (overwritten on each call). */
  updateInfo(key: string, value: unknown, resumed = true): void {
    this.#setResumed(key, resumed);
    this.#runtimeInfo.set(key, value);
  }

  updateInfoDict(info: Record<string, unknown>, resumed = true): void {
    for (const [k, v] of Object.entries(info)) this.updateInfo(k, v, resumed);
  }

  /** Removes runtime info `key`, returning its value (or `defaultValue`). */
  popInfo<T = unknown>(key: string, defaultValue?: T): T | undefined {
    if (!this.#runtimeInfo.has(key)) return defaultValue;
    const v = this.#runtimeInfo.get(key) as T;
    this.#runtimeInfo.delete(key);
    return v;
  }

  #setResumed(key: string, resumed: boolean): void {
    const had = this.#resumedKeys.get(key);
    if (had === undefined) this.#resumedKeys.set(key, resumed);
    else if (had !== resumed) {
      throw new Error(`MessageHub: '${key}' was logged with resumed=${had}, now resumed=${resumed}; a key's resumed flag cannot change`);
    }
  }

  /** Every buffer by key, in the order first logged (live references). */
  get logScalars(): ReadonlyMap<string, HistoryBuffer> {
    return this.#logScalars;
  }

  /** Every runtime info by key, in the order first set (live). */
  get runtimeInfo(): ReadonlyMap<string, unknown> {
    return this.#runtimeInfo;
  }

  get resumedKeys(): ReadonlyMap<string, boolean> {
    return this.#resumedKeys;
  }

  /** The buffer of `key` (a reference, not a copy). */
  getScalar(key: string): HistoryBuffer {
    const buffer = this.#logScalars.get(key);
    if (!buffer) throw new RangeError(`MessageHub '${this.instanceName}': no scalar '${key}' (logged: ${[...this.#logScalars.keys()].join(', ') || 'none'})`);
    return buffer;
  }

  getInfo<T = unknown>(key: string, defaultValue?: T): T | undefined {
    return this.#runtimeInfo.has(key) ? (this.#runtimeInfo.get(key) as T) : defaultValue;
  }

  /** The resumed keys' scalars (as buffer states) and runtime info, plus every key's resumed flag. */
  stateDict(): MessageHubState {
    const state: MessageHubState = { log_scalars: {}, runtime_info: {}, resumed_keys: Object.fromEntries(this.#resumedKeys) };
    for (const [k, buffer] of this.#logScalars) {
      if (this.#resumedKeys.get(k)) state.log_scalars[k] = buffer.stateDict();
    }
    for (const [k, v] of this.#runtimeInfo) {
      if (this.#resumedKeys.get(k)) state.runtime_info[k] = copyOrReference(k, v);
    }
    return state;
  }

  /**
   * Loads what `stateDict` gave (or another hub, copied whole). Scalars that are not buffer states
   * are skipped with a warning; resumed flags for keys that are not there are skipped too.
   */
  loadStateDict(state: MessageHubState | MessageHub): void {
    if (state instanceof MessageHub) {
      this.#logScalars = new Map([...state.#logScalars].map(([k, b]) => [k, b.clone()]));
      this.#runtimeInfo = new Map([...state.#runtimeInfo].map(([k, v]) => [k, copyOrReference(k, v)]));
      this.#resumedKeys = new Map(state.#resumedKeys);
      return;
    }
    for (const key of ['log_scalars', 'runtime_info', 'resumed_keys'] as const) {
      if (state?.[key] === null || typeof state?.[key] !== 'object') {
        throw new TypeError(`MessageHub.loadStateDict: the state must have an object '${key}'`);
      }
    }
    for (const [k, v] of Object.entries(state.log_scalars)) {
      if (v instanceof HistoryBuffer) this.#logScalars.set(k, v.clone());
      else if (HistoryBuffer.isState(v)) this.#logScalars.set(k, HistoryBuffer.fromStateDict(v));
      else printLog(`${k} in message_hub is not HistoryBuffer, just skip resuming it.`, 'current', 'WARNING');
    }
    for (const [k, v] of Object.entries(state.runtime_info)) this.#runtimeInfo.set(k, copyOrReference(k, v));
    for (const [k, resumed] of Object.entries(state.resumed_keys)) {
      if (!this.#logScalars.has(k) && !this.#runtimeInfo.has(k)) {
        printLog(`resumed key: ${k} is not defined in message_hub, just skip resuming this key.`, 'current', 'WARNING');
        continue;
      }
      if (!resumed) {
        printLog(`Although resumed key: ${k} is False, ${k} will still be loaded this time. This key will not be saved by the next calling of \`MessageHub.stateDict()\``, 'current', 'WARNING');
      }
      this.#resumedKeys.set(k, resumed);
    }
  }
}
