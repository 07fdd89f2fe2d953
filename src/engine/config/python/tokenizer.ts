// Splits a Python config into tokens as Python's tokenizer does for the literal subset configs
// use: names, numbers, strings (all quote styles, escapes, raw), operators, logical newlines.
import type { PySource } from './source.js';

export type Token =
  | { kind: 'name'; value: string; pos: number }
  | { kind: 'number'; value: number; isFloat: boolean; pos: number }
  | { kind: 'string'; value: string; pos: number }
  /** An f-string: literal text and the source ranges of its `{expression}` fields. */
  | { kind: 'fstring'; parts: FStringPart[]; pos: number }
  | { kind: 'op'; value: string; pos: number }
  /** MMEngine's `{{_base_.a.b}}` written outside a string: `path` is 'a.b'. */
  | { kind: 'baseref'; value: string; pos: number }
  /** Leading whitespace of a statement line; the parser rejects it after reporting what came before. */
  | { kind: 'indent'; pos: number }
  | { kind: 'newline'; pos: number }
  | { kind: 'eof'; pos: number };

/** Literal text, or the offsets [start, end) of a replacement field's expression. */
export type FStringPart = string | { start: number; end: number };

const D = String.raw`\d(?:_?\d)*`;
const FLOAT = new RegExp(String.raw`(?:(?:${D})?\.${D}|${D}\.)(?:[eE][+-]?${D})?|${D}[eE][+-]?${D}`, 'y');
const INT = /0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|[1-9](?:_?\d)*|0(?:_?0)*/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const STRING_START = /([rRuUbBfF]{0,2})(['"])/y;
const BASE_REF = /\{\{\s*_base_\.([\w.]+)\s*\}\}/y;
const PREDEFINED = /\{\{\s*(fileDirname|fileBasename|fileBasenameNoExtension|fileExtname)\s*\}\}/y;
const OPS = ['**=', '//=', '>>=', '<<=', '...', '**', '//', '==', '!=', '<=', '>=', '->', ':=', '+=', '-=', '*=', '/=', '%=',
  '&=', '|=', '^=', '@=', '<<', '>>', '+', '-', '*', '/', '%', '@', '&', '|', '^', '~', '<', '>', '(', ')', '[', ']', '{', '}',
  ',', ':', '.', ';', '=', '!'];
const CLOSING: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

function parseNumber(text: string): number {
  const t = text.replace(/_/g, '');
  if (/^0[xXoObB]/.test(t)) return Number(t);
  return Number(t);
}

/** Decodes the body of a non-raw string literal (Python's escape sequences). */
function unescape(body: string, src: PySource, start: number): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = body[i + 1];
    const simple: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '' };
    if (n !== undefined && n in simple) {
      out += simple[n];
      i++;
    } else if (n !== undefined && /[0-7]/.test(n)) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i + 1))![0];
      out += String.fromCodePoint(parseInt(m, 8));
      i += m.length;
    } else if (n === 'x' || n === 'u' || n === 'U') {
      const len = n === 'x' ? 2 : n === 'u' ? 4 : 8;
      const hex = body.slice(i + 2, i + 2 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) throw src.error(start + i, `truncated \\${n}${'X'.repeat(len)} escape in a string`);
      out += String.fromCodePoint(parseInt(hex, 16));
      i += 1 + len;
    } else if (n === 'N') {
      throw src.error(start + i, 'the \\N{...} escape (a Unicode character by name) is not supported; write the character itself');
    } else {
      // Python keeps unknown escapes as written (with a DeprecationWarning).
      out += '\\';
    }
  }
  return out;
}

/**
 * Splits an f-string's body (from `start` in the source) into literal text and replacement
 * fields; `{{`/`}}` are braces. Conversions (`!r`) and format specs (`:>4`) are rejected.
 */
function fstringParts(body: string, start: number, raw: boolean, src: PySource): FStringPart[] {
  const parts: FStringPart[] = [];
  let literal = '';
  let litStart = 0;
  const flush = (): void => {
    if (literal) parts.push(raw ? literal : unescape(literal, src, start + litStart));
    literal = '';
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if ((c === '{' || c === '}') && body[i + 1] === c) {
      if (!literal) litStart = i;
      literal += c;
      i++;
      continue;
    }
    if (c === '}') throw src.error(start + i, "f-string: single '}' is not allowed");
    if (c !== '{') {
      if (!literal) litStart = i;
      literal += c;
      continue;
    }
    flush();
    let depth = 0;
    let quote = '';
    let j = i + 1;
    for (; j < body.length; j++) {
      const d = body[j]!;
      if (quote) {
        if (d === quote) quote = '';
      } else if (d === "'" || d === '"') {
        quote = d;
      } else if ('([{'.includes(d)) {
        depth++;
      } else if (depth > 0 && ')]}'.includes(d)) {
        depth--;
      } else if (depth === 0 && (d === '}' || d === ':' || (d === '!' && body[j + 1] !== '='))) {
        break;
      }
    }
    if (j >= body.length) throw src.error(start + i, "f-string: expecting '}'");
    if (body[j] !== '}') throw src.error(start + j, `f-string conversions and format specs ('${body[j]}...') are not supported in a config read without Python; write {name} alone`);
    if (!body.slice(i + 1, j).trim()) throw src.error(start + i, 'f-string: empty expression not allowed');
    parts.push({ start: start + i + 1, end: start + j });
    i = j;
  }
  flush();
  return parts;
}

/**
 * Returns the tokens of `src`; syntax errors name file:line:column. With `range`, only the text
 * in [start, end) is read, as one bracketed expression (an f-string's replacement field).
 */
