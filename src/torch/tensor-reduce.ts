// Reductions, matrix products and sorting (installed on Tensor.prototype).
import { Tensor, op, callOp } from './tensor.js';
import { type DType, dtypeCode } from './dtype.js';

export interface ReduceOptions {
  keepdim?: boolean;
  dtype?: DType;
}

declare module './tensor.js' {
  interface Tensor {
    /** Sum of all elements, or over `dim`. */
    sum(dim?: number | number[] | null, opts?: ReduceOptions): Tensor;
    mean(dim?: number | number[] | null, opts?: ReduceOptions): Tensor;
    prod(dim?: number, opts?: ReduceOptions): Tensor;
    /** Largest element (no dim) or values over `dim`; see maxWithIndices for indices. */
    max(dim?: number, keepdim?: boolean): Tensor;
    min(dim?: number, keepdim?: boolean): Tensor;
    maxWithIndices(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
    minWithIndices(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
    amax(dim?: number | number[], keepdim?: boolean): Tensor;
    amin(dim?: number | number[], keepdim?: boolean): Tensor;
    argmax(dim?: number | null, keepdim?: boolean): Tensor;
    argmin(dim?: number | null, keepdim?: boolean): Tensor;
    /** Variance with Bessel's correction by default (correction=1), as torch.var. */
    var(dim?: number | number[] | null, opts?: { correction?: number; keepdim?: boolean }): Tensor;
    std(dim?: number | number[] | null, opts?: { correction?: number; keepdim?: boolean }): Tensor;
    /** p-norm over all elements or over `dim`. */
    norm(p?: number, dim?: number | number[] | null, keepdim?: boolean): Tensor;
    logsumexp(dim: number | number[], keepdim?: boolean): Tensor;
    cumsum(dim: number): Tensor;
    all(): Tensor;
    any(): Tensor;
    matmul(other: Tensor): Tensor;
    mm(other: Tensor): Tensor;
    bmm(other: Tensor): Tensor;
    topk(k: number, dim?: number, largest?: boolean, sorted?: boolean): { values: Tensor; indices: Tensor };
    sort(dim?: number, descending?: boolean): { values: Tensor; indices: Tensor };
    bincount(weights?: Tensor | null, minlength?: number): Tensor;
  }
}

const dimList = (dim: number | number[]): number[] => (Array.isArray(dim) ? dim : [dim]);
const pair = (r: unknown): { values: Tensor; indices: Tensor } => {
  const [values, indices] = r as [Tensor, Tensor];
  return { values, indices };
};

export function installReduceMethods(T: typeof Tensor): void {
  const p = T.prototype;
  p.sum = function (dim, opts = {}) {
    const dtype = opts.dtype ? dtypeCode(opts.dtype) : null;
    if (dim === undefined || dim === null) return opts.keepdim ? op('sum.dim_IntList', this, [], true, dtype) : op('sum', this, dtype);
    return op('sum.dim_IntList', this, dimList(dim), opts.keepdim ?? false, dtype);
  };
  p.mean = function (dim, opts = {}) {
    const dtype = opts.dtype ? dtypeCode(opts.dtype) : null;
    if (dim === undefined || dim === null) return opts.keepdim ? op('mean.dim', this, [], true, dtype) : op('mean', this, dtype);
    return op('mean.dim', this, dimList(dim), opts.keepdim ?? false, dtype);
  };
  p.prod = function (dim, opts = {}) {
    const dtype = opts.dtype ? dtypeCode(opts.dtype) : null;
    return dim === undefined ? op('prod', this, dtype) : op('prod.dim_int', this, dim, opts.keepdim ?? false, dtype);
  };
  p.max = function (dim, keepdim = false) {
    if (dim === undefined) return op('max', this);
    const r = callOp('max.dim', this, dim, keepdim) as Tensor[];
    r[1]!.dispose();
    return r[0]!;
  };
  p.min = function (dim, keepdim = false) {
    if (dim === undefined) return op('min', this);
    const r = callOp('min.dim', this, dim, keepdim) as Tensor[];
    r[1]!.dispose();
    return r[0]!;
  };
  p.maxWithIndices = function (dim, keepdim = false) { return pair(callOp('max.dim', this, dim, keepdim)); };
  p.minWithIndices = function (dim, keepdim = false) { return pair(callOp('min.dim', this, dim, keepdim)); };
  p.amax = function (dim = [], keepdim = false) { return op('amax', this, dimList(dim), keepdim); };
  p.amin = function (dim = [], keepdim = false) { return op('amin', this, dimList(dim), keepdim); };
  p.argmax = function (dim = null, keepdim = false) { return op('argmax', this, dim, keepdim); };
  p.argmin = function (dim = null, keepdim = false) { return op('argmin', this, dim, keepdim); };
  p.var = function (dim = null, opts = {}) {
    return op('var.correction', this, dim === null ? null : dimList(dim), opts.correction ?? 1, opts.keepdim ?? false);
  };
  p.std = function (dim = null, opts = {}) {
    return op('std.correction', this, dim === null ? null : dimList(dim), opts.correction ?? 1, opts.keepdim ?? false);
  };
  p.norm = function (pNorm = 2, dim = null, keepdim = false) {
    if (dim === null) return op('linalg_vector_norm', this, pNorm, null, false, null);
    return op('linalg_vector_norm', this, pNorm, dimList(dim), keepdim, null);
  };
  p.logsumexp = function (dim, keepdim = false) { return op('logsumexp', this, dimList(dim), keepdim); };
  p.cumsum = function (dim) { return op('cumsum', this, dim); };
  p.all = function () { return op('all', this); };
  p.any = function () { return op('any', this); };
  p.matmul = function (other) { return op('matmul', this, other); };
  p.mm = function (other) { return op('mm', this, other); };
  p.bmm = function (other) { return op('bmm', this, other); };
  p.topk = function (k, dim = -1, largest = true, sorted = true) { return pair(callOp('topk', this, k, dim, largest, sorted)); };
  p.sort = function (dim = -1, descending = false) { return pair(callOp('sort', this, dim, descending)); };
  p.bincount = function (weights = null, minlength = 0) { return op('bincount', this, weights, minlength); };
}
