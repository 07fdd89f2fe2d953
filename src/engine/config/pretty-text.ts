// Writes a merged config as a readable TypeScript object literal (for print-config and .ts dumps)
// and as JSON-safe data; classes and functions appear by name.
import { ConfigError, type KeyPath } from './errors.js';
import { isPlainObject } from './values.js';

const WIDTH = 100;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** A string literal in single quotes, or double quotes when that needs fewer escapes. */
function quote(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  const special = q === "'" ? /[\\'\u0000-\u001f\u2028\u2029\u007f]/g : /[\\"\u0000-\u001f\u2028\u2029\u007f]/g;
  return `${q}${s.replace(special, (c) => {
    switch (c) {
      case '\\': return '\\\\';
      case "'": return "\\'";
      case '"': return '\\"';
      case '\n': return '\\n';
      case '\r': return '\\r';
      case '\t': return '\\t';
      default: return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
    }
  })}${q}`;
}

/** What a class, function or non-dict object is shown as: its name, as a string. */
function nameOf(v: object | ((...args: never[]) => unknown)): string {
  if (typeof v === 'function') return v.name || '(anonymous function)';
  if (v instanceof Date) return v.toISOString();
  return `<${v.constructor?.name ?? 'object'} instance>`;
}

function formatNumber(n: number): string {
  return Object.is(n, -0) ? '-0' : String(n);
}

function formatKey(k: string): string {
  return IDENTIFIER.test(k) ? k : quote(k);
}

/** `lead`: how many characters come before the value on its first line. */
function format(v: unknown, indent: string, lead: number): string {
  if (v === undefined) return 'undefined';
  if (v === null || typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'symbol') return quote(v.toString());
  if (typeof v === 'function' || (!Array.isArray(v) && !isPlainObject(v))) return quote(nameOf(v as object));
  const inner = indent + '  ';
  const items = Array.isArray(v)
    ? v.map((x) => format(x, inner, inner.length))
    : Object.entries(v).map(([k, x]) => `${formatKey(k)}: ${format(x, inner, inner.length + formatKey(k).length + 2)}`);
  const [open, close] = Array.isArray(v) ? ['[', ']'] : ['{', '}'];
  if (items.length === 0) return open + close;
  const oneLine = Array.isArray(v) ? `[${items.join(', ')}]` : `{ ${items.join(', ')} }`;
  // Containers that fit stay on one line (with a comma after them).
  if (!oneLine.includes('\n') && lead + oneLine.length < WIDTH) return oneLine;
  return `${open}\n${items.map((s) => `${inner}${s},`).join('\n')}\n${indent}${close}`;
}

/** The config as an `export default {...};` TypeScript module. */
export function toTypeScript(cfg: Record<string, unknown>, header?: string): string {
  const body = Object.entries(cfg).map(([k, v]) => `  ${formatKey(k)}: ${format(v, '  ', 4 + formatKey(k).length)},`).join('\n');
  return `${header ? `// ${header}\n` : ''}export default {\n${body}${body ? '\n' : ''}};\n`;
}

/**
 * A copy that JSON.stringify writes faithfully: classes and functions by name, undefined dropped
 * from dicts. Numbers JSON cannot hold (NaN, Infinity) are an error naming the key path.
 */
export function toJsonSafe(v: unknown, keyPath: KeyPath = []): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new ConfigError(keyPath, `${v} cannot be written as JSON; dump to .ts instead`);
    return v;
  }
  if (v === undefined) return null;
  if (typeof v === 'bigint') throw new ConfigError(keyPath, `the bigint ${v}n cannot be written as JSON; dump to .ts instead`);
  if (Array.isArray(v)) return v.map((x, i) => toJsonSafe(x, [...keyPath, i]));
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toJsonSafe(x, [...keyPath, k]);
    return out;
  }
  return nameOf(v as object);
}
