// AmpOptimWrapper: mixed precision (autocast + loss scaling) on top of OptimWrapper, as MMEngine's, on CPU too.
//
// MMEngine refuses AMP without a GPU; segkit runs it on CPU with bfloat16 autocast, which
// libtorch supports there. The device comes from the model's parameters.
import { z } from 'zod';
import type { Tensor } from '../../../torch/index.js';
import type { Module } from '../../../torch/nn/index.js';
import { GradScaler, enterAutocast, exitAutocast, type AutocastDType, type AutocastToken, type GradScalerOptions, type GradScalerState } from '../../../torch/amp/index.js';
import { ConfigError, parseOptions } from '../../config/errors.js';
import { OPTIM_WRAPPERS } from '../../registry/index.js';
import { OptimWrapper, optimWrapperOptionsSchema, type OptimContextToken, type OptimWrapperState, type StepKwargs } from './optim-wrapper.js';

const lossScaleObjectSchema = z.object({
  init_scale: z.number().positive().optional(),
  growth_factor: z.number().optional(),
  backoff_factor: z.number().optional(),
  growth_interval: z.number().int().optional(),
  enabled: z.boolean().optional(),
}).strict();

export const ampOptimWrapperOptionsSchema = optimWrapperOptionsSchema.extend({
  /** 'dynamic' (GradScaler's defaults), a fixed scale, or GradScaler's arguments. */
  loss_scale: z.unknown().optional(),
  /** null: bfloat16 on CPU, the CUDA autocast default (float16) on GPUs. */
  dtype: z.enum(['float16', 'bfloat16']).nullable().default(null),
});

export type AmpOptimWrapperOptions = z.input<typeof ampOptimWrapperOptionsSchema>;

const describe = (v: unknown): string => (v === undefined ? 'nothing' : Array.isArray(v) ? 'a list' : JSON.stringify(v));

/** The GradScaler options for `loss_scale`, and the fixed scale to re-apply after each step (MMEngine's _scale_update_param). */
function parseLossScale(input: unknown): { scaler: GradScalerOptions; fixedScale: number | undefined } {
  if (input === undefined || input === 'dynamic') return { scaler: {}, fixedScale: undefined };
  if (typeof input === 'number') {
    if (!(input > 0) || !Number.isFinite(input)) throw new ConfigError(['loss_scale'], `expected a finite number > 0, got ${input}`);
    return { scaler: { initScale: input }, fixedScale: input };
  }
  if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
    const o = parseOptions(lossScaleObjectSchema, input, ['loss_scale']);
    return {
      scaler: { initScale: o.init_scale, growthFactor: o.growth_factor, backoffFactor: o.backoff_factor, growthInterval: o.growth_interval, enabled: o.enabled },
      fixedScale: undefined,
    };
  }
  throw new ConfigError(['loss_scale'], `expected 'dynamic', a number or {init_scale, growth_factor, backoff_factor, growth_interval}, got ${describe(input)}`);
}

const deviceTypeOf = (device: string): 'cpu' | 'cuda' => (device.startsWith('cuda') ? 'cuda' : 'cpu');

export class AmpOptimWrapper extends OptimWrapper {
  readonly lossScaler: GradScaler;
  /** The autocast dtype from the config; null picks the device's default. */
  readonly castDtype: AutocastDType | null;
  readonly #fixedScale: number | undefined;

  constructor(options: AmpOptimWrapperOptions) {
    const { loss_scale: lossScale, dtype, ...rest } = parseOptions(ampOptimWrapperOptionsSchema, options);
    super(rest);
    const { scaler, fixedScale } = parseLossScale(lossScale);
    try {
      this.lossScaler = new GradScaler(scaler);
    } catch (err) {
      throw new ConfigError(['loss_scale'], (err as Error).message);
    }
    this.#fixedScale = fixedScale;
    this.castDtype = dtype;
    const device = this.optimizer.paramGroups[0]?.params[0]?.device ?? 'cpu';
    if (dtype === 'float16' && deviceTypeOf(device) === 'cpu') {
      throw new ConfigError(['dtype'], `'float16' autocast needs a CUDA device, but the model's parameters are on ${device}; `
        + "use 'bfloat16' (or null, which picks bfloat16 on CPU)");
    }
  }

  /** The loss multiplied by the current loss scale. */
  protected override lossForBackward(loss: Tensor): Tensor {
    return this.lossScaler.scale(loss);
  }

  /**
   * Unscales the grads before clipping, steps unless some grad is Inf/NaN (then the
   * step is skipped and, with a dynamic scale, the scale backs off), and updates the scale.
   */
  override step(kwargs: StepKwargs = {}): void {
    if (kwargs.closure) throw new Error('AmpOptimWrapper.step: a closure is not supported with loss scaling (as GradScaler.step)');
    // Hooks before the step see true gradients: unscale first whenever someone looks at them.
    if (this.clipGrad || this.stepHooks) this.lossScaler.unscale_(this.optimizer);
    if (this.clipGrad) this.clipGrads();
    this.stepHooks?.beforeOptimizerStep();
    const scaleBefore = this.lossScaler.getScale();
    const stepped = this.lossScaler.step(this.optimizer);
    this.lossScaler.update(this.#fixedScale);
    if (!stepped) {
      this.logger.warning(`AmpOptimWrapper: skipped the optimizer step at iteration ${this.innerCount}: the gradients hold Inf or NaN; `
        + `loss scale ${scaleBefore} -> ${this.lossScaler.getScale()}`);
    }
  }

  /** The optimizer's state plus the loss scaler's under MMEngine's key `loss_scaler`. */
  override stateDict(): OptimWrapperState {
    const sd = super.stateDict();
    sd.loss_scaler = { ...this.lossScaler.stateDict() };
    return sd;
  }

  override loadStateDict(sd: OptimWrapperState): void {
    if (sd.loss_scaler !== undefined) this.lossScaler.loadStateDict(sd.loss_scaler as Partial<GradScalerState>);
    super.loadStateDict(sd);
  }

  /** OptimWrapper's context plus an autocast region for the device of the model's parameters. */
  override enterOptimContext(model: Module): OptimContextToken {
    const token = super.enterOptimContext(model);
    try {
      const param = model.parameters()[0] ?? this.optimizer.paramGroups[0]?.params[0];
      const deviceType = deviceTypeOf(param?.device ?? 'cpu');
      const dtype = this.castDtype ?? (deviceType === 'cpu' ? 'bfloat16' : undefined);
      token.extra = enterAutocast({ deviceType, dtype });
    } catch (err) {
      super.exitOptimContext(token);
      throw err;
    }
    return token;
  }

  override exitOptimContext(token: OptimContextToken): void {
    if (!token.closed && token.extra !== undefined) exitAutocast(token.extra as AutocastToken);
    super.exitOptimContext(token);
  }
}

OPTIM_WRAPPERS.register(AmpOptimWrapper);
