// Float arithmetic exactly as MMSeg's metric code gets it from torch (float32) and NumPy 1.x:
// float32 pairwise sums, nanmean, round-half-even rounding and Python's float32 printing.

const f32 = Math.fround;

/** C's rint: nearest integer, ties to even (NumPy's np.rint / np.round). */
export function rint(x: number): number {
  if (!Number.isFinite(x)) return x;
  const r = Math.round(x);
  // Math.round sends ties towards +infinity; NumPy sends them to the even neighbour.
  return Math.abs(x - Math.trunc(x)) === 0.5 ? 2 * Math.round(x / 2) : r;
}

/** NumPy's pairwise summation of a float32 array, accumulating in float32 (its `add.reduce`). */
export function pairwiseSumF32(a: ArrayLike<number>, start = 0, n = a.length - start): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res = f32(res + a[start + i]!);
    return res;
  }
  if (n <= 128) {
    const r = [0, 1, 2, 3, 4, 5, 6, 7].map((j) => f32(a[start + j]!));
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] = f32(r[j]! + a[start + i + j]!);
    let res = f32(f32(f32(r[0]! + r[1]!) + f32(r[2]! + r[3]!)) + f32(f32(r[4]! + r[5]!) + f32(r[6]! + r[7]!)));
    for (; i < n; i++) res = f32(res + a[start + i]!);
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return f32(pairwiseSumF32(a, start, n2) + pairwiseSumF32(a, start + n2, n - n2));
}

/** np.nanmean of a float32 array: NaNs count as 0 in the float32 sum and are left out of the count. */
export function nanmeanF32(values: Float32Array): number {
  const filled = Float32Array.from(values, (v) => (Number.isNaN(v) ? 0 : v));
  const count = values.reduce((c, v) => c + (Number.isNaN(v) ? 0 : 1), 0);
  // 0 + sum: the reduction starts from add's identity. float32 / intp is computed in float64, then cast back.
  return f32(f32(0 + pairwiseSumF32(filled)) / count);
}

/**
 * MMSeg's summary value `np.round(np.nanmean(v) * 100, 2)` under NumPy 1.x (Debian's 1.24, what
 * MMSeg runs on): the float32 mean times a Python int becomes float64, so the percentage and its
 * rounding are in float64.
 */
export function summaryPercent(values: Float32Array): number {
  const percent = nanmeanF32(values) * 100;
  return rint(percent * 100) / 100;
}

/** MMSeg's per-class table value `np.round(v * 100, 2)` on a float32 array: float32 throughout. */
export function classPercentF32(v: number): number {
  const percent = f32(v * 100);
  return f32(rint(f32(percent * 100)) / 100);
}

/** Python's str() of a float32 value (NumPy prints the shortest digits that read back the same). */
export function float32Repr(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  let text = String(v);
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(v.toPrecision(digits));
    if (f32(candidate) === v) {
      text = String(candidate);
      break;
    }
  }
  return /[.e]/.test(text) ? text : `${text}.0`;
}
