// makeDivisible: MMSeg's make_divisible — round channel counts to a multiple of `divisor` (MobileNet widths).

/** Python's int(): truncation toward zero. */
const pyInt = (v: number): number => Math.trunc(v);

/**
 * The multiple of `divisor` nearest to `value` (at least `minValue`, default the divisor),
 * bumped up one step when rounding down would lose more than (1 - minRatio) of `value`.
 */
export function makeDivisible(value: number, divisor: number, minValue: number | null = null, minRatio = 0.9): number {
  const min = minValue ?? divisor;
  let newValue = Math.max(min, Math.floor(pyInt(value + divisor / 2) / divisor) * divisor);
  if (newValue < minRatio * value) newValue += divisor;
  return newValue;
}
