// Evaluates a parsed Python config the way MMEngine's exec of a classic config would: statements
// in order, `_base_` bound to the merged bases; the calls are builtins.ts's and dict.update().
import { binaryOp, unaryOp } from './arithmetic.js';
import { callBuiltin, CALLABLE_BUILTINS, type BuiltinName } from './builtins.js';
import { pyStr } from './py-format.js';
import type { CompFor, Expr, Item, Slice, Stmt } from './syntax.js';
import {
  fromConfigValue, PyBaseRef, PyBuiltin, PyDict, PyFloat, PyImported, PyList, PyTuple, toConfigValue, typeName,
  type PyKey, type PyValue,
} from './py-values.js';
import type { PySource } from './source.js';
import type { ConfigDict } from '../values.js';

export const BASE_NAME = '_base_';

/** Python builtins a config might reach for; named in the error instead of "not defined". */
const OTHER_BUILTINS = new Set(['abs', 'all', 'any', 'bool', 'eval', 'exec', 'filter', 'float', 'format', 'getattr',
  'isinstance', 'map', 'max', 'min', 'open', 'pow', 'print', 'reversed', 'round', 'set', 'sorted', 'str', 'type', 'zip', 'frozenset', 'hasattr', 'setattr', 'vars', 'globals', 'locals', 'object', '__import__']);

export interface EvalOptions {
  /** The merged bases; `_base_.x` reads them (MMEngine runs the file with `_base_` bound to them). */
  bases?: ConfigDict;
  /** Called for constructs that are skipped (import lines). */
  warn?: (offset: number, message: string) => void;
}

export interface EvaluatedModule {
  /** Module-level names in first-assignment order, as config values; imports and `__dunder__` names left out. */
  vars: Record<string, unknown>;
  /** Where each name was last assigned (offsets), for warnings and errors. */
  positions: Map<string, number>;
  /** The first `_base_ = ...`, evaluated on its own as MMEngine does. */
  base?: { value: unknown; pos: number };
}

/** Calls `fn` on every expression below `e` (itself included). */
function walk(e: Expr | Slice | undefined, fn: (e: Expr) => void): void {
  if (!e) return;
  if (e.kind === 'slice') {
    [e.start, e.stop, e.step].forEach((x) => walk(x, fn));
    return;
  }
  fn(e);
  switch (e.kind) {
    case 'list': case 'tuple': e.items.forEach((i) => walk(i.value, fn)); break;
    case 'dict': e.entries.forEach((x) => ('spread' in x ? walk(x.spread, fn) : (walk(x.key, fn), walk(x.value, fn)))); break;
    case 'call': walk(e.func, fn); e.args.forEach((i) => walk(i.value, fn)); e.kwargs.forEach((k) => walk('spread' in k ? k.spread : k.value, fn)); break;
    case 'attr': walk(e.obj, fn); break;
    case 'subscript': walk(e.obj, fn); walk(e.index, fn); break;
    case 'binop': walk(e.left, fn); walk(e.right, fn); break;
    case 'unary': walk(e.operand, fn); break;
    case 'listcomp': walk(e.elt, fn); e.generators.forEach((g) => walk(g.iter, fn)); break;
    case 'dictcomp': walk(e.key, fn); walk(e.value, fn); e.generators.forEach((g) => walk(g.iter, fn)); break;
    case 'fstring': e.parts.forEach((p) => typeof p !== 'string' && walk(p, fn)); break;
    default: break;
  }
}

/** The first `_base_ = ...` statement: MMEngine reads the base files from it alone. */
export function baseAssignment(stmts: readonly Stmt[]): (Stmt & { kind: 'assign' }) | undefined {
  return stmts.find((s): s is Stmt & { kind: 'assign' } => s.kind === 'assign' && s.target === BASE_NAME);
}

