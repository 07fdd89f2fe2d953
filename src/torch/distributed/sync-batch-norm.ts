// SyncBatchNorm for CPU (and any device): batch statistics pooled over all ranks, composed from
// differentiable ops and a differentiable all-reduce, since libtorch 1.13's SyncBN kernels are CUDA-only.
import type { Tensor } from '../tensor.js';
import { cat, full } from '../creation.js';
import { noGrad } from '../autograd.js';
import { Module } from '../nn/module.js';
import { BatchNormBase, SyncBatchNorm as LocalSyncBatchNorm, type SyncBatchNormOptions } from '../nn/batchnorm.js';
import { allReduceDifferentiable } from './functional.js';
import { isInitialized, getDefaultGroup, type ProcessGroup } from './process-group.js';

/**
 * torch.nn.SyncBatchNorm: same parameters, buffers and state-dict keys as BatchNorm2d. While
 * training in a process group of more than one rank, mean and variance are those of the batch
 * concatenated over all ranks (and gradients flow through them across ranks); otherwise it is
 * exactly BatchNorm (one process, or eval mode with running statistics).
 */
export class SyncBatchNorm extends LocalSyncBatchNorm {
  constructor(numFeatures: number, opts: SyncBatchNormOptions = {}) {
    super(numFeatures, opts);
  }

  #group(): ProcessGroup | null {
    const g = (this.processGroup as ProcessGroup | null) ?? (isInitialized() ? getDefaultGroup() : null);
    return g && !g.destroyed && g.worldSize > 1 ? g : null;
  }

  override forward(x: Tensor): Tensor {
    const group = this.training ? this.#group() : null;
    if (!group) return super.forward(x);
    this.checkInputDim(x);
    let factor = this.momentum ?? 0;
    if (this.trackRunningStats && this.numBatchesTracked) {
      const count = this.numBatchesTracked;
      noGrad(() => count.add_(1));
      if (this.momentum === null) factor = 1 / count.item();
    }
    const C = this.numFeatures;
    if (x.shape[1] !== C) throw new RangeError(`SyncBatchNorm: expected ${C} channels in dim 1, got input of shape [${x.shape.join(', ')}]`);
    const dims = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
    const perChannel = [1, C, ...Array.from({ length: x.ndim - 2 }, () => 1)];
    // Pass 1: the global mean (sum and element count over ranks in one all-reduce).
    const pooled = allReduceDifferentiable(cat([x.sum(dims), full([1], x.numel / C, { dtype: x.dtype })]), group);
    const n = pooled.narrow(0, C, 1).item();
    if (n <= 1) throw new RangeError(`SyncBatchNorm: expected more than 1 value per channel when training, got input of shape [${x.shape.join(', ')}] on every rank together`);
    const mean = pooled.narrow(0, 0, C).div(n);
    // Pass 2: the global biased variance around that mean (two passes keep float32 accurate).
    const centred = x.sub(mean.view(...perChannel));
    const variance = allReduceDifferentiable(centred.square().sum(dims), group).div(n);
    let y = centred.mul(variance.add(this.eps).rsqrt().view(...perChannel));
    if (this.weight && this.bias) y = y.mul(this.weight.view(...perChannel)).add(this.bias.view(...perChannel));
    if (this.trackRunningStats && this.runningMean && this.runningVar) {
      const rm = this.runningMean;
      const rv = this.runningVar;
      noGrad(() => {
        rm.mul_(1 - factor).add_(mean.detach().mul(factor));
        rv.mul_(1 - factor).add_(variance.detach().mul(factor * n / (n - 1)));
      });
    }
    return y;
  }

  /**
   * Replaces every batch-norm layer in `module` (or `module` itself) by this SyncBatchNorm, sharing
   * its parameters and running statistics (SyncBatchNorm.convert_sync_batchnorm).
   */
  static override convertSyncBatchnorm(module: Module, processGroup: ProcessGroup | null = null): Module {
    if (module instanceof BatchNormBase && !(module instanceof SyncBatchNorm)) {
      const out = new SyncBatchNorm(module.numFeatures, {
        eps: module.eps, momentum: module.momentum, affine: module.affine, trackRunningStats: module.trackRunningStats, processGroup,
      });
      out.dispose();
      if (module.affine) {
        out.registerParameter('weight', module.weight);
        out.registerParameter('bias', module.bias);
      }
      out.registerBuffer('running_mean', module.runningMean);
      out.registerBuffer('running_var', module.runningVar);
      out.registerBuffer('num_batches_tracked', module.numBatchesTracked);
      out.training = module.training;
      for (const [name, child] of module.namedChildren()) out.registerModule(name, SyncBatchNorm.convertSyncBatchnorm(child, processGroup));
      return out;
    }
    for (const [name, child] of module.namedChildren()) {
      const converted = SyncBatchNorm.convertSyncBatchnorm(child, processGroup);
      if (converted !== child) module.setModule(name, converted);
    }
    return module;
  }
}
