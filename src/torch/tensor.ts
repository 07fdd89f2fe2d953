// Tensor: a JS handle on one libtorch tensor. Core state, conversion, autograd and
// elementwise math live here; shape/indexing and reductions are installed from
// tensor-shape.ts and tensor-reduce.ts.
import { native, type TensorHandle } from './native.js';
import { type DType, dtypeCode, dtypeName, normalizeDType, rawArray, type TypedArray } from './dtype.js';
import { track, type Disposable } from './memory.js';
import { installShapeMethods } from './tensor-shape.js';
import { installReduceMethods } from './tensor-reduce.js';

export type Scalar = number | boolean;
export type TensorOrScalar = Tensor | number;

const ids = new Map<string, number>();
/** Resolves 'add.Tensor' / 'aten::conv2d' to a cached dispatcher id. */
export function opId(qualified: string): number {
  let id = ids.get(qualified);
  if (id === undefined) {
    const full = qualified.includes('::') ? qualified : 'aten::' + qualified;
    const dot = full.indexOf('.', full.indexOf('::'));
    id = dot < 0 ? native.opId(full, '') : native.opId(full.slice(0, dot), full.slice(dot + 1));
    ids.set(qualified, id);
  }
  return id;
}

/** Turns tensors (also inside arrays) into handles for the native call. */
function toNativeArg(a: unknown): unknown {
  if (a instanceof Tensor) return a.handle;
  if (Array.isArray(a) && a.length > 0 && (a[0] instanceof Tensor || a.some((x) => x instanceof Tensor))) {
    return a.map((x) => (x instanceof Tensor ? x.handle : x));
  }
  return a;
}

/** Wraps native results: handles become Tensors, arrays are mapped, scalars pass through. */
export function wrapResult(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(wrapResult);
  return new Tensor(v as TensorHandle);
}

/** Calls any ATen operator by name, e.g. callOp('conv2d', x, w, b, 1, 1). */
export function callOp(qualified: string, ...args: unknown[]): unknown {
  return wrapResult(native.op(opId(qualified), ...args.map(toNativeArg)));
}

/** Calls an operator that returns one tensor. */
export function op(qualified: string, ...args: unknown[]): Tensor {
  return new Tensor(native.op(opId(qualified), ...args.map(toNativeArg)) as TensorHandle);
}

/** Calls an in-place operator and returns `self`. */
export function opInplace<T extends Tensor>(self: T, qualified: string, ...args: unknown[]): T {
  native.opVoid(opId(qualified), self.handle, ...args.map(toNativeArg));
  return self;
}

function binary(self: Tensor, other: TensorOrScalar, tensorOp: string, scalarOp: string, ...rest: unknown[]): Tensor {
  return other instanceof Tensor ? op(tensorOp, self, other, ...rest) : op(scalarOp, self, other, ...rest);
}

function binaryInplace(self: Tensor, other: TensorOrScalar, tensorOp: string, scalarOp: string, ...rest: unknown[]): Tensor {
  return other instanceof Tensor ? opInplace(self, tensorOp, other, ...rest) : opInplace(self, scalarOp, other, ...rest);
}

const isDeviceSpec = (s: string): boolean => s === 'cpu' || s.startsWith('cuda') || s === 'meta';

export class Tensor implements Disposable {
  #handle: TensorHandle;
  #shape?: number[];
  #dtype?: DType;

  constructor(handle: TensorHandle) {
    this.#handle = handle;
    track(this);
  }

  /** The native handle; throws if the tensor was disposed. */
  get handle(): TensorHandle {
    return this.#handle;
  }