/** Whether any statement other than the `_base_` assignments reads the `_base_` variable. */
export function readsBaseVariable(stmts: readonly Stmt[]): boolean {
  let found = false;
  for (const s of stmts) {
    if (s.kind === 'import' || (s.kind === 'assign' && s.target === BASE_NAME)) continue;
    walk(s.value, (e) => { if (e.kind === 'name' && e.id === BASE_NAME) found = true; });
  }
  return found;
}

export class Evaluator {
  readonly #env = new Map<string, PyValue>();
  /** The variables of the comprehensions being evaluated, innermost last (Python 3: they do not leak). */
  readonly #locals: Map<string, PyValue>[] = [];
  readonly #positions = new Map<string, number>();

  constructor(readonly src: PySource, readonly opts: EvalOptions = {}) {}

  run(stmts: readonly Stmt[]): EvaluatedModule {
    let base: EvaluatedModule['base'];
    for (const s of stmts) {
      if (s.kind === 'import') {
        this.#import(s);
      } else if (s.kind === 'expr') {
        this.eval(s.value);
      } else if (s.target === BASE_NAME) {
        // MMEngine evaluates the first `_base_ = ...` in an empty namespace and drops every
        // `_base_` assignment from the code it runs, so `_base_` keeps naming the bases.
        if (!base) base = { value: this.#toConfig(new Evaluator(this.src).eval(s.value), s.value.pos), pos: s.pos };
      } else {
        this.#env.set(s.target, this.eval(s.value));
        this.#positions.set(s.target, s.pos);
      }
    }
    const vars: Record<string, unknown> = {};
    for (const [name, value] of this.#env) {
      if (name.startsWith('__') || value instanceof PyImported) continue;
      vars[name] = this.#toConfig(value, this.#positions.get(name)!, name);
    }
    return { vars, positions: this.#positions, base };
  }

  #toConfig(v: PyValue, pos: number, name?: string): unknown {
    try {
      return toConfigValue(v);
    } catch (err) {
      throw this.src.error(pos, `${name ? `${name}: ` : ''}${(err as Error).message}`);
    }
  }

  #import(s: Stmt & { kind: 'import' }): void {
    const newStyle = s.from && (s.module.startsWith('.') || (s.module.startsWith('mmengine.config') && s.names.some((n) => n.bound === 'read_base')));
    if (newStyle) {
      throw this.src.error(s.pos, "MMEngine's new-style (lazy import) configs are not supported: write a classic config " +
        "with _base_ = ['...py'] and dict(...) values");
    }
    const line = this.src.text.slice(s.pos).split('\n')[0]!.trim();
    this.opts.warn?.(s.pos, `'${line}' is ignored: a config read without Python cannot import modules (using an imported name is an error)`);
    for (const n of s.names) if (n.bound !== '*') this.#env.set(n.bound, new PyImported(line, s.pos));
  }

