// Python's number and timedelta formatting, so log lines match MMEngine's character for character.

/**
 * The exact decimal digits of a finite |x| < 1e21 (`toFixed(100)` is exact as far as it goes; a
 * double's expansion that ends within 100 places is shown whole).
 */
function exactFixed(absX: number): { intPart: string; frac: string } {
  const [intPart, frac] = absX.toFixed(100).split('.') as [string, string];
  return { intPart, frac };
}

/** True where the digits after position `digits` are exactly '5000...' (a rounding tie). */
function isTie(frac: string, digits: number): boolean {
  return frac[digits] === '5' && /^0*$/.test(frac.slice(digits + 1));
}

function special(x: number): string | undefined {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return undefined;
}

/**
 * Python's `f'{x:.{digits}f}'`: round-half-even on the exact binary value (JS's toFixed rounds
 * exact ties up), `nan`/`inf`, and a kept sign on negative zero.
 */
export function formatFixed(x: number, digits: number): string {
  const s = special(x);
  if (s !== undefined) return s;
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const absX = Math.abs(x);
  if (absX >= 1e21) {
    // toFixed switches to exponent notation here; Python prints every integer digit.
    return sign + BigInt(absX).toString() + (digits > 0 ? '.' + '0'.repeat(digits) : '');
  }
  const { intPart, frac } = exactFixed(absX);
  const kept = digits > 0 ? frac.slice(0, digits) : '';
  if (isTie(frac, digits)) {
    const lastDigit = Number(digits > 0 ? kept[digits - 1] : intPart[intPart.length - 1]);
    // Even last digit: a tie stays down. Odd: up, which is what toFixed does.
    if (lastDigit % 2 === 0) return sign + intPart + (digits > 0 ? '.' + kept : '');
  }
  return sign + absX.toFixed(digits);
}

/**
 * Python's `f'{x:.{digits}e}'`: `6.0000e-05` (an exponent of at least two digits with its sign),
 * round-half-even on ties.
 */
export function formatExp(x: number, digits: number): string {
  const s = special(x);
  if (s !== undefined) return s;
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const absX = Math.abs(x);
  let js = absX.toExponential(digits);
  // A tie at digits+1 significant figures has an exact expansion of digits+2 figures.
  const full = absX.toPrecision(100);
  const sig = full.replace(/e.*$/, '').replace('.', '').replace(/^0+/, '');
  if (absX !== 0 && sig[digits + 1] === '5' && /^0*$/.test(sig.slice(digits + 2)) && Number(sig[digits]) % 2 === 0) {
    // Round down (half-even): keep the first digits+1 significant figures of the exact value. The
    // exponent is toExponential's, which only moves on a round-up through 9s (an odd digit).
    const kept = sig.slice(0, digits + 1);
    js = `${kept[0]}${digits > 0 ? '.' + kept.slice(1) : ''}e${js.split('e')[1]}`;
  }
  const [mantissa, expPart] = js.split('e') as [string, string];
  const exp = Number(expPart);
  return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** Python's `str(datetime.timedelta(seconds=int(seconds)))`: `0:00:40`, `1 day, 2:03:04`, `-1 day, 23:59:55`. */
export function formatTimedelta(seconds: number): string {
  if (!Number.isFinite(seconds)) throw new RangeError(`eta: expected a finite number of seconds, got ${seconds}`);
  const total = Math.trunc(seconds);
  const days = Math.floor(total / 86400);
  let rest = total - days * 86400;
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  const secs = rest - minutes * 60;
  const clock = `${hours}:${String(minutes).padStart(2, '0')}:${String(secs).padStart(2, '0')}`;
  return days === 0 ? clock : `${days} day${Math.abs(days) === 1 ? '' : 's'}, ${clock}`;
}

/**
 * A Python-like `repr` of plain data for non-scalar log values: `{'cat': 1, 'dog': 0}`,
 * `[1, 2]`, `'text'`, `True`, `None`. Numbers print as JS prints them (JS has no int/float split).
 */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return special(value) ?? String(value);
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return `[${Array.from(value as unknown as ArrayLike<number>, pyRepr).join(', ')}]`;
  }
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ')}}`;
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return `{${Object.entries(value).map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ')}}`;
  }
  return String(value);
}
