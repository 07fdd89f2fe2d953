// The shape of a segkit config (MMEngine runner + MMSeg sections, snake_case keys), for editor
// completion in `defineConfig({...})`. The components that build each section validate it fully.
import type { Constructor } from '../registry/registry.js';

/** A registered name ('SGD', 'mmseg.SegVisualizationHook') or the class itself. */
export type ComponentType = string | Constructor;

/** Any buildable section: `type` plus the component's own options. */
export interface ComponentConfig {
  type: ComponentType;
  [option: string]: unknown;
}

/** String literal hints that still accept any string. */
type Hint<T extends string> = T | (string & {});

export interface SamplerConfig {
  type: Hint<'DefaultSampler' | 'InfiniteSampler'> | Constructor;
  shuffle?: boolean;
  seed?: number | null;
  round_up?: boolean;
  [option: string]: unknown;
}

export interface DataLoaderConfig {
  batch_size?: number;
  num_workers?: number;
  persistent_workers?: boolean;
  sampler?: SamplerConfig;
  batch_sampler?: ComponentConfig | null;
  dataset?: ComponentConfig;
  collate_fn?: { type: Hint<'default_collate' | 'pseudo_collate'> | Constructor | ((...args: never[]) => unknown); [option: string]: unknown };
  drop_last?: boolean;
  pin_memory?: boolean;
  [option: string]: unknown;
}

export interface TrainLoopConfig {
  type?: Hint<'IterBasedTrainLoop' | 'EpochBasedTrainLoop'> | Constructor;
  max_iters?: number;
  max_epochs?: number;
  val_begin?: number;
  val_interval?: number;
  /** Without `type`: true picks EpochBasedTrainLoop, false IterBasedTrainLoop. */
  by_epoch?: boolean;
  dynamic_intervals?: [number, number][] | null;
  [option: string]: unknown;
}

export interface EvalLoopConfig {
  type?: Hint<'ValLoop' | 'TestLoop'> | Constructor;
  fp16?: boolean;
  [option: string]: unknown;
}

export interface CustomKeyConfig {
  lr_mult?: number;
  decay_mult?: number;
}

export interface ParamwiseConfig {
  custom_keys?: Record<string, CustomKeyConfig>;
  bias_lr_mult?: number;
  bias_decay_mult?: number;
  norm_decay_mult?: number;
  dwconv_decay_mult?: number;
  flat_decay_mult?: number;
  bypass_duplicate?: boolean;
  /** LearningRateDecayOptimizerConstructor. */
  decay_rate?: number;
  decay_type?: 'layer_wise' | 'stage_wise';
  num_layers?: number;
  [option: string]: unknown;
}

export interface OptimizerConfig {
  type: Hint<'SGD' | 'Adam' | 'AdamW' | 'Adagrad' | 'Adadelta' | 'Adamax' | 'NAdam' | 'RAdam' | 'RMSprop' | 'Rprop' | 'ASGD' | 'LBFGS'> | Constructor;
  lr?: number;
  momentum?: number;
  weight_decay?: number;
  betas?: [number, number];
  eps?: number;
  nesterov?: boolean;
  amsgrad?: boolean;
  [option: string]: unknown;
}

export interface ClipGradConfig {
  type?: 'norm' | 'value';
  max_norm?: number;
  norm_type?: number;
  clip_value?: number;
  error_if_nonfinite?: boolean;
}

export interface OptimWrapperConfig {
  type?: Hint<'OptimWrapper' | 'AmpOptimWrapper'> | Constructor;
  optimizer?: OptimizerConfig;
  paramwise_cfg?: ParamwiseConfig;
  // `Function` too: TypeScript sees every object literal's inherited `constructor` as one.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  constructor?: Hint<'DefaultOptimWrapperConstructor' | 'LearningRateDecayOptimizerConstructor'> | Constructor | Function;
  clip_grad?: ClipGradConfig | null;
  accumulative_counts?: number;
  /** AmpOptimWrapper: 'dynamic', a fixed scale, or GradScaler options. */
  loss_scale?: 'dynamic' | number | Record<string, unknown>;
  dtype?: 'float16' | 'bfloat16' | 'float32' | null;
  /** Several optimizers (an OptimWrapperDict) are keyed by name. */
  [option: string]: unknown;
}

export interface ParamSchedulerConfig {
  type: Hint<'LinearLR' | 'PolyLR' | 'CosineAnnealingLR' | 'MultiStepLR' | 'StepLR' | 'ExponentialLR' | 'ConstantLR' | 'OneCycleLR'> | Constructor;
  begin?: number;
  end?: number;
  by_epoch?: boolean;
  convert_to_iter_based?: boolean;
  eta_min?: number;
  power?: number;
  start_factor?: number;
  end_factor?: number;
  gamma?: number;
  milestones?: number[];
  T_max?: number;
  verbose?: boolean;
  [option: string]: unknown;
}

