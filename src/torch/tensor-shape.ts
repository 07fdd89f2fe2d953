// Tensor views, shape changes and indexing (installed on Tensor.prototype).
import { Tensor, op, callOp, opInplace } from './tensor.js';

/** One entry of index(): a tensor index, null for ':' on that dimension. */
export type IndexEntry = Tensor | null;

declare module './tensor.js' {
  interface Tensor {
    view(...shape: number[]): Tensor;
    reshape(...shape: number[]): Tensor;
    permute(...dims: number[]): Tensor;
    transpose(dim0: number, dim1: number): Tensor;
    /** 2-D transpose. */
    t(): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    unflatten(dim: number, sizes: number[]): Tensor;
    squeeze(dim?: number): Tensor;
    unsqueeze(dim: number): Tensor;
    expand(...shape: number[]): Tensor;
    expandAs(other: Tensor): Tensor;
    repeat(...repeats: number[]): Tensor;
    narrow(dim: number, start: number, length: number): Tensor;
    select(dim: number, index: number): Tensor;
    slice(dim: number, start?: number | null, end?: number | null, step?: number): Tensor;
    chunk(chunks: number, dim?: number): Tensor[];
    split(splitSize: number | number[], dim?: number): Tensor[];
    unbind(dim?: number): Tensor[];
    flip(...dims: number[]): Tensor;
    roll(shifts: number | number[], dims: number | number[]): Tensor;
    indexSelect(dim: number, index: Tensor): Tensor;
    gather(dim: number, index: Tensor): Tensor;
    scatter(dim: number, index: Tensor, src: Tensor | number): Tensor;
    scatter_(dim: number, index: Tensor, src: Tensor | number): Tensor;
    scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor;
    /** Advanced indexing like x[idx0, idx1, ...] with null for ':'. */
    index(indices: IndexEntry[]): Tensor;
    indexPut_(indices: IndexEntry[], values: Tensor, accumulate?: boolean): Tensor;
    maskedSelect(mask: Tensor): Tensor;
    tril(diagonal?: number): Tensor;
    triu(diagonal?: number): Tensor;
  }
}

const dimsArg = (dims: number[]): number[] => (dims.length === 1 && Array.isArray(dims[0]) ? (dims[0] as unknown as number[]) : dims);

export function installShapeMethods(T: typeof Tensor): void {
  const p = T.prototype;
  p.view = function (...shape) { return op('view', this, dimsArg(shape)); };
  p.reshape = function (...shape) { return op('reshape', this, dimsArg(shape)); };
  p.permute = function (...dims) { return op('permute', this, dimsArg(dims)); };
  p.transpose = function (d0, d1) { return op('transpose.int', this, d0, d1); };
  p.t = function () { return op('t', this); };
  p.flatten = function (startDim = 0, endDim = -1) { return op('flatten.using_ints', this, startDim, endDim); };
  p.unflatten = function (dim, sizes) { return op('unflatten.int', this, dim, sizes); };
  p.squeeze = function (dim) { return dim === undefined ? op('squeeze', this) : op('squeeze.dim', this, dim); };
  p.unsqueeze = function (dim) { return op('unsqueeze', this, dim); };
  p.expand = function (...shape) { return op('expand', this, dimsArg(shape)); };
  p.expandAs = function (other) { return op('expand_as', this, other); };
  p.repeat = function (...repeats) { return op('repeat', this, dimsArg(repeats)); };
  p.narrow = function (dim, start, length) { return op('narrow', this, dim, start, length); };
  p.select = function (dim, index) { return op('select.int', this, dim, index); };
  p.slice = function (dim, start = null, end = null, step = 1) { return op('slice.Tensor', this, dim, start, end, step); };
  p.chunk = function (chunks, dim = 0) { return callOp('chunk', this, chunks, dim) as Tensor[]; };
  p.split = function (size, dim = 0) {
    return (Array.isArray(size) ? callOp('split_with_sizes', this, size, dim) : callOp('split.Tensor', this, size, dim)) as Tensor[];
  };
  p.unbind = function (dim = 0) { return callOp('unbind.int', this, dim) as Tensor[]; };
  p.flip = function (...dims) { return op('flip', this, dimsArg(dims)); };
  p.roll = function (shifts, dims) { return op('roll', this, [shifts].flat(), [dims].flat()); };
  p.indexSelect = function (dim, index) { return op('index_select', this, dim, index); };
  p.gather = function (dim, index) { return op('gather', this, dim, index); };
  p.scatter = function (dim, index, src) {
    return src instanceof T ? op('scatter.src', this, dim, index, src) : op('scatter.value', this, dim, index, src);
  };
  p.scatter_ = function (dim, index, src) {
    return src instanceof T ? opInplace(this, 'scatter_.src', dim, index, src) : opInplace(this, 'scatter_.value', dim, index, src);
  };
  p.scatterAdd = function (dim, index, src) { return op('scatter_add', this, dim, index, src); };
  p.index = function (indices) { return op('index.Tensor', this, indices); };
  p.indexPut_ = function (indices, values, accumulate = false) { return opInplace(this, 'index_put_', indices, values, accumulate); };
  p.maskedSelect = function (mask) { return op('masked_select', this, mask); };
  p.tril = function (diagonal = 0) { return op('tril', this, diagonal); };
  p.triu = function (diagonal = 0) { return op('triu', this, diagonal); };
}
