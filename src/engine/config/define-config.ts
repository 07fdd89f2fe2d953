// What TypeScript config files import: defineConfig for typed sections, base() for typed base values.
import type { SegkitConfig } from './config-types.js';

export type * from './config-types.js';

/**
 * Types a config file's object for editor completion and returns it unchanged:
 * `export default defineConfig({ _base_: ['../_base_/schedule.ts'], train_cfg: { max_iters: 1000 } })`.
 */
export function defineConfig<T extends SegkitConfig>(cfg: T): T {
  return cfg;
}

// Symbol.for, not a private symbol: a config file may load its own copy of this module.
const BASE_REF = Symbol.for('segkit.config.baseRef');

/**
 * The typed form of `'{{_base_.model.decode_head.num_classes}}'`: stands for the value at `path`
 * in this file's merged bases and is replaced by it (with its type) when the config loads:
 * `num_classes: base<number>('model.decode_head.num_classes')`. A base file's own exports can
 * also be imported directly (`import schedule from './_base_/schedule.js'`), but that object is
 * the file as written, without its own `_base_` merged in.
 */
export function base<T = unknown>(path: string): T {
  return new BaseRef(path) as unknown as T;
}

// A class instance, not a plain dict: config copies share it instead of looking inside.
class BaseRef {
  readonly [BASE_REF]: string;
  constructor(path: string) {
    this[BASE_REF] = path;
    Object.freeze(this);
  }
  toString(): string {
    return `base('${this[BASE_REF]}')`;
  }
}

/** The path of a base() marker, or undefined for any other value. */
export function baseRefPath(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const path = (v as Record<symbol, unknown>)[BASE_REF];
  return typeof path === 'string' ? path : undefined;
}
