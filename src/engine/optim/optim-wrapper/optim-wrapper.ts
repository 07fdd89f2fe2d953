// OptimWrapper: one parameter-update flow (backward, accumulate, clip, step, zero) over any optimizer, as MMEngine's.
import { z } from 'zod';
import type { Tensor } from '../../../torch/index.js';
import { tidy } from '../../../torch/index.js';
import { BatchNormBase, type Module } from '../../../torch/nn/index.js';
import { clipGradNorm_, clipGradValue_ } from '../../../torch/nn/utils/index.js';
import { Optimizer, type OptimizerStateDict, type ParamGroup } from '../../../torch/optim/index.js';
import { parseOptions } from '../../config/errors.js';
import { OPTIM_WRAPPERS } from '../../registry/index.js';
import { parseClipGrad, type ClipGradConfig } from './clip-grad.js';
import { copyPlain } from './copy-plain.js';
import { defaultOptimLogger, type OptimLogger, type ScalarSink } from './optim-logger.js';

export const optimWrapperOptionsSchema = z.object({
  optimizer: z.custom<Optimizer>((v) => v instanceof Optimizer, 'expected a built optimizer (the constructor builds it from optimizer: {type, lr, ...})'),
  accumulative_counts: z.number().int().min(1).default(1),
  clip_grad: z.unknown().optional(),
}).strict();

export type OptimWrapperOptions = z.input<typeof optimWrapperOptionsSchema>;

/** The optimizer wrapper's state: the optimizer's, plus MMEngine's extra keys. */
export type OptimWrapperState = OptimizerStateDict & {
  base_param_settings?: Record<string, unknown>;
  loss_scaler?: Record<string, number>;
};

export interface StepKwargs {
  /** Re-evaluates the loss (optimizer.step(closure)). */
  closure?: () => unknown;
}

export interface ZeroKwargs {
  /** Drop the grads (default, as PyTorch 2) instead of zeroing them in place. */
  setToNone?: boolean;
}

/**
 * A model that can hold back gradient synchronisation (a distributed wrapper's no_sync).
 * optimContext uses it on iterations that only accumulate gradients.
 */
export interface GradSyncControl {
  enterNoSync(): void;
  exitNoSync(): void;
}

const controlsGradSync = (m: unknown): m is GradSyncControl =>
  typeof (m as GradSyncControl).enterNoSync === 'function' && typeof (m as GradSyncControl).exitNoSync === 'function';

/** An open optimContext, closed by exitOptimContext. */
export interface OptimContextToken {
  readonly model: Module;
  syncBlocked: boolean;
  /** Set by subclasses that open more (AmpOptimWrapper: the autocast region). */
  extra?: unknown;
  closed: boolean;
}

export class OptimWrapper {
  readonly optimizer: Optimizer;
  readonly accumulativeCounts: number;
  readonly clipGrad: ClipGradConfig | null;
  /** Where `train/grad_norm` goes; the Runner sets its MessageHub here. Unset: the norm is not recorded. */
  messageHub: ScalarSink | undefined;
  /**
   * segkit's hook points inside an update (the Runner sets them): after backward, and right
   * before the optimizer step (grads final: unscaled and clipped). Synchronous.
   */
  stepHooks: { afterBackward(): void; beforeOptimizerStep(): void } | undefined;
  /** Warnings (accumulation with BatchNorm, skipped AMP steps, ...). The Runner sets its logger. */
  logger: OptimLogger = defaultOptimLogger;
  /**
   * MMEngine's base_param_settings: with several param groups, a pseudo group holding the
   * optimizer's defaults rides at the end of paramGroups so schedulers also schedule (and
   * the logger reports) the base lr. Its params list is empty.
   */
  baseParamSettings: ParamGroup | null;
  #innerCount = 0;
  #maxCounts = -1;
  #remainderCounts = -1;

  constructor(options: OptimWrapperOptions) {
    const o = parseOptions(optimWrapperOptionsSchema, options);
    this.optimizer = o.optimizer;
    this.accumulativeCounts = o.accumulative_counts;
    this.clipGrad = parseClipGrad(o.clip_grad);
    this.baseParamSettings = this.optimizer.paramGroups.length > 1
      ? { ...copyPlain(this.optimizer.defaults as Record<string, unknown>), params: [] }
      : null;
  }

