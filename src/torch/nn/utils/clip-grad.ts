// Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_): scales or clamps .grad in place.
import { Tensor, op } from '../../tensor.js';
import { stack } from '../../creation.js';
import { tidy } from '../../memory.js';
import { noGrad } from '../../autograd.js';

const withGrads = (params: Tensor | Iterable<Tensor>): Tensor[] =>
  (params instanceof Tensor ? [params] : [...params]).map((p) => p.grad).filter((g): g is Tensor => g !== null);

/**
 * Scales all gradients together so that their joint `normType`-norm (Infinity for the max norm)
 * is at most `maxNorm`. Returns the norm before clipping; 0 when no parameter has a grad.
 */
export function clipGradNorm_(params: Tensor | Iterable<Tensor>, maxNorm: number, normType = 2, errorIfNonfinite = false): number {
  return noGrad(() => tidy(() => {
    const grads = withGrads(params);
    if (grads.length === 0) return 0;
    const device = grads[0]!.device;
    let total: Tensor;
    if (normType === Infinity) {
      const norms = grads.map((g) => g.abs().max().to({ device }));
      total = norms.length === 1 ? norms[0]! : stack(norms).max();
    } else {
      const norms = grads.map((g) => op('norm.ScalarOpt_dim', g, normType, [...g.shape.keys()], false).to({ device }));
      total = op('norm.ScalarOpt_dim', stack(norms), normType, [0], false);
    }
    const totalNorm = total.item();
    if (errorIfNonfinite && !Number.isFinite(totalNorm)) {
      throw new RangeError(`clipGradNorm_: the total norm of order ${normType} for gradients is non-finite, so it cannot be clipped; `
        + 'pass errorIfNonfinite=false to scale the gradients by the non-finite norm anyway');
    }
    // Multiplying by a coefficient clamped to 1 (rather than branching) matches PyTorch bit for bit.
    const coef = total.add(1e-6).reciprocal().mul(maxNorm).clamp(null, 1.0);
    for (const g of grads) g.mul_(coef.to({ device: g.device }));
    return totalNorm;
  }));
}

/** Clamps every gradient elementwise to [-clipValue, clipValue]. */
export function clipGradValue_(params: Tensor | Iterable<Tensor>, clipValue: number): void {
  noGrad(() => tidy(() => {
    for (const g of withGrads(params)) g.clamp_(-clipValue, clipValue);
  }));
}
