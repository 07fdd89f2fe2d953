// torch.nn.init: in-place weight initialisers (under noGrad), with an optional generator.
import { type Tensor, op, opInplace } from '../tensor.js';
import { dtypeCode } from '../dtype.js';
import { noGrad } from '../autograd.js';
import type { Generator } from '../runtime.js';

export type Nonlinearity =
  | 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';
export type FanMode = 'fan_in' | 'fan_out';

const UNIT_GAIN = new Set(['linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d', 'sigmoid']);

/** The recommended gain for a nonlinearity (param: leaky_relu's negative slope, default 0.01). */
export function calculateGain(nonlinearity: Nonlinearity | string, param?: number | null): number {
  if (UNIT_GAIN.has(nonlinearity)) return 1;
  switch (nonlinearity) {
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'selu': return 3 / 4;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || !Number.isFinite(slope)) throw new TypeError(`calculateGain: negative_slope ${String(slope)} is not a valid number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    default:
      throw new RangeError(`calculateGain: unsupported nonlinearity '${nonlinearity}'`);
  }
}

/** fan_in = size(1) * receptive field, fan_out = size(0) * receptive field (weights of >= 2 dims). */
export function calculateFanInAndFanOut(t: Tensor): { fanIn: number; fanOut: number } {
  const s = t.shape;
  if (s.length < 2) throw new RangeError(`init: fan in and fan out need a tensor of at least 2 dimensions, got shape [${s.join(', ')}]`);
  const receptive = s.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: s[1]! * receptive, fanOut: s[0]! * receptive };
}

function correctFan(t: Tensor, mode: string): number {
  const m = mode.toLowerCase();
  if (m !== 'fan_in' && m !== 'fan_out') throw new RangeError(`init: mode '${mode}' not supported, expected 'fan_in' | 'fan_out'`);
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  return m === 'fan_in' ? fanIn : fanOut;
}

const gen = (g?: Generator | null): { handle: unknown } | null => (g ? { handle: g.handle } : null);

export function uniform_(t: Tensor, a = 0, b = 1, generator?: Generator | null): Tensor {
  return noGrad(() => t.uniform_(a, b, gen(generator)));
}

export function normal_(t: Tensor, mean = 0, std = 1, generator?: Generator | null): Tensor {
  return noGrad(() => t.normal_(mean, std, gen(generator)));
}

export function constant_(t: Tensor, value: number): Tensor {
  return noGrad(() => t.fill_(value));
}

export const ones_ = (t: Tensor): Tensor => constant_(t, 1);
export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);

/** Identity matrix into a 2-D tensor (ones on the diagonal, zeros elsewhere). */
export function eye_(t: Tensor): Tensor {
  if (t.ndim !== 2) throw new RangeError(`eye_: expected a 2-D tensor, got shape [${t.shape.join(', ')}]`);
  return noGrad(() => {
    const e = op('eye.m', t.size(0), t.size(1), dtypeCode(t.dtype), null, t.device, null);
    t.copy_(e);
    e.dispose();
    return t;
  });
}

function normCdf(x: number): number {
  return (1 + erf(x / Math.SQRT2)) / 2;
}

/** erf to double precision (Abramowitz-Stegun 7.1.26 is too coarse for bounds); series / continued fraction. */
function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series: 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1)).
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 60; n++) {
      term *= -ax * ax / n;
      sum += term / (2 * n + 1);
      if (Math.abs(term / (2 * n + 1)) < 1e-17 * Math.abs(sum)) break;
    }
    return sign * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // Continued fraction for erfc at larger |x|.
  let f = 0;
  for (let n = 60; n >= 1; n--) f = (n / 2) / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return sign * (1 - erfc);
}

/**
 * Normal(mean, std) truncated to [a, b] by inverse-CDF sampling, as nn.init.trunc_normal_:
 * uniform in [2F(a)-1, 2F(b)-1], erfinv, scale by std*sqrt(2), shift by mean, clamp to [a, b].
 */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2, generator?: Generator | null): Tensor {
  if (mean < a - 2 * std || mean > b + 2 * std) {
    process.emitWarning('truncNormal_: mean is more than 2 std from [a, b]; the distribution of values may be incorrect');
  }
  const lo = normCdf((a - mean) / std);
  const hi = normCdf((b - mean) / std);
  return noGrad(() => {
    t.uniform_(2 * lo - 1, 2 * hi - 1, gen(generator));
    opInplace(t, 'erfinv_');
    t.mul_(std * Math.SQRT2);
    t.add_(mean);
    return t.clamp_(a, b);
  });
}

const isEmpty = (t: Tensor): boolean => t.shape.includes(0);

export interface KaimingOptions {
  /** Negative slope of the rectifier after this layer (leaky_relu only). */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
  generator?: Generator | null;
}

function kaimingStd(t: Tensor, opts: KaimingOptions): number {
  const fan = correctFan(t, opts.mode ?? 'fan_in');
  return calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0) / Math.sqrt(fan);
}

/** He uniform: U(-bound, bound), bound = gain * sqrt(3 / fan). */
export function kaimingUniform_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  if (isEmpty(t)) return t;
  const bound = Math.sqrt(3) * kaimingStd(t, opts);
  return uniform_(t, -bound, bound, opts.generator);
}

/** He normal: N(0, std^2), std = gain / sqrt(fan). */
export function kaimingNormal_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  if (isEmpty(t)) return t;
  return normal_(t, 0, kaimingStd(t, opts), opts.generator);
}

function xavierStd(t: Tensor, gain: number): number {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  return gain * Math.sqrt(2 / (fanIn + fanOut));
}

/** Glorot uniform: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)). */
export function xavierUniform_(t: Tensor, gain = 1, generator?: Generator | null): Tensor {
  const a = Math.sqrt(3) * xavierStd(t, gain);
  return uniform_(t, -a, a, generator);
}

/** Glorot normal: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)). */
export function xavierNormal_(t: Tensor, gain = 1, generator?: Generator | null): Tensor {
  return normal_(t, 0, xavierStd(t, gain), generator);
}

/**
 * The default reset of Conv*d and Linear: kaiming_uniform_(weight, a=sqrt(5)), which is
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias from the same bound.
 */
export function resetWeightAndBias_(weight: Tensor, bias: Tensor | null, generator?: Generator | null): void {
  kaimingUniform_(weight, { a: Math.sqrt(5), generator });
  if (bias) {
    const { fanIn } = calculateFanInAndFanOut(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound, generator);
  }
}
