// InstanceNorm2d: each (sample, channel) plane normalised by its own statistics (torch.nn.InstanceNorm2d).
import type { Tensor } from '../tensor.js';
import * as F from '../functional/index.js';
import { NormBase, type BatchNormOptions } from './batchnorm.js';

/** Not affine and without running statistics unless asked, as PyTorch's defaults. */
export class InstanceNorm2d extends NormBase {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, opts, { affine: false, trackRunningStats: false });
  }

  protected checkInputDim(x: Tensor): void {
    if (x.ndim !== 3 && x.ndim !== 4) throw new RangeError(`InstanceNorm2d: expected 3D or 4D input (got ${x.ndim}D input)`);
  }

  forward(x: Tensor): Tensor {
    this.checkInputDim(x);
    const channels = x.size(-3);
    if (channels !== this.numFeatures && this.affine) {
      throw new RangeError(`InstanceNorm2d: expected input's size at dim=${x.ndim - 3} to match num_features (${this.numFeatures}), but got: ${channels}`);
    }
    const batched = x.ndim === 4 ? x : x.unsqueeze(0);
    const out = F.instanceNorm(batched, {
      runningMean: this.runningMean, runningVar: this.runningVar, weight: this.weight, bias: this.bias,
      useInputStats: this.training || !this.trackRunningStats, momentum: this.momentum ?? 0.1, eps: this.eps,
    });
    if (batched === x) return out;
    batched.dispose();
    const squeezed = out.squeeze(0);
    out.dispose();
    return squeezed;
  }

  /** Checkpoints may carry running stats this layer does not track; PyTorch drops them on load. */
  override upgradeStateDict(prefix: string, entries: Map<string, Tensor>): void {
    super.upgradeStateDict(prefix, entries);
    if (this.trackRunningStats) return;
    entries.delete(`${prefix}running_mean`);
    entries.delete(`${prefix}running_var`);
  }
}
