// Module: the base of every layer and model, as torch.nn.Module: registered parameters,
// buffers and children with PyTorch's dotted names, train/eval, state dicts and device moves.
import { Tensor } from '../tensor.js';
import { keep, tidy } from '../memory.js';
import { noGrad } from '../autograd.js';
import { isFloatingDType, type DType } from '../dtype.js';
import { native } from '../native.js';
import { isParameter, parameter, type Parameter } from './parameter.js';
import { loadStateDictInto, stateDictOf, type LoadStateDictResult, type StateDictInput } from './state-dict.js';

export type { LoadStateDictResult, StateDictInput } from './state-dict.js';

function checkName(kind: string, owner: string, name: string): void {
  if (typeof name !== 'string' || name === '' || name.includes('.')) {
    throw new TypeError(`${owner}.register${kind}: name must be a non-empty string without '.', got '${String(name)}'`);
  }
}

export abstract class Module {
  /** Whether the module is in training mode; change it with train()/eval() so children follow. */
  training = true;
  readonly #parameters = new Map<string, Parameter | null>();
  readonly #buffers = new Map<string, Tensor | null>();
  readonly #nonPersistent = new Set<string>();
  readonly #modules = new Map<string, Module | null>();

  /** The computation; subclasses narrow the signature (e.g. forward(x: Tensor): Tensor). */
  abstract forward(...args: any[]): any;

  get className(): string {
    return this.constructor.name;
  }

  // ---- registration ----------------------------------------------------------

  /**
   * Registers (or replaces) a parameter and returns it, so a field can hold it:
   * `this.weight = this.registerParameter('weight', zeros([4]))`. The tensor becomes a kept
   * leaf with requiresGrad (see parameter()); null registers an absent parameter (bias=False).
   */
  registerParameter<T extends Tensor | null>(name: string, t: T): T {
    checkName('Parameter', this.className, name);
    this.#checkFree(name, 'parameter');
    // A tensor that already is a parameter keeps its requiresGrad (a frozen one stays frozen).
    const p = t === null ? null : isParameter(t) ? t : parameter(t, true);
    this.#replace(this.#parameters.get(name), p);
    this.#parameters.set(name, p);
    return p as T;
  }

  /** Registers (or replaces) a buffer: state that is not trained (running_mean); kept across tidy scopes. */
  registerBuffer<T extends Tensor | null>(name: string, t: T, persistent = true): T {
    checkName('Buffer', this.className, name);
    this.#checkFree(name, 'buffer');
    if (t !== null) keep(t);
    this.#replace(this.#buffers.get(name), t);
    this.#buffers.set(name, t);
    if (persistent) this.#nonPersistent.delete(name);
    else this.#nonPersistent.add(name);
    return t;
  }

  /** Registers (or replaces) a child module; its parameters get the prefix `name.`. */
  registerModule<M extends Module | null>(name: string, m: M): M {
    checkName('Module', this.className, name);
    this.#checkFree(name, 'module');
    if (m !== null && !(m instanceof Module)) throw new TypeError(`${this.className}.registerModule('${name}'): expected a Module, got ${typeof m}`);
    this.#replace(this.#modules.get(name), m);
    this.#modules.set(name, m);
    return m;
  }

  #checkFree(name: string, kind: 'parameter' | 'buffer' | 'module'): void {
    const clash = (kind !== 'parameter' && this.#parameters.has(name) && 'parameter')
      || (kind !== 'buffer' && this.#buffers.has(name) && 'buffer')
      || (kind !== 'module' && this.#modules.has(name) && 'module');
    if (clash) throw new Error(`${this.className}: cannot register ${kind} '${name}': a ${clash} of that name exists`);
  }

  /** Points every own field that held `old` at `value`, so typed fields follow replacements. */
  #replace(old: unknown, value: unknown): void {
    if (old === undefined || old === null || old === value) return;
    const self = this as unknown as Record<string, unknown>;
    for (const key of Object.keys(self)) if (self[key] === old) self[key] = value;
  }

  /** Resolves 'a.b.c' to [module a.b, 'c']. */
  #parentOf(target: string): [Module, string] {
    const dot = target.lastIndexOf('.');
    return dot < 0 ? [this, target] : [this.getSubmodule(target.slice(0, dot)), target.slice(dot + 1)];
  }