  /** Iterations counted so far (backward calls, or the value given to initializeCountStatus). */
  get innerCount(): number {
    return this.#innerCount;
  }

  /** The optimizer's live param groups (plus baseParamSettings), for schedulers. */
  get paramGroups(): ParamGroup[] {
    const groups = this.optimizer.paramGroups as ParamGroup[];
    return this.baseParamSettings ? [...groups, this.baseParamSettings] : groups;
  }

  get defaults(): Readonly<Record<string, unknown>> {
    return this.optimizer.defaults as Readonly<Record<string, unknown>>;
  }

  /** Scales the loss for accumulation, backpropagates, and steps + zeroes the grads when an update is due. */
  updateParams(loss: Tensor, { stepKwargs, zeroKwargs }: { stepKwargs?: StepKwargs; zeroKwargs?: ZeroKwargs } = {}): void {
    tidy(() => this.backward(this.scaleLoss(loss)));
    this.stepHooks?.afterBackward();
    if (this.shouldUpdate()) {
      this.step(stepKwargs);
      this.zeroGrad(zeroKwargs);
    }
  }

  /** Backpropagates `loss` (AmpOptimWrapper scales it first) and counts the iteration. */
  backward(loss: Tensor, opts: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
    tidy(() => this.lossForBackward(loss).backward(null, opts));
    this.#innerCount += 1;
  }

  /** What backward() differentiates: the loss itself here; subclasses scale it. */
  protected lossForBackward(loss: Tensor): Tensor {
    return loss;
  }

  /** Clips the grads when clip_grad is set, then steps the optimizer. */
  step(kwargs: StepKwargs = {}): void {
    if (this.clipGrad) this.clipGrads();
    this.stepHooks?.beforeOptimizerStep();
    this.optimizer.step(kwargs.closure);
  }

  zeroGrad(kwargs: ZeroKwargs = {}): void {
    this.optimizer.zeroGrad(kwargs.setToNone);
  }

  /** Clips the grads of the trainable parameters; norm clipping records `train/grad_norm` (as MMEngine). */
  protected clipGrads(): void {
    const params = tidy(() => this.optimizer.paramGroups.flatMap((g) => g.params).filter((p) => p.requiresGrad && p.grad !== null));
    if (params.length === 0 || this.clipGrad === null) return;
    if (this.clipGrad.type === 'norm') {
      const norm = clipGradNorm_(params, this.clipGrad.maxNorm, this.clipGrad.normType, this.clipGrad.errorIfNonfinite);
      this.messageHub?.updateScalar('train/grad_norm', norm);
    } else {
      // clip_grad_value_ returns nothing, so MMEngine records no scalar for it either.
      clipGradValue_(params, this.clipGrad.clipValue);
    }
  }

  /** The learning rate of every param group (and `base_lr` when there are several groups). */
  getLr(): { base_lr?: number[]; lr: number[] } {
    const lr = this.optimizer.paramGroups.map((g) => g.lr as number);
    return this.baseParamSettings ? { base_lr: [this.baseParamSettings.lr as number], lr } : { lr };
  }

  /** Each group's momentum; betas[0] for Adam-like optimizers, 0 when there is neither. */
  getMomentum(): { momentum: number[] } {
    return {
      momentum: this.optimizer.paramGroups.map((g) => {
        if ('momentum' in g) return g.momentum as number;
        if ('betas' in g) return (g.betas as number[])[0]!;
        return 0;
      }),
    };
  }

  stateDict(): OptimWrapperState {
    const sd: OptimWrapperState = this.optimizer.stateDict();
    if (this.baseParamSettings) {
      const { params: _params, ...settings } = this.baseParamSettings;
      sd.base_param_settings = { ...copyPlain(settings), params: [] };
    }
    return sd;
  }

