// `--cfg-options a.b.0.c=v` overrides, parsed and applied as MMEngine's DictAction and
// Config.merge_from_dict do (list indices into existing lists, nested dicts created on the way).
import { ConfigError, type KeyPath } from './errors.js';
import type { KeySources } from './key-sources.js';
import { DELETE_KEY, mergeConfig, stripDeleteKeys } from './merge.js';
import { deepCopy, describeValue, isPlainObject, kindOf, type ConfigDict } from './values.js';

export const CFG_OPTIONS_SOURCE = '--cfg-options';

const INT = /^[+-]?\d+(_\d+)*$/;
const FLOAT = /^[+-]?((\d+(_\d+)*)?\.?\d+(_\d+)*|\d+(_\d+)*\.)(e[+-]?\d+(_\d+)*)?$/i;
const SPECIAL_FLOAT = /^[+-]?(inf|infinity|nan)$/i;

/** A single value as Python's int(), float(), 'true'/'false' (any case) and 'None' read it; else the string. */
function parseScalar(text: string): unknown {
  if (INT.test(text)) return Number(text.replaceAll('_', ''));
  if (FLOAT.test(text)) return Number(text.replaceAll('_', ''));
  if (SPECIAL_FLOAT.test(text)) return text.toLowerCase().includes('nan') ? NaN : text.startsWith('-') ? -Infinity : Infinity;
  if (text.toLowerCase() === 'true') return true;
  if (text.toLowerCase() === 'false') return false;
  if (text === 'None') return null;
  return text;
}

const isQuote = (c: string | undefined): boolean => c === '"' || c === "'";

/** `'abc'` or `"a b"` as a whole: the text between the quotes, or undefined. */
function unquote(text: string): string | undefined {
  const q = text[0];
  if (text.length < 2 || !isQuote(q) || text.at(-1) !== q || text.slice(1, -1).includes(q!)) return undefined;
  return text.slice(1, -1);
}

/** Splits at commas outside brackets and quotes; checks that brackets balance. */
function splitTopLevel(text: string, whole: string): string[] {
  const parts: string[] = [];
  const stack: string[] = [];
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) { if (c === quote) quote = undefined; continue; }
    if (isQuote(c)) quote = c;
    else if (c === '[' || c === '(') stack.push(c === '[' ? ']' : ')');
    else if (c === ']' || c === ')') {
      if (stack.pop() !== c) throw new Error(`unbalanced brackets in '${whole}'`);
    } else if (c === ',' && stack.length === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (stack.length || quote) throw new Error(`unbalanced ${quote ? 'quotes' : 'brackets'} in '${whole}'`);
  parts.push(text.slice(start));
  // '(1,)' and '1,' end in a comma that starts no element, as in MMEngine.
  if (parts.length > 1 && parts.at(-1) === '') parts.pop();
  return parts;
}

function removeSpacesOutsideQuotes(text: string): string {
  let out = '';
  let quote: string | undefined;
  for (const c of text) {
    if (quote) { if (c === quote) quote = undefined; }
    else if (isQuote(c)) quote = c;
    else if (/\s/.test(c)) continue;
    out += c;
  }
  return out;
}

function parseIn(text: string, whole: string): unknown {
  const quoted = unquote(text);
  if (quoted !== undefined) return quoted;
  let inner: string;
  if ((text.startsWith('[') && text.endsWith(']')) || (text.startsWith('(') && text.endsWith(')'))) inner = text.slice(1, -1);
  else if (splitTopLevel(text, whole).length > 1) inner = text;
  else return parseScalar(text);
  // Tuples become lists: JavaScript has one sequence type.
  return inner === '' ? [] : splitTopLevel(inner, whole).map((part) => parseIn(part, whole));
}

/**
 * Parses one value as DictAction does: int, float, true/false, None, `[a,b]` lists, `(a,b)` tuples
 * (as lists), `a,b` (a list), nested brackets. Unlike MMEngine, a value in quotes stays the string
 * between them, spaces included (`'"1"'` is the string '1'; MMEngine strips the quotes and the spaces).
 */
export function parseCfgValue(text: string): unknown {
  return parseIn(removeSpacesOutsideQuotes(text.trim()), text);
}

/** `['a.b=1', 'c=[1,2]']` -> `{ 'a.b': 1, c: [1, 2] }`; later options win. */
export function parseCfgOptions(args: readonly string[]): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new ConfigError([], `expected KEY=VALUE, got '${arg}'`, CFG_OPTIONS_SOURCE);
    const key = arg.slice(0, eq).trim();
    try {
      options[key] = parseCfgValue(arg.slice(eq + 1));
    } catch (err) {
      throw new ConfigError(key.split('.'), (err as Error).message, CFG_OPTIONS_SOURCE);
    }
  }
  return options;
}

export interface SetOptions {
  /** Merge a dict value into an existing dict (cfg-options) instead of replacing it (set). */
  merge: boolean;
  source: string;
  sources?: KeySources;
}

/** Sets `value` at `segments` inside `root` (modified in place), creating dicts on the way. */
export function setAtPath(root: ConfigDict, segments: readonly string[], value: unknown, opts: SetOptions): void {
  const fail = (path: KeyPath, detail: string): never => { throw new ConfigError(path, detail, opts.source); };
  if (segments.length === 0 || segments.some((s) => s === '')) fail(segments, `'${segments.join('.')}' is not a key path`);
  let node: ConfigDict | unknown[] = root;
  const path: (string | number)[] = [];
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    let key: string | number = seg;
    if (Array.isArray(node)) {
      if (!/^\d+$/.test(seg)) fail(path, `is a list of ${node.length}, so the next key must be an index 0..${node.length - 1}, got '${seg}'`);
      key = Number(seg);
      if (key >= node.length) fail([...path, key], `index ${key} is past the end of the list (length ${node.length})`);
    }
    path.push(key);
    const holder = node as Record<string | number, unknown>;
    if (i === segments.length - 1) {
      const existing = holder[key];
      if (opts.merge && isPlainObject(value) && !value[DELETE_KEY] && isPlainObject(existing)) {
        holder[key] = mergeConfig(deepCopy(value), existing, { source: opts.source, sources: opts.sources, keyPath: path, allowListKeys: true });
      } else {
        holder[key] = stripDeleteKeys(deepCopy(value));
        opts.sources?.set(path, opts.source);
      }
      return;
    }
    let next = holder[key];
    if (next === undefined && !Array.isArray(node)) next = holder[key] = {};
    if (!Array.isArray(next) && !isPlainObject(next)) {
      fail(path, `is ${describeValue(next)} (${kindOf(next)}), so '${segments[i + 1]}' cannot be set inside it`);
    }
    node = next as ConfigDict | unknown[];
  }
}

/**
 * Returns a copy of `cfg` with the options applied in order (keys are dotted paths; digits index
 * existing lists). Errors name the option's key path.
 */
export function applyCfgOptions(cfg: ConfigDict, options: Record<string, unknown>, sources?: KeySources,
  source: string = CFG_OPTIONS_SOURCE): ConfigDict {
  const out = deepCopy(cfg);
  for (const [key, value] of Object.entries(options)) setAtPath(out, key.split('.'), value, { merge: true, source, sources });
  return out;
}
