// Argument normalisation shared by the functional ops: int tuples, reductions, probabilities.
import type { Tensor } from '../tensor.js';

/** One integer for every spatial dimension, or one per dimension (PyTorch's _pair/_triple). */
export type IntTuple = number | readonly number[];

/** Expands `value` to `n` integers; `what` names the argument in the error ("conv2d: stride"). */
export function expandInts(value: IntTuple, n: number, what: string): number[] {
  const one = typeof value === 'number' ? value : value.length === 1 ? value[0]! : null;
  const list = one !== null ? new Array<number>(n).fill(one) : [...(value as readonly number[])];
  if (list.length !== n || list.some((v) => !Number.isInteger(v))) {
    throw new TypeError(`${what}: expected an integer or ${n} integers, got ${JSON.stringify(value)}`);
  }
  return list;
}

export type Reduction = 'none' | 'mean' | 'sum';
const REDUCTIONS: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };

/** ATen's reduction code (at::Reduction): none 0, mean 1, sum 2. */
export function reductionCode(reduction: Reduction | undefined, where: string): number {
  const r = reduction ?? 'mean';
  const code = REDUCTIONS[r];
  if (code === undefined) throw new TypeError(`${where}: reduction: expected 'none' | 'mean' | 'sum', got '${String(r)}'`);
  return code;
}

/** Dropout-style probabilities must lie in [0, 1]. */
export function checkProbability(p: number, where: string, name = 'p'): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${where}: ${name} must be between 0 and 1, got ${p}`);
}

export const shapeStr = (t: Tensor): string => `[${t.shape.join(', ')}]`;

export const sameShape = (a: Tensor, b: Tensor): boolean => {
  const x = a.shape;
  const y = b.shape;
  return x.length === y.length && x.every((v, i) => v === y[i]);
};