  // ---- metadata -------------------------------------------------------------
  get shape(): number[] {
    return (this.#shape ??= native.shape(this.#handle)).slice();
  }
  /** Size of one dimension (negative counts from the end). */
  size(dim: number): number {
    const s = (this.#shape ??= native.shape(this.#handle));
    const d = dim < 0 ? dim + s.length : dim;
    if (d < 0 || d >= s.length) throw new RangeError(`size(${dim}): tensor has ${s.length} dimensions`);
    return s[d]!;
  }
  get ndim(): number {
    return (this.#shape ??= native.shape(this.#handle)).length;
  }
  get numel(): number {
    return native.numel(this.#handle);
  }
  get dtype(): DType {
    return (this.#dtype ??= dtypeName(native.dtype(this.#handle)));
  }
  get device(): string {
    return native.device(this.#handle);
  }
  get isDisposed(): boolean {
    return native.isDisposed(this.#handle);
  }
  /** PyTorch's row-major contiguity (size-1 dims may have any stride); is_contiguous is not a dispatcher op. */
  isContiguous(): boolean {
    const shape = this.shape;
    const strides = native.strides(this.#handle);
    if (shape.some((d) => d === 0)) return true;
    let expected = 1;
    for (let i = shape.length - 1; i >= 0; i--) {
      if (shape[i] === 1) continue;
      if (strides[i] !== expected) return false;
      expected *= shape[i]!;
    }
    return true;
  }
  /** Drops this handle's reference; the memory is freed when no other tensor shares it. */
  dispose(): void {
    native.dispose(this.#handle);
  }
  /** Its release is now up to the garbage collector: let V8 weigh its bytes (memory.ts calls this). */
  leftToGc(): void {
    native.reportExternal(this.#handle);
  }
  /** Used by in-place ops that change metadata. */
  protected invalidate(): void {
    this.#shape = undefined;
    this.#dtype = undefined;
  }

  // ---- reading back ---------------------------------------------------------
  /** The elements as a flat typed array (float16/bfloat16 are widened to Float32Array). */
  data(): TypedArray {
    if (this.dtype === 'float16' || this.dtype === 'bfloat16') {
      const f = this.to('float32');
      try {
        return f.data();
      } finally {
        f.dispose();
      }
    }
    return rawArray(this.dtype, native.toBuffer(this.#handle));
  }
  /** The elements as a flat array of numbers. */
  toArray(): number[] {
    const d = this.data();
    return d instanceof BigInt64Array ? Array.from(d, Number) : Array.from(d as ArrayLike<number>);
  }
  /** Nested arrays, like PyTorch's tolist(). */
  tolist(): unknown {
    const flat = this.toArray();
    const shape = this.shape;
    if (shape.length === 0) return flat[0];
    const build = (dim: number, offset: number): unknown[] => {
      const n = shape[dim]!;
      const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(dim === shape.length - 1 ? flat[offset + i] : build(dim + 1, offset + i * stride));
      return out;
    };
    return build(0, 0);
  }
  item(): number {
    const v = native.item(this.#handle);
    return typeof v === 'boolean' ? Number(v) : v;
  }
  toString(): string {
    const body = this.numel <= 64 ? JSON.stringify(this.tolist()) : `[... ${this.numel} elements]`;
    return `tensor(${body}, shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device})`;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.isDisposed ? 'tensor(<disposed>)' : this.toString();
  }

  // ---- conversion -----------------------------------------------------------
  /** to('cuda'), to('float16'), to({ dtype, device, copy }). */
  to(target: DType | string | { dtype?: DType | string; device?: string; copy?: boolean; nonBlocking?: boolean }): Tensor {
    const opts = typeof target === 'string' ? (isDeviceSpec(target) ? { device: target } : { dtype: target }) : target;
    const dtype = opts.dtype === undefined ? this.dtype : normalizeDType(opts.dtype);
    if (opts.device !== undefined) {
      return op('to.device', this, opts.device, dtypeCode(dtype), opts.nonBlocking ?? false, opts.copy ?? false);
    }
    return op('to.dtype', this, dtypeCode(dtype), opts.nonBlocking ?? false, opts.copy ?? false);
  }
  float(): Tensor { return this.to('float32'); }
  double(): Tensor { return this.to('float64'); }
  half(): Tensor { return this.to('float16'); }
  bfloat16(): Tensor { return this.to('bfloat16'); }
  long(): Tensor { return this.to('int64'); }
  int(): Tensor { return this.to('int32'); }
  bool(): Tensor { return this.to('bool'); }
  cpu(): Tensor { return this.to({ device: 'cpu' }); }
  cuda(index = 0): Tensor { return this.to({ device: `cuda:${index}` }); }
  clone(): Tensor { return op('clone', this); }
  contiguous(): Tensor { return op('contiguous', this); }

  // ---- autograd -------------------------------------------------------------
  get requiresGrad(): boolean {
    return native.requiresGrad(this.#handle);
  }
  requiresGrad_(flag = true): this {
    native.setRequiresGrad(this.#handle, flag);
    return this;
  }
  /** A new handle on .grad (dispose it or let the scope do it), or null. */
  get grad(): Tensor | null {
    const g = native.grad(this.#handle);
    return g === null ? null : new Tensor(g);
  }
  set grad(g: Tensor | null) {
    native.setGrad(this.#handle, g === null ? null : g.handle);
  }
  get isLeaf(): boolean {
    return native.isLeaf(this.#handle);
  }
  /** Name of the autograd node that made this tensor (e.g. 'AddBackward0'), or null. */
  get gradFn(): string | null {
    return native.gradFnName(this.#handle);
  }
  retainGrad(): this {
    native.retainGrad(this.#handle);
    return this;
  }
  backward(gradient?: Tensor | null, opts: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
    native.backward([this.#handle], gradient ? [gradient.handle] : null, opts.retainGraph ?? opts.createGraph ?? false, opts.createGraph ?? false);
  }
  detach(): Tensor { return op('detach', this); }
  detach_(): this { return opInplace(this, 'detach_'); }

  // ---- elementwise math -----------------------------------------------------
  add(other: TensorOrScalar, alpha = 1): Tensor { return binary(this, other, 'add.Tensor', 'add.Scalar', alpha); }
  sub(other: TensorOrScalar, alpha = 1): Tensor { return binary(this, other, 'sub.Tensor', 'sub.Scalar', alpha); }
  mul(other: TensorOrScalar): Tensor { return binary(this, other, 'mul.Tensor', 'mul.Scalar'); }
  div(other: TensorOrScalar, roundingMode?: 'trunc' | 'floor'): Tensor {
    if (roundingMode) return binary(this, other, 'div.Tensor_mode', 'div.Scalar_mode', roundingMode);
    return binary(this, other, 'div.Tensor', 'div.Scalar');
  }
  pow(exponent: TensorOrScalar): Tensor { return binary(this, exponent, 'pow.Tensor_Tensor', 'pow.Tensor_Scalar'); }
  remainder(other: TensorOrScalar): Tensor { return binary(this, other, 'remainder.Tensor', 'remainder.Scalar'); }
  maximum(other: Tensor): Tensor { return op('maximum', this, other); }
  minimum(other: Tensor): Tensor { return op('minimum', this, other); }
  clamp(min?: number | null, max?: number | null): Tensor { return op('clamp', this, min ?? null, max ?? null); }
  lerp(end: Tensor, weight: TensorOrScalar): Tensor {
    return weight instanceof Tensor ? op('lerp.Tensor', this, end, weight) : op('lerp.Scalar', this, end, weight);
  }
  neg(): Tensor { return op('neg', this); }
  abs(): Tensor { return op('abs', this); }
  exp(): Tensor { return op('exp', this); }
  log(): Tensor { return op('log', this); }
  log1p(): Tensor { return op('log1p', this); }
  sqrt(): Tensor { return op('sqrt', this); }
  rsqrt(): Tensor { return op('rsqrt', this); }
  square(): Tensor { return op('square', this); }
  reciprocal(): Tensor { return op('reciprocal', this); }
  sign(): Tensor { return op('sign', this); }
  sin(): Tensor { return op('sin', this); }
  cos(): Tensor { return op('cos', this); }
  erf(): Tensor { return op('erf', this); }
  floor(): Tensor { return op('floor', this); }
  ceil(): Tensor { return op('ceil', this); }
  round(): Tensor { return op('round', this); }
  trunc(): Tensor { return op('trunc', this); }
  sigmoid(): Tensor { return op('sigmoid', this); }
  tanh(): Tensor { return op('tanh', this); }
  relu(): Tensor { return op('relu', this); }
  isnan(): Tensor { return op('isnan', this); }
  isinf(): Tensor { return op('isinf', this); }
  isfinite(): Tensor { return op('isfinite', this); }
  logicalNot(): Tensor { return op('logical_not', this); }
  logicalAnd(other: Tensor): Tensor { return op('logical_and', this, other); }
  logicalOr(other: Tensor): Tensor { return op('logical_or', this, other); }
  eq(other: TensorOrScalar): Tensor { return binary(this, other, 'eq.Tensor', 'eq.Scalar'); }
  ne(other: TensorOrScalar): Tensor { return binary(this, other, 'ne.Tensor', 'ne.Scalar'); }
  lt(other: TensorOrScalar): Tensor { return binary(this, other, 'lt.Tensor', 'lt.Scalar'); }
  le(other: TensorOrScalar): Tensor { return binary(this, other, 'le.Tensor', 'le.Scalar'); }
  gt(other: TensorOrScalar): Tensor { return binary(this, other, 'gt.Tensor', 'gt.Scalar'); }
  ge(other: TensorOrScalar): Tensor { return binary(this, other, 'ge.Tensor', 'ge.Scalar'); }
  /** Elementwise `cond ? this : other`. */
  where(cond: Tensor, other: TensorOrScalar): Tensor {
    return other instanceof Tensor ? op('where.self', cond, this, other) : op('where.ScalarOther', cond, this, other);
  }
  maskedFill(mask: Tensor, value: number): Tensor { return op('masked_fill.Scalar', this, mask, value); }
  allclose(other: Tensor, rtol = 1e-5, atol = 1e-8): boolean { return callOp('allclose', this, other, rtol, atol, false) as boolean; }

  // ---- in place (no autograd history on leaves: use under noGrad) ------------
  add_(other: TensorOrScalar, alpha = 1): this { binaryInplace(this, other, 'add_.Tensor', 'add_.Scalar', alpha); return this; }
  sub_(other: TensorOrScalar, alpha = 1): this { binaryInplace(this, other, 'sub_.Tensor', 'sub_.Scalar', alpha); return this; }
  mul_(other: TensorOrScalar): this { binaryInplace(this, other, 'mul_.Tensor', 'mul_.Scalar'); return this; }
  div_(other: TensorOrScalar): this { binaryInplace(this, other, 'div_.Tensor', 'div_.Scalar'); return this; }
  pow_(exponent: TensorOrScalar): this { binaryInplace(this, exponent, 'pow_.Tensor', 'pow_.Scalar'); return this; }
  addcmul_(t1: Tensor, t2: Tensor, value = 1): this { return opInplace(this, 'addcmul_', t1, t2, value); }
  addcdiv_(t1: Tensor, t2: Tensor, value = 1): this { return opInplace(this, 'addcdiv_', t1, t2, value); }
  lerp_(end: Tensor, weight: TensorOrScalar): this {
    return weight instanceof Tensor ? opInplace(this, 'lerp_.Tensor', end, weight) : opInplace(this, 'lerp_.Scalar', end, weight);
  }
  clamp_(min?: number | null, max?: number | null): this { return opInplace(this, 'clamp_', min ?? null, max ?? null); }
  sqrt_(): this { return opInplace(this, 'sqrt_'); }
  neg_(): this { return opInplace(this, 'neg_'); }
  sign_(): this { return opInplace(this, 'sign_'); }
  abs_(): this { return opInplace(this, 'abs_'); }
  relu_(): this { return opInplace(this, 'relu_'); }
  zero_(): this { return opInplace(this, 'zero_'); }
  fill_(value: number): this { return opInplace(this, 'fill_.Scalar', value); }
  copy_(src: Tensor, nonBlocking = false): this { return opInplace(this, 'copy_', src, nonBlocking); }
  maskedFill_(mask: Tensor, value: number): this { return opInplace(this, 'masked_fill_.Scalar', mask, value); }
  maximum_(other: Tensor): this { return opInplace(this, 'clamp_min_.Tensor', other); }
  minimum_(other: Tensor): this { return opInplace(this, 'clamp_max_.Tensor', other); }
  uniform_(from = 0, to = 1, generator?: { handle: unknown } | null): this { return opInplace(this, 'uniform_', from, to, generator?.handle ?? null); }
  normal_(mean = 0, std = 1, generator?: { handle: unknown } | null): this { return opInplace(this, 'normal_', mean, std, generator?.handle ?? null); }
  bernoulli_(p: number, generator?: { handle: unknown } | null): this { return opInplace(this, 'bernoulli_.float', p, generator?.handle ?? null); }
}

installShapeMethods(Tensor);
installReduceMethods(Tensor);
