// Checks the top-level sections of a merged config: each known key holds the right kind of value,
// and the common runner fields have the right types. Unknown keys (crop_size, norm_cfg) are free;
// each section's own options are checked strictly by the component that builds it.
import { z, type ZodType } from 'zod';
import type { Config } from './config.js';
import { parseOptions } from './errors.js';
import { isPlainObject } from './values.js';

const type = z.custom<string | ((...args: never[]) => unknown)>((v) => typeof v === 'string' || typeof v === 'function',
  { message: 'expected a registered name or a class' });
const int = z.number().int();
const count = int.nonnegative();
const positive = int.positive();

/** A buildable section: a dict with a `type`, other keys free. */
const component = z.looseObject({ type });
const componentOrNull = component.nullable();

/** A dict, or a list of them (param_scheduler, val_evaluator); issues keep the path inside it. */
function oneOrList(item: ZodType, what: string) {
  const list = z.array(item);
  return z.unknown().superRefine((v, ctx) => {
    if (v === null) return;
    if (!Array.isArray(v) && !isPlainObject(v)) {
      ctx.addIssue({ code: 'custom', message: `expected ${what} or a list of them` });
      return;
    }
    const result = (Array.isArray(v) ? list : item).safeParse(v);
    if (!result.success) for (const issue of result.error.issues) ctx.addIssue({ ...issue } as never);
  });
}

const dataloader = z.looseObject({
  batch_size: positive.optional(),
  num_workers: count.optional(),
  persistent_workers: z.boolean().optional(),
  sampler: component.optional(),
  batch_sampler: componentOrNull.optional(),
  dataset: z.looseObject({}).optional(),
  collate_fn: z.looseObject({ type: type.optional() }).nullable().optional(),
  drop_last: z.boolean().optional(),
  pin_memory: z.boolean().optional(),
}).nullable();

const trainCfg = z.looseObject({
  type: type.optional(),
  max_iters: positive.optional(),
  max_epochs: positive.optional(),
  val_begin: count.optional(),
  val_interval: positive.optional(),
  by_epoch: z.boolean().optional(),
}).nullable();

const evalCfg = z.looseObject({ type: type.optional(), fp16: z.boolean().optional() }).nullable();

const optimWrapper = z.looseObject({
  type: type.optional(),
  optimizer: component.optional(),
  paramwise_cfg: z.looseObject({ custom_keys: z.record(z.string(), z.looseObject({})).optional() }).optional(),
  constructor: type.optional(),
  clip_grad: z.looseObject({}).nullable().optional(),
  accumulative_counts: positive.optional(),
  loss_scale: z.union([z.literal('dynamic'), z.number(), z.looseObject({})], { error: "expected 'dynamic', a number or a dict" }).optional(),
  dtype: z.string().nullable().optional(),
}).nullable();

export const topLevelSchema = z.looseObject({
  work_dir: z.string().optional(),
  experiment_name: z.string().optional(),
  default_scope: z.string().nullable().optional(),
  model: component.optional(),
  data_preprocessor: componentOrNull.optional(),
  train_dataloader: dataloader.optional(),
  val_dataloader: dataloader.optional(),
  test_dataloader: dataloader.optional(),
  train_cfg: trainCfg.optional(),
  val_cfg: evalCfg.optional(),
  test_cfg: evalCfg.optional(),
  val_evaluator: oneOrList(component, 'an evaluator dict').optional(),
  test_evaluator: oneOrList(component, 'an evaluator dict').optional(),
  optim_wrapper: optimWrapper.optional(),
  param_scheduler: oneOrList(component, 'a scheduler dict').optional(),
  default_hooks: z.record(z.string(), componentOrNull).optional(),
  custom_hooks: z.array(component).nullable().optional(),
  log_processor: z.looseObject({ window_size: positive.optional(), by_epoch: z.boolean().optional(), num_digits: count.optional() }).optional(),
  log_level: z.union([z.string(), int], { error: "expected a level name ('INFO') or a number" }).optional(),
  visualizer: componentOrNull.optional(),
  load_from: z.string().nullable().optional(),
  resume: z.boolean().optional(),
  randomness: z.object({
    seed: int.nullable().optional(),
    deterministic: z.boolean().optional(),
    diff_rank_seed: z.boolean().optional(),
  }).strict().optional(),
  env_cfg: z.looseObject({
    cudnn_benchmark: z.boolean().optional(),
    mp_cfg: z.looseObject({}).optional(),
    dist_cfg: z.looseObject({ backend: z.string().optional() }).optional(),
    num_threads: positive.optional(),
  }).optional(),
  launcher: z.enum(['none', 'pytorch', 'slurm', 'mpi']).optional(),
  auto_scale_lr: z.looseObject({ enable: z.boolean().optional(), base_batch_size: positive }).optional(),
  tta_model: componentOrNull.optional(),
  model_wrapper_cfg: componentOrNull.optional(),
});

/** Throws a ConfigError naming the key path and the file that set the bad value. */
export function validateConfig(cfg: Config): void {
  try {
    parseOptions(topLevelSchema, cfg.dict);
  } catch (err) {
    throw cfg.locate(err);
  }
}
