// Differentiable collectives: a sum over ranks whose backward sums the gradients over ranks.
import { Tensor } from '../tensor.js';
import { dist } from './native-dist.js';
import { getDefaultGroup, type ProcessGroup } from './process-group.js';

/**
 * A new tensor holding the sum of `t` over all ranks. Gradients flow back to `t` summed over ranks
 * too, so a loss summed over ranks differentiates correctly through statistics pooled this way.
 */
export function allReduceDifferentiable(t: Tensor, group?: ProcessGroup): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError('allReduceDifferentiable: expected a Tensor');
  const g = group ?? getDefaultGroup('allReduceDifferentiable');
  return new Tensor(dist.distAllReduceDifferentiable(g.handle, t.handle));
}