  #fail(at: { pos: number }, detail: string): never {
    throw this.src.error(at.pos, detail);
  }

  /** Runs `fn`, turning a plain Error (a Python TypeError and the like) into one at `at`. */
  #at<T>(at: { pos: number }, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof Error && err.name === 'Error') this.#fail(at, err.message);
      throw err;
    }
  }

  eval(e: Expr): PyValue {
    switch (e.kind) {
      case 'const':
        return e.isFloat ? new PyFloat(e.value as number) : e.value;
      case 'baseref':
        return new PyBaseRef(e.path);
      case 'name':
        return this.#name(e);
      case 'list':
        return new PyList(this.#items(e.items));
      case 'tuple':
        return new PyTuple(this.#items(e.items));
      case 'dict': {
        const d = new PyDict();
        for (const entry of e.entries) {
          if ('spread' in entry) {
            const v = this.eval(entry.spread);
            if (!(v instanceof PyDict)) this.#fail(entry, `'${typeName(v)}' object is not a mapping: ** needs a dict`);
            for (const [k, x] of v.entries.values()) d.set(k, x);
          } else {
            d.set(this.#key(entry.key), this.eval(entry.value));
          }
        }
        return d;
      }
      case 'call':
        return this.#call(e as Expr & { kind: 'call' });
      case 'attr': {
        const obj = this.eval(e.obj);
        if (obj instanceof PyDict && obj.attrAccess) {
          if (!obj.has(e.name)) this.#fail(e, `'ConfigDict' object has no attribute '${e.name}'${this.#keysHint(obj)}`);
          return obj.get(e.name)!;
        }
        if (obj instanceof PyDict) this.#fail(e, `'dict' object has no attribute '${e.name}': write ['${e.name}'] (only values read from _base_ allow .${e.name})`);
        this.#fail(e, `'${typeName(obj)}' object has no attribute '${e.name}' (attribute access and method calls are not supported)`);
      }
      case 'subscript':
        return this.#subscript(e as Expr & { kind: 'subscript' });
      case 'binop': {
        const left = this.eval(e.left);
        const right = this.eval(e.right);
        return this.#at(e, () => binaryOp(e.op, left, right));
      }
      case 'unary': {
        const v = this.eval(e.operand);
        return this.#at(e, () => unaryOp(e.op, v));
      }
      case 'listcomp': {
        const out: PyValue[] = [];
        this.#comprehension(e.generators, () => out.push(this.eval(e.elt)));
        return new PyList(out);
      }
      case 'dictcomp': {
        const d = new PyDict();
        this.#comprehension(e.generators, () => d.set(this.#key(e.key), this.eval(e.value)));
        return d;
      }
      case 'fstring':
        return e.parts.map((p) => (typeof p === 'string' ? p : this.#at(p, () => pyStr(this.eval(p))))).join('');
    }
  }

  /** Runs `emit` once per combination of the `for` clauses, in a scope of their variables. */
  #comprehension(generators: readonly CompFor[], emit: () => void): void {
    const scope = new Map<string, PyValue>();
    const bind = (g: CompFor, item: PyValue): void => {
      if (!g.unpack) {
        scope.set(g.targets[0]!, item);
        return;
      }
      const values = this.#iterate(item, g);
      if (values.length !== g.targets.length) {
        this.#fail(g, values.length > g.targets.length
          ? `too many values to unpack (expected ${g.targets.length})`
          : `not enough values to unpack (expected ${g.targets.length}, got ${values.length})`);
      }
      g.targets.forEach((t, j) => scope.set(t, values[j]!));
    };
    const loop = (k: number, items: PyValue[]): void => {
      const g = generators[k]!;
      for (const item of items) {
        bind(g, item);
        if (k + 1 === generators.length) emit();
        else loop(k + 1, this.#iterate(this.eval(generators[k + 1]!.iter), generators[k + 1]!.iter));
      }
    };
    // The first iterable is evaluated outside the comprehension's scope, as in Python.
    const firstItems = this.#iterate(this.eval(generators[0]!.iter), generators[0]!.iter);
    this.#locals.push(scope);
    try {
      loop(0, firstItems);
    } finally {
      this.#locals.pop();
    }
  }

  #keysHint(d: PyDict): string {
    const keys = [...d.entries.values()].map(([k]) => String(k));
    return keys.length ? ` (keys: ${keys.slice(0, 12).join(', ')}${keys.length > 12 ? ', ...' : ''})` : '';
  }

  #name(e: Expr & { kind: 'name' }): PyValue {
    for (let k = this.#locals.length - 1; k >= 0; k--) {
      const local = this.#locals[k]!.get(e.id);
      if (local !== undefined) return local;
    }
    const v = this.#env.get(e.id);
    if (v instanceof PyImported) {
      this.#fail(e, `'${e.id}' comes from '${v.statement}' (${this.src.where(v.pos)}), which cannot be evaluated without Python`);
    }
    if (v !== undefined) return v;
    if (e.id === BASE_NAME) return this.opts.bases ? fromConfigValue(this.opts.bases) : new PyDict(true);
    if ((CALLABLE_BUILTINS as readonly string[]).includes(e.id)) return new PyBuiltin(e.id as BuiltinName);
    if (OTHER_BUILTINS.has(e.id)) this.#fail(e, `the builtin '${e.id}' is not supported in a config read without Python (only ${CALLABLE_BUILTINS.join('(), ')}())`);
    this.#fail(e, `name '${e.id}' is not defined`);
  }

  #key(e: Expr): PyKey {
    const k = this.eval(e);
    if (typeof k === 'string' || typeof k === 'number' || typeof k === 'boolean') return k;
    if (k instanceof PyFloat && Number.isInteger(k.value)) return k.value;
    this.#fail(e, `a config dict key must be a string or an integer, got '${typeName(k)}'`);
  }

  /** Items of list/tuple displays and positional arguments, `*x` unpacked. */
  #items(items: readonly Item[]): PyValue[] {
    const out: PyValue[] = [];
    for (const item of items) {
      const v = this.eval(item.value);
      if (item.starred) out.push(...this.#iterate(v, item.value));
      else out.push(v);
    }
    return out;
  }

  #iterate(v: PyValue, at: { pos: number }): PyValue[] {
    if (v instanceof PyList || v instanceof PyTuple) return [...v.items];
    if (typeof v === 'string') return [...v];
    if (v instanceof PyDict) return [...v.entries.values()].map(([k]) => k);
    this.#fail(at, `'${typeName(v)}' object is not iterable`);
  }

  #call(e: Expr & { kind: 'call' }): PyValue {
    if (e.func.kind === 'attr') return this.#methodCall(e, e.func);
    const func = this.eval(e.func);
    if (!(func instanceof PyBuiltin)) this.#fail(e, `calling a '${typeName(func)}' is not supported in a config read without Python (only ${CALLABLE_BUILTINS.join('(), ')}())`);
    const args = this.#items(e.args);
    if (func.name === 'dict') {
      if (args.length > 1) this.#fail(e, `dict expected at most 1 argument, got ${args.length}`);
      const d = new PyDict();
      if (args.length === 1) {
        const a = args[0]!;
        if (!(a instanceof PyDict)) this.#fail(e.args[0]!.value, `dict(x) needs a dict here, got '${typeName(a)}'`);
        for (const [k, x] of a.entries.values()) d.set(k, x);
      }
      const given = new Set<string>();
      const add = (name: string, value: PyValue, at: { pos: number }): void => {
        if (given.has(name)) this.#fail(at, `dict() got multiple values for keyword argument '${name}'`);
        given.add(name);
        d.set(name, value);
      };
      for (const kw of e.kwargs) {
        if ('name' in kw) {
          add(kw.name, this.eval(kw.value), kw);
          continue;
        }
        const v = this.eval(kw.spread);
        if (!(v instanceof PyDict)) this.#fail(kw, `dict() argument after ** must be a mapping, not '${typeName(v)}'`);
        for (const [k, x] of v.entries.values()) {
          if (typeof k !== 'string') this.#fail(kw, 'keywords must be strings');
          add(k, x, kw);
        }
      }
      return d;
    }
    const kwargs = new Map<string, PyValue>();
    for (const kw of e.kwargs) {
      if (!('name' in kw)) this.#fail(kw, `${func.name}() does not take ** arguments in a config read without Python`);
      kwargs.set(kw.name, this.eval(kw.value));
    }
    return this.#at(e.func, () => callBuiltin(func.name as Exclude<BuiltinName, 'dict'>, args, kwargs, (v) => this.#iterate(v, e)));
  }

  /** `d.update(other, k=v)`, as MMSeg's swin configs add per-block `custom_keys`; the only method calls a config may make. */
  #methodCall(e: Expr & { kind: 'call' }, func: Expr & { kind: 'attr' }): PyValue {
    const obj = this.eval(func.obj);
    if (!(obj instanceof PyDict) || func.name !== 'update') {
      this.#fail(func, `calling the method '${typeName(obj)}.${func.name}()' is not supported in a config read without Python (only dict.update())`);
    }
    const args = this.#items(e.args);
    if (args.length > 1) this.#fail(e, `update expected at most 1 argument, got ${args.length}`);
    if (args.length === 1) {
      const a = args[0]!;
      if (!(a instanceof PyDict)) this.#fail(e.args[0]!.value, `update() needs a dict here, got '${typeName(a)}'`);
      for (const [k, x] of a.entries.values()) obj.set(k, x);
    }
    for (const kw of e.kwargs) {
      if ('name' in kw) {
        obj.set(kw.name, this.eval(kw.value));
        continue;
      }
      const v = this.eval(kw.spread);
      if (!(v instanceof PyDict)) this.#fail(kw, `update() argument after ** must be a mapping, not '${typeName(v)}'`);
      for (const [k, x] of v.entries.values()) obj.set(k, x);
    }
    return null;
  }

  #index(e: Expr | undefined, what: string): number | undefined {
    if (!e) return undefined;
    const v = this.eval(e);
    if (v === null) return undefined;
    if (typeof v === 'number' || typeof v === 'boolean') return Number(v);
    this.#fail(e, `${what} must be integers or None, not '${typeName(v)}'`);
  }

  #subscript(e: Expr & { kind: 'subscript' }): PyValue {
    const obj = this.eval(e.obj);
    if (obj instanceof PyBaseRef) this.#fail(e, `{{_base_.${obj.path}}} is replaced only after the file is evaluated, so it cannot be indexed; write _base_.${obj.path}[...]`);
    if (e.index.kind === 'slice') {
      const seq = typeof obj === 'string' ? [...obj] : obj instanceof PyList || obj instanceof PyTuple ? obj.items : undefined;
      if (!seq) this.#fail(e, `'${typeName(obj)}' object cannot be sliced`);
      const step = this.#index(e.index.step, 'slice indices') ?? 1;
      if (step === 0) this.#fail(e.index, 'slice step cannot be zero');
      const n = seq.length;
      const clamp = (i: number | undefined, dflt: number, lo: number, hi: number): number => {
        if (i === undefined) return dflt;
        const j = i < 0 ? i + n : i;
        return Math.min(Math.max(j, lo), hi);
      };
      const start = clamp(this.#index(e.index.start, 'slice indices'), step > 0 ? 0 : n - 1, step > 0 ? 0 : -1, step > 0 ? n : n - 1);
      const stop = clamp(this.#index(e.index.stop, 'slice indices'), step > 0 ? n : -1, step > 0 ? 0 : -1, step > 0 ? n : n - 1);
      const out: PyValue[] = [];
      for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(seq[i]!);
      if (typeof obj === 'string') return (out as string[]).join('');
      return obj instanceof PyTuple ? new PyTuple(out) : new PyList(out);
    }
    if (obj instanceof PyDict) {
      const k = this.#key(e.index);
      if (!obj.has(k)) this.#fail(e, `KeyError: ${typeof k === 'string' ? `'${k}'` : String(k)}${this.#keysHint(obj)}`);
      return obj.get(k)!;
    }
    const seq = typeof obj === 'string' ? obj : obj instanceof PyList || obj instanceof PyTuple ? obj.items : undefined;
    if (seq === undefined) this.#fail(e, `'${typeName(obj)}' object is not subscriptable`);
    const iv = this.eval(e.index);
    if (typeof iv !== 'number' && typeof iv !== 'boolean') this.#fail(e.index, `${typeName(obj)} indices must be integers, not '${typeName(iv)}'`);
    const i = Number(iv) < 0 ? Number(iv) + seq.length : Number(iv);
    if (i < 0 || i >= seq.length) this.#fail(e, `${typeName(obj)} index ${Number(iv)} out of range (length ${seq.length})`);
    return seq[i]!;
  }
}
