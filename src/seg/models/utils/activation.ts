// buildActivationLayer: MMCV's build_activation_layer, plus the activations MMCV adds (HSigmoid, Swish, Clamp).
import { z } from 'zod';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import { parseOptions, type KeyPath } from '../../../engine/config/errors.js';

/** MMCV's HSigmoid: clamp((x + bias) / divisor, min_value, max_value); the defaults equal nn.Hardsigmoid. */
export class HSigmoid extends nn.Module {
  constructor(readonly bias = 3, readonly divisor = 6, readonly minValue = 0, readonly maxValue = 1) {
    super();
    if (divisor === 0) throw new RangeError('HSigmoid: divisor must not be 0');
  }
  forward(x: Tensor): Tensor {
    const shifted = x.add(this.bias);
    const scaled = shifted.div(this.divisor);
    shifted.dispose();
    return scaled.clamp_(this.minValue, this.maxValue);
  }
}

/** MMCV's Swish: x * sigmoid(x). */
export class Swish extends nn.Module {
  forward(x: Tensor): Tensor {
    const s = x.sigmoid();
    const out = x.mul(s);
    s.dispose();
    return out;
  }
}

/** MMCV's Clamp (also registered as 'Clip'). */
export class Clamp extends nn.Module {
  constructor(readonly min = -1, readonly max = 1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.clamp(this.min, this.max);
  }
}

const inplace = { inplace: z.boolean().default(false) };
const ACT_SCHEMAS = {
  ReLU: z.object({ ...inplace }),
  ReLU6: z.object({ ...inplace }),
  SiLU: z.object({ ...inplace }),
  HSwish: z.object({ ...inplace }),
  LeakyReLU: z.object({ negative_slope: z.number().default(0.01), ...inplace }),
  ELU: z.object({ alpha: z.number().default(1), ...inplace }),
  PReLU: z.object({ num_parameters: z.number().int().positive().default(1), init: z.number().default(0.25) }),
  GELU: z.object({ approximate: z.enum(['none', 'tanh']).default('none') }),
  Sigmoid: z.object({}),
  Tanh: z.object({}),
  Swish: z.object({}),
  HSigmoid: z.object({ bias: z.number().default(3), divisor: z.number().default(6), min_value: z.number().default(0), max_value: z.number().default(1) }),
  Clamp: z.object({ min: z.number().default(-1), max: z.number().default(1) }),
  Clip: z.object({ min: z.number().default(-1), max: z.number().default(1) }),
} as const;

export type ActivationType = keyof typeof ACT_SCHEMAS;
export const ACTIVATION_TYPES = Object.keys(ACT_SCHEMAS) as ActivationType[];
/** Activations that take no `inplace` argument (ConvModule does not add one to these). */
export const NO_INPLACE_ACTIVATIONS: readonly string[] = ['Tanh', 'PReLU', 'Sigmoid', 'HSigmoid', 'Swish', 'GELU', 'Clamp', 'Clip'];

export interface ActCfg {
  type: ActivationType;
  inplace?: boolean;
  negative_slope?: number;
  [key: string]: unknown;
}

const typeSchema = z.object({ type: z.enum(ACTIVATION_TYPES as [ActivationType, ...ActivationType[]]) }).passthrough();

/** Builds the activation layer a config names, validating its arguments per type. */
export function buildActivationLayer(cfg: ActCfg, keyPath: KeyPath = ['act_cfg']): nn.Module {
  const { type, ...rest } = parseOptions(typeSchema, cfg, keyPath) as { type: ActivationType } & Record<string, unknown>;
  const args = parseOptions(ACT_SCHEMAS[type].strict(), rest, keyPath) as Record<string, never>;
  switch (type) {
    case 'ReLU': return new nn.ReLU({ inplace: args.inplace });
    case 'ReLU6': return new nn.ReLU6({ inplace: args.inplace });
    case 'SiLU': return new nn.SiLU({ inplace: args.inplace });
    case 'HSwish': return new nn.Hardswish({ inplace: args.inplace });
    case 'LeakyReLU': return new nn.LeakyReLU({ negativeSlope: args.negative_slope, inplace: args.inplace });
    case 'ELU': return new nn.ELU({ alpha: args.alpha, inplace: args.inplace });
    case 'PReLU': return new nn.PReLU({ numParameters: args.num_parameters, init: args.init });
    case 'GELU': return new nn.GELU({ approximate: args.approximate });
    case 'Sigmoid': return new nn.Sigmoid();
    case 'Tanh': return new nn.Tanh();
    case 'Swish': return new Swish();
    case 'HSigmoid': return new HSigmoid(args.bias, args.divisor, args.min_value, args.max_value);
    case 'Clamp':
    case 'Clip': return new Clamp(args.min, args.max);
  }
}