  /** Replaces a registered parameter by dotted name (e.g. to load a differently shaped head); fields follow. */
  setParameter(target: string, t: Tensor | null): Parameter | null {
    const [owner, name] = this.#parentOf(target);
    if (!owner.#parameters.has(name)) throw new Error(`${owner.className} has no parameter '${name}' (from '${target}')`);
    return owner.registerParameter(name, t);
  }

  /** Replaces a registered buffer by dotted name, keeping its persistence. */
  setBuffer(target: string, t: Tensor | null): Tensor | null {
    const [owner, name] = this.#parentOf(target);
    if (!owner.#buffers.has(name)) throw new Error(`${owner.className} has no buffer '${name}' (from '${target}')`);
    return owner.registerBuffer(name, t, !owner.#nonPersistent.has(name));
  }

  /** Replaces (or adds) a child by dotted name, e.g. setModule('decode_head.conv_seg', new Conv2d(...)). */
  setModule(target: string, m: Module | null): Module | null {
    const [owner, name] = this.#parentOf(target);
    return owner.registerModule(name, m);
  }

  /** Removes a parameter, buffer or child of this module by local name (del module.name); returns whether one existed. */
  unregister(name: string): boolean {
    const found = this.#parameters.delete(name) || this.#buffers.delete(name) || this.#modules.delete(name);
    this.#nonPersistent.delete(name);
    return found;
  }

  // ---- lookup ------------------------------------------------------------------

  /** The descendant at a dotted path ('' is this module), as get_submodule. */
  getSubmodule(target: string): Module {
    if (target === '') return this;
    let mod: Module = this;
    let path = '';
    for (const part of target.split('.')) {
      const next = mod.#modules.get(part);
      if (!next) throw new Error(`${this.className}.getSubmodule('${target}'): ${mod.className}${path ? ` at '${path}'` : ''} has no child '${part}'`);
      mod = next;
      path = path ? `${path}.${part}` : part;
    }
    return mod;
  }

  /** The parameter at a dotted path, as get_parameter. */
  getParameter(target: string): Parameter {
    const [owner, name] = this.#parentOf(target);
    const p = owner.#parameters.get(name);
    if (!p) throw new Error(`${this.className}.getParameter('${target}'): ${owner.className} has no parameter '${name}'`);
    return p;
  }

  /** The buffer at a dotted path, as get_buffer. */
  getBuffer(target: string): Tensor {
    const [owner, name] = this.#parentOf(target);
    const b = owner.#buffers.get(name);
    if (!b) throw new Error(`${this.className}.getBuffer('${target}'): ${owner.className} has no buffer '${name}'`);
    return b;
  }

  /** Whether a buffer of this module (not a descendant) is left out of state dicts. */
  isPersistentBuffer(name: string): boolean {
    return this.#buffers.has(name) && !this.#nonPersistent.has(name);
  }

  // ---- traversal (arrays, in registration order) ---------------------------------

  /** Direct children (null slots skipped) with their local names. */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    for (const [name, m] of this.#modules) {
      if (m && !seen.has(m)) {
        seen.add(m);
        out.push([name, m]);
      }
    }
    return out;
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and all descendants, depth first, with dotted names; a shared module appears once. */
  namedModules(prefix = '', removeDuplicate = true): [string, Module][] {
    const out: [string, Module][] = [];
    const memo = new Set<Module>();
    const walk = (m: Module, p: string): void => {
      if (removeDuplicate) {
        if (memo.has(m)) return;
        memo.add(m);
      }
      out.push([p, m]);
      for (const [name, child] of m.#modules) if (child) walk(child, p ? `${p}.${name}` : name);
    };
    walk(this, prefix);
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  #namedMembers(which: 'parameters' | 'buffers', prefix: string, recurse: boolean): [string, Tensor][] {
    const mods: [string, Module][] = recurse ? this.namedModules(prefix) : [[prefix, this]];
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    for (const [p, m] of mods) {
      for (const [name, t] of which === 'parameters' ? m.#parameters : m.#buffers) {
        if (!t || seen.has(t)) continue;
        seen.add(t);
        out.push([p ? `${p}.${name}` : name, t]);
      }
    }
    return out;
  }

  /** Parameters with dotted names ('backbone.stages.0.1.norm.weight'); a shared parameter is listed once. */
  namedParameters(prefix = '', recurse = true): [string, Parameter][] {
    return this.#namedMembers('parameters', prefix, recurse);
  }

  parameters(recurse = true): Parameter[] {
    return this.namedParameters('', recurse).map(([, p]) => p);
  }

  /** Buffers (persistent or not) with dotted names. */
  namedBuffers(prefix = '', recurse = true): [string, Tensor][] {
    return this.#namedMembers('buffers', prefix, recurse);
  }

  buffers(recurse = true): Tensor[] {
    return this.namedBuffers('', recurse).map(([, b]) => b);
  }

  /** This module's own registered slots, null entries included (for state dicts and reprs). */
  localState(): { parameters: [string, Parameter | null][]; buffers: [string, Tensor | null, boolean][]; modules: [string, Module | null][] } {
    return {
      parameters: [...this.#parameters],
      buffers: [...this.#buffers].map(([n, t]) => [n, t, !this.#nonPersistent.has(n)] as [string, Tensor | null, boolean]),
      modules: [...this.#modules],
    };
  }

  // ---- modes and bulk operations --------------------------------------------------

  /** Sets training mode here and (through their own train()) in every child; returns this. */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new TypeError(`${this.className}.train: mode must be a boolean, got ${typeof mode}`);
    this.training = mode;
    for (const child of this.children()) child.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Calls fn on every descendant (children first) and then on this module, as Module.apply. */
  apply(fn: (m: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /** Sets requiresGrad on every parameter (false freezes them). */
  requiresGrad_(flag = true): this {
    for (const p of this.parameters()) p.requiresGrad_(flag);
    return this;
  }

  /** Clears gradients: zeroed in place by default (PyTorch 1.13), or dropped with setToNone. */
  zeroGrad(setToNone = false): void {
    for (const p of this.parameters()) {
      const g = p.grad;
      if (g === null) continue;
      if (setToNone) {
        p.grad = null;
      } else {
        if (g.gradFn !== null) g.detach_();
        else if (g.requiresGrad) g.requiresGrad_(false);
        noGrad(() => g.zero_());
      }
      g.dispose();
    }
  }

  /**
   * Moves/casts parameters and buffers: to('cuda'), to('float64'), to({ device, dtype }).
   * A dtype applies to floating tensors only, as in PyTorch. Converted tensors replace the
   * registered ones (fields follow; gradients move along), so build optimizers afterwards.
   */
  to(target: string | { device?: string; dtype?: DType }): this {
    const spec = typeof target === 'string'
      ? (/^(cpu|cuda|meta)/.test(target) ? { device: target } : { dtype: target as DType })
      : target;
    const convert = (t: Tensor): Tensor => {
      const opts: { device?: string; dtype?: DType } = {};
      if (spec.device !== undefined) opts.device = spec.device;
      if (spec.dtype !== undefined && isFloatingDType(t.dtype)) opts.dtype = spec.dtype;
      return t.to(opts);
    };
    const done = new Map<Tensor, Tensor>();
    for (const [, m] of this.namedModules()) {
      for (const [name, p] of m.#parameters) {
        if (!p) continue;
        const np = done.get(p) ?? this.#converted(p, convert, true);
        done.set(p, np);
        if (np !== p) m.registerParameter(name, np);
      }
      for (const [name, b] of m.#buffers) {
        if (!b) continue;
        const nb = done.get(b) ?? this.#converted(b, convert, false);
        done.set(b, nb);
        if (nb !== b) m.registerBuffer(name, nb, !m.#nonPersistent.has(name));
      }
    }
    return this;
  }

  #converted(t: Tensor, convert: (t: Tensor) => Tensor, isParam: boolean): Tensor {
    const out = noGrad(() => convert(t));
    if (native.sameTensor(out.handle, t.handle)) {
      out.dispose();
      return t;
    }
    if (isParam) {
      parameter(out, t.requiresGrad);
      const g = t.grad;
      if (g !== null) {
        const moved = noGrad(() => convert(g));
        out.grad = moved;
        moved.dispose();
        g.dispose();
      }
    } else {
      keep(out);
    }
    return out;
  }

  /** Frees every parameter and buffer (for tests and explicit teardown); the module is unusable after. */
  dispose(): void {
    for (const p of this.parameters()) p.dispose();
    for (const b of this.buffers()) b.dispose();
  }

  // ---- state dicts -------------------------------------------------------------------

  /**
   * Parameters then persistent buffers of each module, children after their parent (PyTorch's
   * order), keyed by dotted name. Values are detached new handles (the caller owns them) unless keepVars.
   */
  stateDict(opts: { prefix?: string; keepVars?: boolean } = {}): Map<string, Tensor> {
    return stateDictOf(this, opts.prefix ?? '', opts.keepVars ?? false);
  }

  /**
   * Copies values in place (under noGrad) from a Map or record. Shape mismatches always throw;
   * missing/unexpected keys throw when strict and are returned either way.
   */
  loadStateDict(stateDict: StateDictInput, opts: { strict?: boolean } = {}): LoadStateDictResult {
    // tidy: temporaries (scalar views, upgrade defaults) die here; the copies land in kept tensors.
    return tidy(() => loadStateDictInto(this, stateDict, opts.strict ?? true));
  }

  /**
   * Called with this module's key prefix before its entries are matched; subclasses adapt
   * older checkpoints here (BatchNorm fills a missing num_batches_tracked).
   */
  upgradeStateDict(_prefix: string, _entries: Map<string, Tensor>): void {}

  // ---- printing --------------------------------------------------------------------

  /** Constructor settings shown by toString(), e.g. '3, 64, kernel_size=(3, 3)'. */
  extraRepr(): string {
    return '';
  }

  toString(): string {
    const kids = this.namedChildren();
    const extra = this.extraRepr();
    if (kids.length === 0) return `${this.className}(${extra})`;
    const lines = kids.map(([n, m]) => `  (${n}): ${m.toString().split('\n').join('\n  ')}`);
    if (extra) lines.unshift(`  ${extra}`);
    return `${this.className}(\n${lines.join('\n')}\n)`;
  }
}
