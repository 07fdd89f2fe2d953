// MMDistributedDataParallel (MMEngine's model wrapper): DistributedDataParallel around a BaseModel
// whose train step runs the loss forward as DDP's forward; val/test steps use the bare model.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import { parseOptions, type KeyPath } from '../../config/errors.js';
import { MODEL_WRAPPERS } from '../../registry/index.js';
import type { BaseModel, DataBatch, Losses, StepOptimWrapper } from '../base-model.js';


export const mmDdpSchema = z.object({
  /** Search each step's graph for parameters that get no gradient (MMSeg configs set it at the top level). */
  find_unused_parameters: z.boolean().default(false),
  /** Copy rank 0's buffers to every rank before each forward (MMEngine's default wrapper: false). */
  broadcast_buffers: z.boolean().default(false),
  bucket_cap_mb: z.number().positive().default(25),
  /** MMEngine's debugging aid; segkit does not implement it, so only false is accepted. */
  detect_anomalous_params: z.literal(false).default(false),
  /** Accepted for MMEngine configs: one process drives one device here, so the wrapper picks it. */
  device_ids: z.array(z.number().int().nonnegative()).nullable().optional(),
  output_device: z.number().int().nullable().optional(),
}).strict();
export type MMDistributedDataParallelOptions = z.input<typeof mmDdpSchema>;

/** What the train loop needs from a model or its wrapper. */
export interface TrainStepModel {
  trainStep(data: DataBatch, optimWrapper: StepOptimWrapper): Record<string, number>;
}

export class MMDistributedDataParallel implements TrainStepModel {
  readonly ddp: torch.distributed.DistributedDataParallel<BaseModel>;

  /** Collective: every rank must build it together (rank 0's weights and buffers are broadcast). */
  constructor(options: unknown, module: BaseModel) {
    const o = parseOptions(mmDdpSchema, options ?? {});
    this.ddp = new torch.distributed.DistributedDataParallel(module, {
      find_unused_parameters: o.find_unused_parameters, broadcast_buffers: o.broadcast_buffers, bucket_cap_mb: o.bucket_cap_mb,
    });
  }

  get module(): BaseModel {
    return this.ddp.module;
  }

  /**
   * MMEngine's MMDistributedDataParallel.train_step: preprocess and run the loss forward inside
   * the optimizer wrapper's context (so gradient accumulation reaches no_sync), the forward
   * through DDP (which arms the bucketed all-reduce for backward), then update.
   */
  trainStep(data: DataBatch, optimWrapper: StepOptimWrapper): Record<string, number> {
    const module = this.ddp.module;
    return torch.tidy(() => {
      const losses = optimWrapper.optimContext(this.ddp, () => {
        const batch = module.dataPreprocessor.forward(data, true);
        return this.ddp.wrapForward(() => module.forward(batch.inputs, batch.data_samples, 'loss') as Losses);
      });
      const { loss, logVars } = module.parseLosses(losses);
      optimWrapper.updateParams(loss);
      return logVars;
    }, 'trainStep');
  }

  valStep(data: DataBatch): unknown[] {
    return this.ddp.module.valStep(data);
  }

  testStep(data: DataBatch): unknown[] {
    return this.ddp.module.testStep(data);
  }

  /** Detaches the gradient hooks (after training); the module stays usable. */
  release(): void {
    this.ddp.releaseReducer();
  }
}
MODEL_WRAPPERS.register(MMDistributedDataParallel);

/**
 * MMEngine's Runner.wrap_model for a distributed run: without `model_wrapper_cfg`, an
 * MMDistributedDataParallel with broadcast_buffers false and the config's top-level
 * find_unused_parameters; otherwise the configured wrapper (type defaults to MMDistributedDataParallel).
 */
export function wrapModel(model: BaseModel, wrapperCfg: unknown, findUnusedParameters: unknown, keyPath: KeyPath = ['model_wrapper_cfg']): TrainStepModel & { release?(): void } {
  if (wrapperCfg === undefined || wrapperCfg === null) {
    const find = parseOptions(z.boolean().default(false), findUnusedParameters ?? undefined, ['find_unused_parameters']);
    return new MMDistributedDataParallel({ find_unused_parameters: find, broadcast_buffers: false }, model);
  }
  const cfg = { type: 'MMDistributedDataParallel', ...(wrapperCfg as Record<string, unknown>) };
  return MODEL_WRAPPERS.build<TrainStepModel>(cfg, { keyPath, extraArgs: [model] });
}
