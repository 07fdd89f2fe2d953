// MMEngine's inheritance merge: dicts merge key by key, anything else (lists too) replaces,
// and `_delete_: true` in a child dict replaces the base dict instead of merging into it.
import { ConfigError, type KeyPath } from './errors.js';
import type { KeySources } from './key-sources.js';
import { isPlainObject, kindOf, type ConfigDict } from './values.js';

export const DELETE_KEY = '_delete_';

export interface MergeContext {
  /** The file (or '--cfg-options') the child values come from; errors and key sources name it. */
  source: string;
  /** Updated with the key paths the child sets. */
  sources?: KeySources;
  /** Where `child` and `base` sit in the whole config. */
  keyPath?: KeyPath;
  /** Digit keys of a child dict address the items of a base list (merge_from_dict, cfg-options). */
  allowListKeys?: boolean;
}

/** Removes every `_delete_` key below `v` (in place; `v` is already a private copy). */
export function stripDeleteKeys<T>(v: T): T {
  if (Array.isArray(v)) v.forEach(stripDeleteKeys);
  else if (isPlainObject(v)) {
    delete v[DELETE_KEY];
    Object.values(v).forEach(stripDeleteKeys);
  }
  return v;
}

/**
 * Returns `base` with `child` merged in; neither input is modified. A child dict whose key holds a
 * non-dict in the base cannot merge into it (as in MMEngine) unless it sets `_delete_: true`.
 */
export function mergeConfig(child: ConfigDict, base: ConfigDict, ctx: MergeContext): ConfigDict {
  const keyPath = ctx.keyPath ?? [];
  const out: ConfigDict = { ...base };
  for (const [key, value] of Object.entries(child)) {
    if (key === DELETE_KEY) continue;
    const path = [...keyPath, key];
    const inBase = Object.hasOwn(out, key);
    if (isPlainObject(value) && inBase && !value[DELETE_KEY]) {
      const baseValue = out[key];
      if (ctx.allowListKeys && Array.isArray(baseValue)) {
        out[key] = mergeIntoList(value, baseValue, { ...ctx, keyPath: path });
        continue;
      }
      if (!isPlainObject(baseValue)) {
        const from = ctx.sources?.lookup(path);
        throw new ConfigError(path,
          `is a dict here but ${kindOf(baseValue)} in the base${from && from !== ctx.source ? ` (${from})` : ''}, so it cannot be merged; ` +
          `add ${DELETE_KEY}: true to replace the base value`, ctx.source);
      }
      ctx.sources?.touch(path, Object.keys(baseValue), ctx.source);
      out[key] = mergeConfig(value, baseValue, { ...ctx, keyPath: path });
    } else {
      ctx.sources?.set(path, ctx.source);
      out[key] = stripDeleteKeys(value);
    }
  }
  return out;
}

/** `{ '1': {...} }` merged into a list: each digit key merges into (or replaces) that item. */
function mergeIntoList(child: ConfigDict, base: readonly unknown[], ctx: MergeContext): unknown[] {
  const keyPath = ctx.keyPath ?? [];
  const out = [...base];
  for (const [key, value] of Object.entries(child)) {
    if (key === DELETE_KEY) continue;
    if (!/^\d+$/.test(key)) {
      throw new ConfigError(keyPath, `is a list of ${base.length}, so the next key must be an index 0..${base.length - 1}, got '${key}'`, ctx.source);
    }
    const index = Number(key);
    if (index >= base.length) throw new ConfigError([...keyPath, index], `index ${index} is past the end of the list (length ${base.length})`, ctx.source);
    const item = out[index];
    if (isPlainObject(value) && !value[DELETE_KEY] && isPlainObject(item)) {
      ctx.sources?.touch([...keyPath, index], Object.keys(item), ctx.source);
      out[index] = mergeConfig(value, item, { ...ctx, keyPath: [...keyPath, index] });
    } else {
      ctx.sources?.set([...keyPath, index], ctx.source);
      out[index] = stripDeleteKeys(value);
    }
  }
  return out;
}
