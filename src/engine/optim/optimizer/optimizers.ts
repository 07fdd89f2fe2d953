// Registers every torch optimizer in OPTIMIZERS under PyTorch's name and builds one from `optimizer: {type, ...}`.
import { z } from 'zod';
import type { Tensor } from '../../../torch/index.js';
import { optimizers, type Optimizer, type OptimizerConstructor, type ParamGroupInput } from '../../../torch/optim/index.js';
import { ConfigError, parseOptions, type KeyPath } from '../../config/errors.js';
import { OPTIMIZERS } from '../../registry/index.js';

for (const [name, cls] of Object.entries(optimizers)) OPTIMIZERS.register(cls, name);

const pair = z.tuple([z.number(), z.number()]);

/**
 * Types of the hyperparameters torch's optimizers take; which of them an optimizer
 * accepts is its own business (it rejects the others, naming the ones it knows).
 */
const optimizerOptionsSchema = z.object({
  lr: z.number().optional(),
  weight_decay: z.number().optional(),
  momentum: z.number().optional(),
  dampening: z.number().optional(),
  nesterov: z.boolean().optional(),
  betas: pair.optional(),
  eps: z.number().optional(),
  amsgrad: z.boolean().optional(),
  lr_decay: z.number().optional(),
  initial_accumulator_value: z.number().optional(),
  rho: z.number().optional(),
  alpha: z.number().optional(),
  centered: z.boolean().optional(),
  lambd: z.number().optional(),
  t0: z.number().optional(),
  momentum_decay: z.number().optional(),
  etas: pair.optional(),
  step_sizes: pair.optional(),
  maximize: z.boolean().optional(),
  foreach: z.boolean().nullable().optional(),
  capturable: z.boolean().optional(),
  differentiable: z.boolean().optional(),
  fused: z.boolean().optional(),
}).catchall(z.unknown());

const UNKNOWN_OPTION = /^\w+: unknown option '([^']+)' \((.*)\)$/;

/**
 * Builds `new Optimizer(params, options)` from `{type, ...options}`; bad options become
 * ConfigErrors under `keyPath` (e.g. optim_wrapper.optimizer.momentun: unknown option for SGD ...).
 */
export function buildOptimizer(params: Tensor[] | ParamGroupInput[], cfg: unknown, keyPath: KeyPath = []): Optimizer {
  if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg)) {
    throw new ConfigError(keyPath, `expected an optimizer config such as {type: 'SGD', lr: 0.01}, got ${cfg === undefined ? 'nothing' : JSON.stringify(cfg)}`);
  }
  const { type, ...rest } = cfg as Record<string, unknown>;
  const cls = OPTIMIZERS.resolve(type, keyPath) as OptimizerConstructor;
  const options = parseOptions(optimizerOptionsSchema, rest, keyPath);
  try {
    return new cls(params, options);
  } catch (err) {
    if (!(err instanceof TypeError || err instanceof RangeError)) throw err;
    const unknown = UNKNOWN_OPTION.exec(err.message);
    if (unknown) throw new ConfigError([...keyPath, unknown[1]!], `unknown option for ${cls.name} (${unknown[2]})`);
    throw new ConfigError(keyPath, err.message);
  }
}
