// Parameters: kept leaf tensors that a Module trains (torch.nn.Parameter as a mark, not a subclass).
import { Tensor } from '../tensor.js';
import { keep } from '../memory.js';
import { noGrad } from '../autograd.js';

/** A Tensor registered as a module parameter; the alias documents intent in field types. */
export type Parameter = Tensor;

const marked = new WeakSet<Tensor>();

/**
 * Marks `t` as a parameter: kept (survives tidy scopes) and requiring grad. A tensor
 * with autograd history is detached first (as nn.Parameter(x) does), so the result is a
 * leaf; the caller still owns the handle it passed in that case.
 */
export function parameter(t: Tensor, requiresGrad = true): Parameter {
  const leaf = t.gradFn === null ? t : noGrad(() => t.detach());
  keep(leaf);
  leaf.requiresGrad_(requiresGrad);
  marked.add(leaf);
  return leaf;
}

/** Whether `t` was made by parameter() (directly or by registering it on a Module). */
export const isParameter = (t: unknown): t is Parameter => t instanceof Tensor && marked.has(t);
