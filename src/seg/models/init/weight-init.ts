// MMEngine's module-level weight initialisers (constant_init, kaiming_init, ...) and the
// layer-name matching its init_cfg `layer` key uses.
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';

/** The module's own `weight` / `bias` parameters (null when absent, as MMEngine's hasattr checks). */
function weightAndBias(m: nn.Module): { weight: Tensor | null; bias: Tensor | null } {
  const params = new Map(m.localState().parameters);
  return { weight: params.get('weight') ?? null, bias: params.get('bias') ?? null };
}

export function constantInit(m: nn.Module, val: number, bias = 0): void {
  const { weight, bias: b } = weightAndBias(m);
  if (weight) nn.init.constant_(weight, val);
  if (b) nn.init.constant_(b, bias);
}

export function xavierInit(m: nn.Module, gain = 1, bias = 0, distribution: 'normal' | 'uniform' = 'normal'): void {
  const { weight, bias: b } = weightAndBias(m);
  if (weight) {
    if (distribution === 'uniform') nn.init.xavierUniform_(weight, gain);
    else nn.init.xavierNormal_(weight, gain);
  }
  if (b) nn.init.constant_(b, bias);
}

export function normalInit(m: nn.Module, mean = 0, std = 1, bias = 0): void {
  const { weight, bias: b } = weightAndBias(m);
  if (weight) nn.init.normal_(weight, mean, std);
  if (b) nn.init.constant_(b, bias);
}

export function truncNormalInit(m: nn.Module, mean = 0, std = 1, a = -2, b = 2, bias = 0): void {
  const { weight, bias: bt } = weightAndBias(m);
  if (weight) nn.init.truncNormal_(weight, mean, std, a, b);
  if (bt) nn.init.constant_(bt, bias);
}

export function uniformInit(m: nn.Module, a = 0, b = 1, bias = 0): void {
  const { weight, bias: bt } = weightAndBias(m);
  if (weight) nn.init.uniform_(weight, a, b);
  if (bt) nn.init.constant_(bt, bias);
}

export interface KaimingInitOptions {
  a?: number;
  mode?: 'fan_in' | 'fan_out';
  nonlinearity?: 'relu' | 'leaky_relu' | 'linear' | 'conv2d' | 'sigmoid' | 'tanh' | 'selu';
  bias?: number;
  distribution?: 'normal' | 'uniform';
}

/** MMEngine's kaiming_init: defaults a=0, mode fan_out, relu, bias 0, normal. */
export function kaimingInit(m: nn.Module, opts: KaimingInitOptions = {}): void {
  const { weight, bias: b } = weightAndBias(m);
  if (weight) {
    const o = { a: opts.a ?? 0, mode: opts.mode ?? 'fan_out', nonlinearity: opts.nonlinearity ?? 'relu' } as const;
    if ((opts.distribution ?? 'normal') === 'uniform') nn.init.kaimingUniform_(weight, o);
    else nn.init.kaimingNormal_(weight, o);
  }
  if (b) nn.init.constant_(b, opts.bias ?? 0);
}

/** MMEngine's caffe2_xavier_init: kaiming uniform, a=1, fan_in, leaky_relu. */
export function caffe2XavierInit(m: nn.Module, bias = 0): void {
  kaimingInit(m, { a: 1, mode: 'fan_in', nonlinearity: 'leaky_relu', bias, distribution: 'uniform' });
}

/** MMEngine's bias_init_with_prob: the bias giving sigmoid(bias) = prior_prob. */
export function biasInitWithProb(priorProb: number): number {
  return -Math.log((1 - priorProb) / priorProb);
}

/**
 * PyTorch's direct base classes of segkit's layers, for init_cfg `layer` matching (MMEngine
 * compares the class name and its direct bases' names: '_BatchNorm' matches BatchNorm2d).
 */
const PYTHON_BASES: Record<string, string[]> = {
  Conv2d: ['_ConvNd'],
  ConvTranspose2d: ['_ConvTransposeNd'],
  BatchNorm1d: ['_BatchNorm'],
  BatchNorm2d: ['_BatchNorm'],
  SyncBatchNorm: ['_BatchNorm'],
  InstanceNorm2d: ['_InstanceNorm'],
  Linear: ['Module'],
  LayerNorm: ['Module'],
  GroupNorm: ['Module'],
  Embedding: ['Module'],
};

/** The names `layer` in an init_cfg is compared with: the class name and its direct base(s). */
export function layerNamesOf(m: nn.Module): string[] {
  const name = m.constructor.name;
  const bases = PYTHON_BASES[name] ?? [Object.getPrototypeOf(m.constructor).name as string];
  return [name, ...bases];
}
