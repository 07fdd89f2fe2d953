// Shared by the decode-head tests: random weights and batch-norm statistics, and MMSeg's state-dict key names.
import * as torch from '../../../torch/index.js';

export const BN_KEYS = ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'];

/** Random parameters (std 0.3) and running statistics, so eval-mode outputs exercise every weight. */
export function randomise(m: torch.nn.Module): void {
  torch.noGrad(() => {
    for (const [, p] of m.namedParameters()) p.copy_(torch.randn(p.shape).mul(0.3));
    for (const [name, b] of m.namedBuffers()) {
      if (name.endsWith('running_mean')) b.copy_(torch.randn(b.shape).mul(0.1));
      if (name.endsWith('running_var')) b.copy_(torch.rand(b.shape).add(0.5));
    }
  });
}