export function tokenize(src: PySource, range?: { start: number; end: number }): Token[] {
  const text = range ? src.text.slice(0, range.end) : src.text;
  const tokens: Token[] = [];
  // Inside a replacement field, newlines and indentation do not count, as inside brackets.
  const brackets: { char: string; pos: number }[] = range ? [{ char: '', pos: range.start }] : [];
  let pos = range ? range.start : text.startsWith('\uFEFF') ? 1 : 0;
  let atLineStart = true;

  const newline = (at: number): void => {
    const last = tokens.at(-1);
    if (last && last.kind !== 'newline') tokens.push({ kind: 'newline', pos: at });
  };

  while (pos < text.length) {
    if (atLineStart && brackets.length === 0) {
      const indent = /[ \t\f]*/y;
      indent.lastIndex = pos;
      const m = indent.exec(text)!;
      const after = pos + m[0].length;
      const rest = text[after];
      const blank = rest === undefined || rest === '\n' || rest === '\r' || rest === '#';
      if (m[0].length > 0 && !blank) tokens.push({ kind: 'indent', pos: after });
      pos = after;
      atLineStart = false;
      continue;
    }
    const c = text[pos]!;
    if (c === ' ' || c === '\t' || c === '\f' || c === '\r') {
      pos++;
      continue;
    }
    if (c === '#') {
      while (pos < text.length && text[pos] !== '\n') pos++;
      continue;
    }
    if (c === '\\') {
      const m = /\\\r?\n/y;
      m.lastIndex = pos;
      if (!m.exec(text)) throw src.error(pos, 'unexpected character after line continuation character');
      pos = m.lastIndex;
      continue;
    }
    if (c === '\n') {
      if (brackets.length === 0) {
        newline(pos);
        atLineStart = true;
      }
      pos++;
      continue;
    }
    if (c === '{' && text[pos + 1] === '{') {
      BASE_REF.lastIndex = pos;
      const ref = BASE_REF.exec(text);
      if (ref) {
        tokens.push({ kind: 'baseref', value: ref[1]!, pos });
        pos = BASE_REF.lastIndex;
        continue;
      }
      PREDEFINED.lastIndex = pos;
      const pre = PREDEFINED.exec(text);
      if (pre) throw src.error(pos, `{{${pre[1]}}} is replaced by text, so it must be inside a string: '{{${pre[1]}}}'`);
    }
    STRING_START.lastIndex = pos;
    const str = STRING_START.exec(text);
    if (str) {
      const prefix = str[1]!.toLowerCase();
      if (/^(?:r|u|f|b|br|rb|fr|rf)?$/.test(prefix)) {
        if (prefix.includes('b')) throw src.error(pos, 'bytes literals (b\'...\') are not supported in a config; use a string');
        const quote = str[2]!;
        const bodyStart = pos + str[0].length;
        const triple = text.startsWith(quote.repeat(3), bodyStart - 1);
        const delim = triple ? quote.repeat(3) : quote;
        let i = triple ? bodyStart + 2 : bodyStart;
        const start = i;
        for (;;) {
          if (i >= text.length) throw src.error(pos, `unterminated ${triple ? 'triple-quoted ' : ''}string literal`);
          const ch = text[i]!;
          if (ch === '\\') {
            i += 2;
            continue;
          }
          if (ch === '\n' && !triple) throw src.error(pos, 'unterminated string literal (a string ends on its line unless triple-quoted)');
          if (text.startsWith(delim, i)) break;
          i++;
        }
        const body = text.slice(start, i).replace(/\r\n/g, '\n');
        if (prefix.includes('f')) {
          tokens.push({ kind: 'fstring', parts: fstringParts(text.slice(start, i), start, prefix.includes('r'), src), pos });
        } else {
          tokens.push({ kind: 'string', value: prefix.includes('r') ? body : unescape(body, src, start), pos });
        }
        pos = i + delim.length;
        continue;
      }
    }
    NAME.lastIndex = pos;
    const name = NAME.exec(text);
    if (name) {
      tokens.push({ kind: 'name', value: name[0], pos });
      pos = NAME.lastIndex;
      continue;
    }
    if (/\d/.test(c) || (c === '.' && /\d/.test(text[pos + 1] ?? ''))) {
      FLOAT.lastIndex = pos;
      INT.lastIndex = pos;
      const f = FLOAT.exec(text);
      const n = f ?? INT.exec(text);
      const end = f ? FLOAT.lastIndex : INT.lastIndex;
      if (!n || /[\w.]/.test(text[end] ?? '')) {
        if (/[jJ]/.test(text[end] ?? '')) throw src.error(pos, 'complex numbers are not supported in a config');
        throw src.error(pos, `invalid number literal '${/^[\w.]+/.exec(text.slice(pos))![0]}'`);
      }
      tokens.push({ kind: 'number', value: parseNumber(n[0]), isFloat: Boolean(f), pos });
      pos = end;
      continue;
    }
    const op = OPS.find((o) => text.startsWith(o, pos));
    if (!op || op === '!') throw src.error(pos, `unexpected character '${c}'`);
    if (op === '(' || op === '[' || op === '{') brackets.push({ char: op, pos });
    else if (op in CLOSING) {
      const open = brackets.at(-1)?.char ? brackets.pop() : undefined;
      if (!open) throw src.error(pos, `unmatched '${op}'`);
      if (open.char !== CLOSING[op]) throw src.error(pos, `closing '${op}' does not match the '${open.char}' at ${src.where(open.pos)}`);
    }
    tokens.push({ kind: 'op', value: op, pos });
    pos += op.length;
  }
  if (range) brackets.shift();
  if (brackets.length) throw src.error(brackets.at(-1)!.pos, `'${brackets.at(-1)!.char}' was never closed`);
  newline(pos);
  tokens.push({ kind: 'eof', pos });
  return tokens;
}
