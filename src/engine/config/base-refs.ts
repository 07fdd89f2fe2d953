// Replaces references to base values (`'{{_base_.a.b}}'` strings and `base('a.b')` markers) and
// MMEngine's predefined variables (`{{fileDirname}}`, ...) inside one config file's values.
import { basename, dirname, extname } from 'node:path';
import { ConfigError, type KeyPath } from './errors.js';
import { baseRefPath } from './define-config.js';
import { deepCopy, describeValue, isPlainObject, type ConfigDict } from './values.js';

const WHOLE_REF = /^\{\{\s*_base_\.([\w.]+)\s*\}\}$/;
const ANY_REF = /\{\{\s*_base_\.([\w.]+)\s*\}\}/g;
const PREDEFINED = /\{\{\s*(fileDirname|fileBasename|fileBasenameNoExtension|fileExtname)\s*\}\}/g;

export interface RefContext {
  /** The merged bases of the file being loaded; undefined when it has no `_base_`. */
  bases: ConfigDict | undefined;
  /** The absolute path of the file being loaded (for predefined variables). */
  absPath: string;
  /** The file as errors show it. */
  file: string;
}

function predefined(name: string, absPath: string): string {
  const ext = extname(absPath);
  switch (name) {
    case 'fileDirname': return dirname(absPath);
    case 'fileBasename': return basename(absPath);
    case 'fileBasenameNoExtension': return basename(absPath, ext);
    default: return ext;
  }
}

/** Looks `refPath` ('model.decode_head.num_classes') up in the bases; errors name where it was used. */
function lookupBase(refPath: string, written: string, keyPath: KeyPath, ctx: RefContext): unknown {
  if (!ctx.bases) throw new ConfigError(keyPath, `${written} refers to a base value, but this file has no _base_`, ctx.file);
  let node: unknown = ctx.bases;
  const walked: string[] = ['_base_'];
  for (const seg of refPath.split('.')) {
    const found = Array.isArray(node) ? /^\d+$/.test(seg) && Number(seg) < node.length
      : isPlainObject(node) && Object.hasOwn(node, seg);
    if (!found) {
      throw new ConfigError(keyPath, `${written} refers to a missing key: ${walked.join('.')} ${
        Array.isArray(node) || isPlainObject(node) ? `has no '${seg}'` : `is ${describeValue(node)}, not a dict or list`}`, ctx.file);
    }
    node = (node as Record<string, unknown>)[seg];
    walked.push(seg);
  }
  return deepCopy(node);
}

function substituteString(s: string, keyPath: KeyPath, ctx: RefContext): unknown {
  const text = s.includes('{{') ? s.replace(PREDEFINED, (_, name: string) => predefined(name, ctx.absPath)) : s;
  if (!text.includes('_base_')) return text;
  const whole = WHOLE_REF.exec(text);
  // A whole-string reference takes the base value with its type (a number stays a number).
  if (whole) return lookupBase(whole[1]!, `'${text}'`, keyPath, ctx);
  return text.replace(ANY_REF, (written, refPath: string) => {
    const value = lookupBase(refPath, `'${written}'`, keyPath, ctx);
    if (value !== null && typeof value === 'object' || typeof value === 'function' || value === undefined) {
      throw new ConfigError(keyPath, `'${written}' inside a longer string must refer to a string, number or boolean, got ${describeValue(value)}`, ctx.file);
    }
    return String(value);
  });
}

/** Returns `v` with every reference replaced (dicts and lists are updated in place: `v` is a private copy). */
export function substituteRefs(v: unknown, ctx: RefContext, keyPath: KeyPath = []): unknown {
  const marker = baseRefPath(v);
  if (marker !== undefined) return lookupBase(marker, `base('${marker}')`, keyPath, ctx);
  if (typeof v === 'string') return substituteString(v, keyPath, ctx);
  if (Array.isArray(v)) {
    v.forEach((x, i) => { v[i] = substituteRefs(x, ctx, [...keyPath, i]); });
  } else if (isPlainObject(v)) {
    for (const [k, x] of Object.entries(v)) v[k] = substituteRefs(x, ctx, [...keyPath, k]);
  }
  return v;
}
