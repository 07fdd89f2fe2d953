// Axis scales for the line charts: data -> [0, 1] mapping, "nice" ticks and compact tick labels.

export interface Scale {
  /** The axis range after rounding out to whole ticks. */
  readonly domain: readonly [number, number];
  readonly ticks: readonly number[];
  readonly log: boolean;
  /** 0 at domain[0], 1 at domain[1]; NaN for values a log scale cannot show (<= 0). */
  position(value: number): number;
  format(value: number): string;
}

// Tick values are multiples of the step; rounding removes float noise such as 0.30000000000000004.
const clean = (v: number): number => (v === 0 ? 0 : Number(v.toPrecision(12)));

/** 1, 2 or 5 times a power of ten: the step that gives about `count` intervals over `span`. */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  // The slack keeps 2.0000000000000004 (float noise of an exact 2) from becoming 5.
  const residual = raw / magnitude - 1e-9;
  return clean((residual > 5 ? 10 : residual > 2 ? 5 : residual > 1 ? 2 : 1) * magnitude);
}

// '2.50e-5' -> '2.5e-5', '20.0' -> '20'; integers such as '200' keep their zeros.
const trimMantissa = (s: string): string => (s.includes('.') ? s.replace(/\.?0+(?=e|$)/, '') : s);

/** Decimals that show every multiple of `step` exactly (0.25 -> 2, 20 -> 0). */
function decimalsFor(step: number): number {
  for (let d = 0; d < 12; d++) {
    const scaled = step * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-6 * Math.max(1, scaled)) return d;
  }
  return 12;
}

/** Labels for ticks `step` apart: 20k / 1.5M for big values, 6e-5 for tiny ones, fixed decimals otherwise. */
export function tickFormatter(step: number, maxAbs: number): (v: number) => string {
  const stepExp = Math.floor(Math.log10(step));
  if (maxAbs >= 1e4) {
    const [unit, suffix] = maxAbs >= 1e9 ? [1e9, 'G'] : maxAbs >= 1e6 ? [1e6, 'M'] : [1e3, 'k'];
    const decimals = decimalsFor(step / unit);
    return (v) => (v === 0 ? '0' : `${trimMantissa((v / unit).toFixed(decimals))}${suffix}`);
  }
  if (maxAbs < 1e-3 || stepExp < -4) {
    // Mantissa digits: enough to tell ticks apart at the largest tick's exponent.
    const digits = decimalsFor(step / 10 ** Math.floor(Math.log10(maxAbs)));
    return (v) => (v === 0 ? '0' : trimMantissa(v.toExponential(Math.min(digits, 20))));
  }
  const decimals = decimalsFor(step);
  return (v) => v.toFixed(decimals);
}

/** A linear scale over [min, max] with about `tickCount` ticks; a flat range is widened around its value. */
export function linearScale(min: number, max: number, tickCount: number): Scale {
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) throw new RangeError(`linearScale: expected finite min <= max, got ${min}, ${max}`);
  if (min === max) {
    const pad = Math.abs(min) * 0.1 || 1;
    [min, max] = [min - pad, max + pad];
  }
  const step = niceStep(max - min, tickCount);
  const lo = clean(Math.floor(min / step + 1e-9) * step);
  const hi = clean(Math.ceil(max / step - 1e-9) * step);
  const ticks: number[] = [];
  for (let i = 0; lo + i * step <= hi + step * 1e-9; i++) ticks.push(clean(lo + i * step));
  const format = tickFormatter(step, Math.max(Math.abs(lo), Math.abs(hi)));
  return {
    domain: [lo, hi],
    ticks,
    log: false,
    position: (v) => (v - lo) / (hi - lo),
    format: (v) => format(v),
  };
}

function formatPower(v: number): string {
  const exp = Math.round(Math.log10(v));
  if (exp >= -3 && exp <= 4) return String(clean(v));
  return trimMantissa(v.toExponential(3)).replace('e+', 'e');
}

/** A base-10 log scale from the decade below `min` to the decade above `max` (both > 0). */
export function logScale(min: number, max: number, maxTicks = 8): Scale {
  if (!(min > 0) || !(max >= min) || !Number.isFinite(max)) throw new RangeError(`logScale: expected 0 < min <= max, got ${min}, ${max}`);
  const lo = Math.floor(Math.log10(min) + 1e-12);
  let hi = Math.ceil(Math.log10(max) - 1e-12);
  if (hi === lo) hi = lo + 1;
  const decades = hi - lo;
  const stride = Math.ceil(decades / Math.max(1, maxTicks - 1));
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e += stride) {
    ticks.push(clean(10 ** e));
    // Over one or two decades the powers alone are too few to read values off.
    if (decades <= 2 && e < hi) ticks.push(clean(2 * 10 ** e), clean(5 * 10 ** e));
  }
  return {
    domain: [clean(10 ** lo), clean(10 ** hi)],
    ticks,
    log: true,
    position: (v) => (v > 0 ? (Math.log10(v) - lo) / decades : NaN),
    format: formatPower,
  };
}
