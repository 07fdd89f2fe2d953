// Padding by constant, reflection, replication or wrap-around (torch.nn.functional.pad).
import { type Tensor, op } from '../tensor.js';
import { shapeStr } from './args.js';

export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';
const MODES: readonly PadMode[] = ['constant', 'reflect', 'replicate', 'circular'];

/**
 * F.pad. `pad` lists (before, after) pairs starting from the LAST dimension:
 * [left, right, top, bottom] pads W then H. Negative values crop.
 */
export function pad(x: Tensor, padding: number[], mode: PadMode = 'constant', value = 0): Tensor {
  if (!MODES.includes(mode)) throw new TypeError(`pad: mode: expected one of ${MODES.join(' | ')}, got '${String(mode)}'`);
  if (padding.length % 2 !== 0 || padding.length / 2 > x.ndim || padding.some((v) => !Number.isInteger(v))) {
    throw new RangeError(`pad: expected an even number of integers, at most 2 per dimension of input ${shapeStr(x)}, got ${JSON.stringify(padding)}`);
  }
  if (mode === 'constant') return op('pad', x, padding, mode, value);
  if (value !== 0) throw new TypeError(`pad: mode '${mode}' does not take a value (got ${value})`);
  return op('pad', x, padding, mode, null);
}
