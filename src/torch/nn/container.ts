// Containers: Sequential, ModuleList and ModuleDict, with children named '0', '1', ... (or by key)
// exactly as PyTorch, so parameter names such as 'layers.0.conv.weight' line up.
import { Module } from './module.js';

function normIndex(owner: string, i: number, length: number): number {
  const j = i < 0 ? i + length : i;
  if (!Number.isInteger(i) || j < 0 || j >= length) throw new RangeError(`${owner}: index ${i} is out of range for length ${length}`);
  return j;
}

function checkModule(owner: string, m: unknown, where: string): Module {
  if (!(m instanceof Module)) throw new TypeError(`${owner}: ${where} is not a Module (got ${m === null ? 'null' : typeof m})`);
  return m;
}

/** Base of the list-like containers: children live in the registry under '0', '1', ... */
abstract class IndexedContainer<M extends Module> extends Module {
  get length(): number {
    return this.localState().modules.length;
  }

  /** The child at index i (negative counts from the end). */
  at(i: number): M {
    const mods = this.localState().modules;
    return mods[normIndex(this.className, i, mods.length)]![1] as M;
  }

  /** Replaces the child at index i. */
  set(i: number, m: M): void {
    const mods = this.localState().modules;
    this.registerModule(mods[normIndex(this.className, i, mods.length)]![0], checkModule(this.className, m, `value at index ${i}`));
  }

  append(m: M): this {
    this.registerModule(String(this.length), checkModule(this.className, m, `appended value`));
    return this;
  }

  extend(ms: Iterable<M>): this {
    for (const m of ms) this.append(m);
    return this;
  }

  /** Inserts before index i, renumbering the children after it (as ModuleList.insert). */
  insert(i: number, m: M): this {
    const n = this.length;
    const at = i < 0 ? Math.max(0, i + n) : Math.min(i, n);
    checkModule(this.className, m, `inserted value`);
    for (let k = n; k > at; k--) this.registerModule(String(k), this.at(k - 1));
    this.registerModule(String(at), m);
    return this;
  }

  /** Removes and returns the child at index i; later children shift down one place. */
  pop(i = -1): M {
    const n = this.length;
    const at = normIndex(this.className, i, n);
    const removed = this.at(at);
    for (let k = at; k < n - 1; k++) this.registerModule(String(k), this.at(k + 1));
    this.unregister(String(n - 1));
    return removed;
  }

  [Symbol.iterator](): Iterator<M> {
    return (this.localState().modules.map(([, m]) => m) as M[])[Symbol.iterator]();
  }

  toArray(): M[] {
    return [...this];
  }
}

/**
 * Runs its children in order, each taking the previous output. Built from modules
 * (named '0', '1', ...) or from a record of named modules.
 */
export class Sequential extends IndexedContainer<Module> {
  constructor(...modules: Module[] | [Record<string, Module>]) {
    super();
    const first = modules[0];
    if (modules.length === 1 && first !== undefined && !(first instanceof Module) && typeof first === 'object') {
      for (const [name, m] of Object.entries(first)) this.registerModule(name, checkModule('Sequential', m, `entry '${name}'`));
    } else {
      (modules as Module[]).forEach((m, i) => this.registerModule(String(i), checkModule('Sequential', m, `argument ${i}`)));
    }
  }

  /** Feeds x through every child in order. */
  forward(x: any): any {
    let out = x;
    for (const m of this) out = m.forward(out);
    return out;
  }
}

/** Holds submodules in a list, so they are registered; it has no forward of its own. */
export class ModuleList<M extends Module = Module> extends IndexedContainer<M> {
  constructor(modules: Iterable<M> = []) {
    super();
    this.extend(modules);
  }

  forward(): never {
    throw new Error('ModuleList has no forward(): call its members');
  }
}

/** Holds submodules by string key, in insertion order. */
export class ModuleDict<M extends Module = Module> extends Module {
  constructor(modules: Record<string, M> | Iterable<[string, M]> = {}) {
    super();
    this.update(modules);
  }

  get(key: string): M {
    const found = this.localState().modules.find(([k]) => k === key);
    if (!found || !found[1]) throw new RangeError(`ModuleDict has no key '${key}' (keys: ${this.keys().join(', ')})`);
    return found[1] as M;
  }

  set(key: string, m: M): this {
    this.registerModule(key, checkModule('ModuleDict', m, `value for '${key}'`));
    return this;
  }

  has(key: string): boolean {
    return this.localState().modules.some(([k]) => k === key);
  }

  delete(key: string): boolean {
    return this.unregister(key);
  }

  update(modules: Record<string, M> | Iterable<[string, M]>): this {
    const entries = Symbol.iterator in modules ? [...(modules as Iterable<[string, M]>)] : Object.entries(modules);
    for (const [k, m] of entries) this.set(k, m);
    return this;
  }

  keys(): string[] {
    return this.localState().modules.map(([k]) => k);
  }

  values(): M[] {
    return this.localState().modules.map(([, m]) => m as M);
  }

  entries(): [string, M][] {
    return this.localState().modules.map(([k, m]) => [k, m as M]);
  }

  get size(): number {
    return this.localState().modules.length;
  }

  forward(): never {
    throw new Error('ModuleDict has no forward(): call its members');
  }
}