  loadStateDict(sd: OptimWrapperState): void {
    const { base_param_settings: base, loss_scaler: _scaler, ...optimizerState } = sd;
    if (base !== undefined && base !== null) {
      const { params: _params, ...settings } = base;
      const target = this.baseParamSettings ?? (this.baseParamSettings = { params: [] });
      for (const k of Object.keys(target)) if (k !== 'params') delete target[k];
      Object.assign(target, copyPlain(settings));
    }
    this.optimizer.loadStateDict(optimizerState);
  }

  // ---- gradient accumulation ---------------------------------------------------

  /**
   * Sets the iteration count (e.g. on resume) and the total, so the last
   * `maxCounts % accumulative_counts` iterations are scaled by that remainder and still update.
   */
  initializeCountStatus(model: Module, initCounts: number, maxCounts: number): void {
    this.#innerCount = initCounts;
    this.#maxCounts = maxCounts;
    if (initCounts % this.accumulativeCounts !== 0) {
      this.logger.warning('Resumed iteration number is not divisible by `accumulative_counts`, which means the gradient '
        + 'of some iterations is lost and the result may be influenced slightly.');
    }
    if (this.accumulativeCounts > 1 && model.modules().some((m) => m instanceof BatchNormBase)) {
      this.logger.warning('Gradient accumulation may slightly decrease performance because the model has BatchNorm layers '
        + '(their statistics see one small batch at a time).');
    }
    this.#remainderCounts = maxCounts % this.accumulativeCounts;
  }

  /** Whether the iteration just counted by backward() ends an accumulation window. */
  shouldUpdate(): boolean {
    return this.#innerCount % this.accumulativeCounts === 0 || this.#innerCount === this.#maxCounts;
  }

  /** Whether the coming iteration (before backward counts it) should synchronise gradients. */
  shouldSync(): boolean {
    const next = this.#innerCount + 1;
    return next % this.accumulativeCounts === 0 || next === this.#maxCounts;
  }

  /** loss / accumulative_counts, or / the remainder in the last incomplete window. */
  scaleLoss(loss: Tensor): Tensor {
    let factor: number;
    if (this.accumulativeCounts === 1) {
      factor = 1;
    } else if (this.#maxCounts === -1) {
      factor = this.accumulativeCounts;
    } else {
      factor = this.#innerCount < this.#maxCounts - this.#remainderCounts ? this.accumulativeCounts : this.#remainderCounts;
      if (!(factor > 0)) {
        throw new RangeError(`OptimWrapper: loss factor ${factor} at iteration ${this.#innerCount}: initializeCountStatus got init counts or max counts `
          + `(${this.#maxCounts}) that the iterations have run past`);
      }
    }
    return loss.div(factor);
  }

  // ---- context -----------------------------------------------------------------

  /**
   * Runs the forward pass `fn` in the wrapper's context: gradient sync held back on
   * accumulation-only iterations (when the model supports it) and, for AmpOptimWrapper,
   * autocast. An async `fn` keeps the context open until its promise settles; the
   * autocast state is per thread, so other async work running meanwhile sees it too.
   */
  optimContext<T>(model: Module, fn: () => T): T {
    const token = this.enterOptimContext(model);
    let result: T;
    try {
      result = fn();
    } catch (err) {
      this.exitOptimContext(token);
      throw err;
    }
    if (result instanceof Promise) {
      return result.finally(() => this.exitOptimContext(token)) as T;
    }
    this.exitOptimContext(token);
    return result;
  }

  /** Opens the context optimContext runs fn in; close it with exitOptimContext (innermost first). */
  enterOptimContext(model: Module): OptimContextToken {
    const token: OptimContextToken = { model, syncBlocked: false, closed: false };
    if (!this.shouldSync() && controlsGradSync(model)) {
      model.enterNoSync();
      token.syncBlocked = true;
    }
    return token;
  }

  exitOptimContext(token: OptimContextToken): void {
    if (token.closed) throw new Error(`${this.constructor.name}.exitOptimContext: this context is already closed`);
    token.closed = true;
    if (token.syncBlocked) (token.model as unknown as GradSyncControl).exitNoSync();
  }

  toString(): string {
    return `Type: ${this.constructor.name}\n_accumulative_counts: ${this.accumulativeCounts}\noptimizer: \n${this.optimizer.name}`;
  }
}

OPTIM_WRAPPERS.register(OptimWrapper);
