// resize: MMSeg's wrapper over F.interpolate, with its align_corners warning (shown once per message, as Python's warnings).
import type { Tensor } from '../../../torch/index.js';
import * as F from '../../../torch/functional/index.js';

export interface ResizeOptions {
  size?: number | number[] | null;
  scaleFactor?: number | number[] | null;
  mode?: F.InterpolateMode;
  alignCorners?: boolean | null;
  /** Warn when align_corners output would align better with sizes x+1 -> nx+1 (default true). */
  warning?: boolean;
}

const warned = new Set<string>();

/**
 * F.interpolate(input, size, scale_factor, mode, align_corners). The warning test is MMSeg's,
 * including its comparison of output width with output height.
 */
export function resize(input: Tensor, opts: ResizeOptions = {}): Tensor {
  const { size = null, scaleFactor = null, mode = 'nearest', alignCorners = null, warning = true } = opts;
  if (warning && size !== null && alignCorners) {
    const [inH, inW] = input.shape.slice(2) as [number, number];
    const [outH, outW] = (typeof size === 'number' ? [size, size] : size) as [number, number];
    if (outH > inH || outW > outH) {
      if (outH > 1 && outW > 1 && inH > 1 && inW > 1 && (outH - 1) % (inH - 1) !== 0 && (outW - 1) % (inW - 1) !== 0) {
        const msg = `When align_corners=true, the output would more aligned if input size (${inH}, ${inW}) is \`x+1\` and out size (${outH}, ${outW}) is \`nx+1\``;
        if (!warned.has(msg)) {
          warned.add(msg);
          process.emitWarning(msg, 'UserWarning');
        }
      }
    }
  }
  return F.interpolate(input, { size, scaleFactor, mode, alignCorners });
}
