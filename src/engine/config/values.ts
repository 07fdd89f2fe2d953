// Small helpers over config values: plain-object tests, deep copies, key-path walking, display.
import { isAbsolute, relative } from 'node:path';
import { ConfigError, type KeyPath } from './errors.js';

export type ConfigDict = Record<string, unknown>;

/** A `{...}` literal (or a null-prototype dict): the only objects that config merging looks into. */
export function isPlainObject(v: unknown): v is ConfigDict {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Copies dicts and lists (so later merges never touch a module's exported object); classes,
 * functions and other instances are shared. A dict that contains itself is an error, not a hang.
 */
export function deepCopy<T>(v: T, keyPath: KeyPath = [], seen: Set<object> = new Set()): T {
  if (!Array.isArray(v) && !isPlainObject(v)) return v;
  if (seen.has(v)) throw new ConfigError(keyPath, 'refers back to a dict or list that contains it');
  seen.add(v);
  const out: unknown = Array.isArray(v)
    ? v.map((x, i) => deepCopy(x, [...keyPath, i], seen))
    : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deepCopy(x, [...keyPath, k], seen)]));
  seen.delete(v);
  return out as T;
}

/** Splits 'a.b.0.c' into ['a', 'b', '0', 'c']; a KeyPath is returned as it is (for keys containing dots). */
export function toKeyPath(path: string | KeyPath): KeyPath {
  return typeof path === 'string' ? (path === '' ? [] : path.split('.')) : path;
}

const INDEX = /^\d+$/;

/** The value at `path` ('0' or 0 index lists), or undefined when some step is missing. */
export function getAt(root: unknown, path: KeyPath): unknown {
  let node = root;
  for (const seg of path) {
    if (Array.isArray(node)) {
      const key = String(seg);
      if (!INDEX.test(key)) return undefined;
      node = node[Number(key)];
    } else if (isPlainObject(node)) {
      if (!Object.hasOwn(node, String(seg))) return undefined;
      node = node[String(seg)];
    } else {
      return undefined;
    }
  }
  return node;
}

/** How a value reads in an error message: strings quoted, containers by kind, classes by name. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'function') return `${/^class\b/.test(Function.prototype.toString.call(v)) ? 'class' : 'function'} ${v.name || '(anonymous)'}`;
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (isPlainObject(v)) return 'a dict';
  if (v !== null && typeof v === 'object') return `an instance of ${v.constructor?.name ?? 'an unknown class'}`;
  return String(v);
}

/** The kind of a container, for "cannot index into ..." messages. */
export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (isPlainObject(v)) return 'a dict';
  if (typeof v === 'function') return 'a class or function';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** A path as errors show it: relative to the working directory when below it. */
export function displayPath(absPath: string): string {
  const rel = relative(process.cwd(), absPath);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : absPath;
}
