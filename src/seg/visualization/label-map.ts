// Label maps from a SegDataSample's pixel data (Tensor or NdArray [1, H, W]) as plain arrays for drawing.
import { Tensor } from '../../torch/index.js';

export interface SemSegMap {
  data: Int32Array;
  height: number;
  width: number;
}

/** `data`: a Tensor or an NdArray `{ data, shape }` of shape [1, H, W] or [H, W]. */
export function toSemSegMap(data: unknown, where: string): SemSegMap {
  let shape: number[];
  let values: Int32Array;
  if (data instanceof Tensor) {
    shape = data.shape;
    const cpu = data.to({ dtype: 'int32', device: 'cpu' });
    try {
      values = cpu.data() as Int32Array;
    } finally {
      if (cpu !== data) cpu.dispose();
    }
  } else if (data !== null && typeof data === 'object' && ArrayBuffer.isView((data as { data?: unknown }).data) && Array.isArray((data as { shape?: unknown }).shape)) {
    const nd = data as { data: ArrayLike<number | bigint>; shape: number[] };
    shape = nd.shape;
    values = Int32Array.from(nd.data as ArrayLike<number>, Number);
  } else {
    throw new TypeError(`${where}: expected a Tensor or an NdArray {data, shape}, got ${data === null ? 'null' : typeof data}`);
  }
  const dims = shape.length === 3 && shape[0] === 1 ? shape.slice(1) : shape;
  if (dims.length !== 2) throw new RangeError(`${where}: expected shape [1, H, W] or [H, W], got [${shape.join(', ')}]`);
  return { data: values, height: dims[0]!, width: dims[1]! };
}