export interface HookConfig {
  type: ComponentType;
  priority?: number | Hint<'HIGHEST' | 'VERY_HIGH' | 'HIGH' | 'ABOVE_NORMAL' | 'NORMAL' | 'BELOW_NORMAL' | 'LOW' | 'VERY_LOW' | 'LOWEST'>;
  [option: string]: unknown;
}

export interface DefaultHooksConfig {
  timer?: HookConfig | null;
  logger?: (HookConfig & { interval?: number; ignore_last?: boolean; log_metric_by_epoch?: boolean; interval_exp_name?: number; out_dir?: string | null; keep_local?: boolean }) | null;
  param_scheduler?: HookConfig | null;
  checkpoint?: (HookConfig & {
    interval?: number; by_epoch?: boolean; save_best?: string | string[] | null; rule?: 'greater' | 'less' | ('greater' | 'less')[] | null;
    max_keep_ckpts?: number; save_last?: boolean; save_optimizer?: boolean; save_param_scheduler?: boolean; out_dir?: string | null;
    filename_tmpl?: string | null; published_keys?: string | string[] | null; save_begin?: number;
  }) | null;
  sampler_seed?: HookConfig | null;
  visualization?: (HookConfig & { draw?: boolean; interval?: number; show?: boolean; wait_time?: number }) | null;
  [name: string]: HookConfig | null | undefined;
}

export interface LogProcessorConfig {
  type?: ComponentType;
  window_size?: number;
  by_epoch?: boolean;
  custom_cfg?: Record<string, unknown>[] | null;
  num_digits?: number;
  log_with_hierarchy?: boolean;
  mean_pattern?: string;
}

export interface VisualizerConfig {
  type: Hint<'Visualizer' | 'SegLocalVisualizer'> | Constructor;
  name?: string;
  vis_backends?: ComponentConfig[] | null;
  save_dir?: string | null;
  alpha?: number;
  [option: string]: unknown;
}

export interface RandomnessConfig {
  seed?: number | null;
  deterministic?: boolean;
  diff_rank_seed?: boolean;
}

export interface EnvConfig {
  cudnn_benchmark?: boolean;
  mp_cfg?: { mp_start_method?: 'fork' | 'spawn' | 'forkserver'; opencv_num_threads?: number };
  dist_cfg?: { backend?: Hint<'nccl' | 'gloo'>; timeout?: number; [option: string]: unknown };
  /** Threads libtorch may use in this process (segkit's own; MMEngine leaves it to torch). */
  num_threads?: number;
  resource_limit?: number;
}

export interface AutoScaleLrConfig {
  enable?: boolean;
  base_batch_size: number;
}

/** Model sub-configs take whatever the registered model accepts. */
export interface ModelConfig extends ComponentConfig {
  data_preprocessor?: ComponentConfig;
  [option: string]: unknown;
}

export interface SegkitConfig {
  /** One path or a list, relative to this file; merged left to right, then this file on top. */
  _base_?: string | string[];
  work_dir?: string;
  experiment_name?: string;
  default_scope?: string | null;
  model?: ModelConfig;
  data_preprocessor?: ComponentConfig | null;
  train_dataloader?: DataLoaderConfig | null;
  val_dataloader?: DataLoaderConfig | null;
  test_dataloader?: DataLoaderConfig | null;
  train_cfg?: TrainLoopConfig | null;
  val_cfg?: EvalLoopConfig | null;
  test_cfg?: EvalLoopConfig | null;
  val_evaluator?: ComponentConfig | ComponentConfig[] | null;
  test_evaluator?: ComponentConfig | ComponentConfig[] | null;
  optim_wrapper?: OptimWrapperConfig | null;
  param_scheduler?: ParamSchedulerConfig | ParamSchedulerConfig[] | null;
  default_hooks?: DefaultHooksConfig;
  custom_hooks?: HookConfig[] | null;
  log_processor?: LogProcessorConfig;
  log_level?: Hint<'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL'> | number;
  visualizer?: VisualizerConfig | null;
  load_from?: string | null;
  resume?: boolean;
  randomness?: RandomnessConfig;
  env_cfg?: EnvConfig;
  launcher?: 'none' | 'pytorch' | 'slurm' | 'mpi';
  auto_scale_lr?: AutoScaleLrConfig;
  tta_model?: ComponentConfig | null;
  model_wrapper_cfg?: ComponentConfig | null;
  /** Free variables (crop_size, norm_cfg, train_pipeline, ...) are allowed, as in MMSeg. */
  [key: string]: unknown;
}
