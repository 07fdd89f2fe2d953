// Constructor-argument helpers shared by the layers.

/**
 * Layers whose PyTorch arguments are all optional accept the first one positionally or an
 * options object: split(0.2, 'negativeSlope') and split({ negativeSlope: 0.2 }, 'negativeSlope')
 * both give [0.2, options].
 */
export function split<K extends string, V, O extends object>(arg: V | (O & { [k in K]?: V }) | undefined, key: K): [V | undefined, O & { [k in K]?: V }] {
  type Opts = O & { [k in K]?: V };
  if (arg === undefined) return [undefined, {} as Opts];
  if (typeof arg === 'object' && arg !== null && !Array.isArray(arg)) return [(arg as Opts)[key], arg as Opts];
  return [arg as V, {} as Opts];
}

/** A number as Python's repr prints it in layer summaries (1e-05, 0.1). */
export function pyFloat(v: number): string {
  if (v !== 0 && Math.abs(v) < 1e-4) return v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  return String(v);
}
