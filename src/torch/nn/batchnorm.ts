// Batch normalisation layers: BatchNorm1d, BatchNorm2d and SyncBatchNorm (one-process form),
// with PyTorch's running statistics, momentum=null cumulative averaging and num_batches_tracked.
import type { Tensor } from '../tensor.js';
import { ones, zeros } from '../creation.js';
import { noGrad } from '../autograd.js';
import * as F from '../functional/index.js';
import { Module } from './module.js';
import type { Parameter } from './parameter.js';
import { ones_, zeros_ } from './init.js';
import { pyFloat } from './args.js';
import type { FactoryOptions } from './conv.js';

export interface BatchNormOptions extends Omit<FactoryOptions, 'generator'> {
  eps?: number;
  /** Weight of the new batch in the running averages; null means a cumulative (equal-weight) average. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

/** Parameters, running statistics and their resets, shared by batch and instance norm (PyTorch's _NormBase). */
export abstract class NormBase extends Module {
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  runningMean: Tensor | null;
  runningVar: Tensor | null;
  numBatchesTracked: Tensor | null;

  /** `defaults` differ: batch norm is affine and tracks statistics, instance norm neither. */
  constructor(readonly numFeatures: number, opts: BatchNormOptions, defaults: { affine: boolean; trackRunningStats: boolean }) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures < 1) throw new RangeError(`${this.className}: num_features must be a positive integer, got ${numFeatures}`);
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    this.affine = opts.affine ?? defaults.affine;
    this.trackRunningStats = opts.trackRunningStats ?? defaults.trackRunningStats;
    const factory = { dtype: opts.dtype, device: opts.device };
    this.weight = this.registerParameter('weight', this.affine ? ones([numFeatures], factory) : null);
    this.bias = this.registerParameter('bias', this.affine ? zeros([numFeatures], factory) : null);
    const track = this.trackRunningStats;
    this.runningMean = this.registerBuffer('running_mean', track ? zeros([numFeatures], factory) : null);
    this.runningVar = this.registerBuffer('running_var', track ? ones([numFeatures], factory) : null);
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', track ? zeros([], { dtype: 'int64', device: opts.device }) : null);
  }

  /** Throws unless `x` has the rank this layer normalises. */
  protected abstract checkInputDim(x: Tensor): void;

  resetRunningStats(): void {
    noGrad(() => {
      this.runningMean?.zero_();
      this.runningVar?.fill_(1);
      this.numBatchesTracked?.zero_();
    });
  }

  resetParameters(): void {
    this.resetRunningStats();
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }

  /** Checkpoints made before num_batches_tracked existed lack it; it starts from 0 then, as in PyTorch. */
  override upgradeStateDict(prefix: string, entries: Map<string, Tensor>): void {
    const key = `${prefix}num_batches_tracked`;
    if (this.trackRunningStats && !entries.has(key)) entries.set(key, zeros([], { dtype: 'int64' }));
  }

  override extraRepr(): string {
    const py = (b: boolean): string => (b ? 'True' : 'False');
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${this.momentum ?? 'None'}, affine=${py(this.affine)}, track_running_stats=${py(this.trackRunningStats)}`;
  }
}

/** Shared body of the batch-norm layers (PyTorch's _BatchNorm). */
export abstract class BatchNormBase extends NormBase {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, opts, { affine: true, trackRunningStats: true });
  }

  forward(x: Tensor): Tensor {
    this.checkInputDim(x);
    let factor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats && this.numBatchesTracked) {
      const count = this.numBatchesTracked;
      noGrad(() => count.add_(1));
      if (this.momentum === null) factor = 1 / count.item();
    }
    // Eval mode without running statistics falls back to batch statistics, as PyTorch.
    const useBatchStats = this.training || (this.runningMean === null && this.runningVar === null);
    const updateStats = !this.training || this.trackRunningStats;
    return F.batchNorm(x, updateStats ? this.runningMean : null, updateStats ? this.runningVar : null, {
      weight: this.weight, bias: this.bias, training: useBatchStats, momentum: factor, eps: this.eps,
    });
  }

}

/** Batch norm over (N, C) or (N, C, L). */
export class BatchNorm1d extends BatchNormBase {
  protected checkInputDim(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3) throw new RangeError(`BatchNorm1d: expected 2D or 3D input (got ${x.ndim}D input)`);
  }
}

/** Batch norm over (N, C, H, W). */
export class BatchNorm2d extends BatchNormBase {
  protected checkInputDim(x: Tensor): void {
    if (x.ndim !== 4) throw new RangeError(`BatchNorm2d: expected 4D input (got ${x.ndim}D input)`);
  }
}

export interface SyncBatchNormOptions extends BatchNormOptions {
  /** The process group whose batches are pooled; unused while training runs in one process. */
  processGroup?: unknown;
}

/**
 * Batch norm whose statistics would be pooled across processes. In one process it is
 * exactly BatchNorm over (N, C, *); configs naming 'SyncBN' build it.
 */
export class SyncBatchNorm extends BatchNormBase {
  processGroup: unknown;

  constructor(numFeatures: number, opts: SyncBatchNormOptions = {}) {
    super(numFeatures, opts);
    this.processGroup = opts.processGroup ?? null;
  }

  protected checkInputDim(x: Tensor): void {
    if (x.ndim < 2) throw new RangeError(`SyncBatchNorm: expected at least 2D input (got ${x.ndim}D input)`);
  }

  /**
   * Replaces every batch-norm layer in `module` (or `module` itself) by a SyncBatchNorm that
   * shares its parameters and running statistics, as SyncBatchNorm.convert_sync_batchnorm.
   */
  static convertSyncBatchnorm(module: Module, processGroup: unknown = null): Module {
    if (module instanceof BatchNormBase) {
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
