// MMEngine's BaseDataPreprocessor: turns a collated batch of plain data (NdArrays from the
// data loader) into tensors on the model's device; a list of same-shaped inputs is stacked.
import * as torch from '../../torch/index.js';
import { Tensor } from '../../torch/index.js';
import { MODELS } from '../registry/index.js';
import { BaseDataPreprocessor as AbstractPreprocessor, type DataBatch, type PreprocessedBatch } from './base-model.js';

interface NdArray {
  data: ArrayBufferView;
  shape: number[];
}

const isNdArray = (v: unknown): v is NdArray =>
  v !== null && typeof v === 'object' && ArrayBuffer.isView((v as NdArray).data) && Array.isArray((v as NdArray).shape);

/** Converts an NdArray (Uint32/Uint16/BigUint64 data are widened to signed types torch has). */
export function ndarrayToTensor(nd: NdArray, device = 'cpu'): Tensor {
  let data = nd.data as ArrayBufferView;
  if (data instanceof Uint32Array || data instanceof BigUint64Array) data = BigInt64Array.from(data as ArrayLike<number | bigint>, (x) => BigInt(x));
  else if (data instanceof Uint16Array) data = Int32Array.from(data);
  else if (data instanceof Uint8ClampedArray) data = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const t = torch.tensor(data, { shape: nd.shape });
  if (device === 'cpu') return t;
  const moved = t.to({ device });
  t.dispose();
  return moved;
}

/** Recursively replaces NdArrays (in objects and lists) with tensors on `device`. */
export function castData(value: unknown, device = 'cpu'): unknown {
  if (value instanceof Tensor) return device === 'cpu' || value.device === device ? value : value.to({ device });
  if (isNdArray(value)) return ndarrayToTensor(value, device);
  if (Array.isArray(value)) return value.map((v) => castData(v, device));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, castData(v, device)]));
  }
  return value;
}

/** The device of a module's first parameter or buffer (cpu for a module without any). */
export function moduleDevice(module: torch.nn.Module): string {
  const t = module.parameters()[0] ?? module.buffers()[0];
  return t?.device ?? 'cpu';
}

export class BaseDataPreprocessor extends AbstractPreprocessor {
  /** Set by the model that owns this preprocessor (its parameters' device). */
  device = 'cpu';

  constructor(_options: Record<string, unknown> = {}) {
    super();
  }

  override forward(data: DataBatch, _training = false): PreprocessedBatch {
    const cast = castData(data, this.device) as Record<string, unknown>;
    let inputs = cast.inputs;
    if (Array.isArray(inputs) && inputs.every((x) => x instanceof Tensor)) inputs = torch.stack(inputs as Tensor[]);
    if (!(inputs instanceof Tensor)) throw new TypeError(`${this.className}: the batch has no 'inputs' array or tensor (keys: ${Object.keys(data).join(', ')})`);
    return { ...cast, inputs };
  }
}
MODELS.register(BaseDataPreprocessor);
